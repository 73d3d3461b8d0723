// The etcd-registrar binary as an operator runs it: keys of healthy backends
// appear; SIGTERM revokes the lease (keys gone at once, exit 0); SIGKILL
// leaves them to expire within the TTL; an etcd outage longer than the TTL is
// survived; --dry-run writes nothing.
#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>

#include <httplib.h>

#include "tests/controller/binary_fixture.h"
#include "tests/support/http_backend.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

using std::chrono::seconds;

class RegistrarBinary : public RegistrarBinaryTest {
 protected:
  // `defaults` are extra lines of the defaults section.
  std::unique_ptr<Process> StartRegistrar(const std::string& lease_ttl,
                                          std::vector<std::string> extra = {},
                                          const std::string& defaults = "") {
    {
      std::ofstream config(dir_.File("config.yaml"));
      config << "etcd:\n  endpoints: [\"" << etcd_.endpoint() << "\"]\n"
             << "registration:\n  prefix: /services/\n  leaseTTL: " << lease_ttl << "\n"
             << "server:\n  listen: 127.0.0.1:" << admin_port_ << "\n"
             << "defaults:\n  periodSeconds: 1\n  timeoutSeconds: 0.5\n"
             << defaults
             << "services:\n  - name: web\n    probe:\n      httpGet: {path: /healthz}\n"
             << "    endpoints: [\"" << a_.address() << "\", \"" << b_.address() << "\"]\n";
    }
    std::vector<std::string> argv = {REGISTRAR_BINARY, "--config", dir_.File("config.yaml")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = Process::Start(argv, dir_.File("registrar.log"));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }

  // The admin port's answer to GET path (0: no answer).
  int Status(const std::string& path) {
    httplib::Client client("127.0.0.1", admin_port_);
    client.set_connection_timeout(1);
    auto res = client.Get(path);
    return res ? res->status : 0;
  }

  int admin_port_ = FreePort();
  HttpBackend a_;
  HttpBackend b_;
  TempDir dir_;
};

TEST_F(RegistrarBinary, SigtermRevokesTheLeaseSoEveryKeyGoesAtOnceAndExitsZero) {
  auto registrar = StartRegistrar("10s");
  ASSERT_NE(registrar, nullptr);
  ASSERT_TRUE(WaitFor([&] { return KeyCount() == 2; }, seconds(20))) << registrar->Log();
  registrar->Signal(SIGTERM);
  EXPECT_EQ(registrar->Wait(seconds(15)), 0) << registrar->Log();
  EXPECT_EQ(KeyCount(), 0);  // no wait: far sooner than the 10 s TTL
}

TEST_F(RegistrarBinary, SigintAlsoRevokesAndExitsZero) {
  auto registrar = StartRegistrar("10s");
  ASSERT_NE(registrar, nullptr);
  ASSERT_TRUE(WaitFor([&] { return KeyCount() == 2; }, seconds(20))) << registrar->Log();
  registrar->Signal(SIGINT);
  EXPECT_EQ(registrar->Wait(seconds(15)), 0) << registrar->Log();
  EXPECT_EQ(KeyCount(), 0);
}

TEST_F(RegistrarBinary, SigkillLeavesKeysToExpireWithinTheTtl) {
  auto registrar = StartRegistrar("2s");
  ASSERT_NE(registrar, nullptr);
  ASSERT_TRUE(WaitFor([&] { return KeyCount() == 2; }, seconds(20))) << registrar->Log();
  registrar->Signal(SIGKILL);
  registrar->Wait(seconds(5));
  const MonoTime killed = RealClock().Now();
  ASSERT_TRUE(WaitFor([&] { return KeyCount() == 0; }, seconds(10)));
  EXPECT_LE(RealClock().Now() - killed, seconds(2) + seconds(2));  // TTL + expiry tick/margin
}

TEST_F(RegistrarBinary, EtcdDownLongerThanTheTtlThenBackGetsEveryKeyAgain) {
  auto registrar = StartRegistrar("2s");
  ASSERT_NE(registrar, nullptr);
  ASSERT_TRUE(WaitFor([&] { return KeyCount() == 2; }, seconds(20))) << registrar->Log();
  etcd_.Stop();
  ASSERT_FALSE(WaitFor([] { return false; }, seconds(4)));  // > TTL
  EXPECT_TRUE(registrar->Running()) << registrar->Log();
  ASSERT_TRUE(etcd_.Restart().ok()) << etcd_.log();
  ASSERT_TRUE(WaitFor([&] { return KeyCount() == 2; }, seconds(30))) << registrar->Log();
  EXPECT_TRUE(registrar->Running());
  registrar->Signal(SIGTERM);
  EXPECT_EQ(registrar->Wait(seconds(15)), 0) << registrar->Log();
}

TEST_F(RegistrarBinary, DryRunProbesButWritesNothing) {
  auto registrar = StartRegistrar("10s", {"--dry-run"});
  ASSERT_NE(registrar, nullptr);
  ASSERT_TRUE(WaitFor([&] { return registrar->Log().find("would write") != std::string::npos; },
                      seconds(20)))
      << registrar->Log();
  EXPECT_EQ(KeyCount(), 0);
  EXPECT_NE(etcd_.EtcdCtl({"lease", "list"}).find("found 0 leases"), std::string::npos);
  registrar->Signal(SIGTERM);
  EXPECT_EQ(registrar->Wait(seconds(15)), 0) << registrar->Log();
}

// /readyz stays 503 until every target this replica owns has a verdict (or an
// adopted key), so a rollout does not take the old pod away while the new one
// still knows nothing about a target: here a failing one that needs four
// probes to be judged.
TEST_F(RegistrarBinary, ReadyOnlyOnceEveryOwnedTargetHasAVerdict) {
  b_.SetStatus(503);
  auto r = StartRegistrar("10s", {}, "  failureThreshold: 4\n");
  ASSERT_NE(r, nullptr);
  int64_t hits_when_ready = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        if (Status("/readyz") != 200) return false;
        hits_when_ready = b_.hits();
        return true;
      },
      seconds(30)))
      << r->Log();
  EXPECT_GE(hits_when_ready, 4) << "ready before the failing target was judged";
  EXPECT_EQ(KeyCount(), 1);
}

}  // namespace
}  // namespace registrar::testing
