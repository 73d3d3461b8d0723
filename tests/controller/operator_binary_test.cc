// Operator controls of the etcd-registrar binary against a real etcd and real
// backends: drain / undrain / drain --list from the command line (a drain
// removes the key at once, no probe brings it back, it survives a restart of
// the registrar and ends by itself with --for), the same over the admin API
// with basic auth (POST / DELETE /api/v1/targets/{id}/drain), and fail-open (every backend
// of a service stopped at once keeps its keys, and judging resumes when they
// are back).
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "etcd/client.h"
#include "tests/controller/binary_fixture.h"
#include "tests/support/http_backend.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

using std::chrono::seconds;

class OperatorControls : public RegistrarBinaryTest {
 protected:
  void SetUp() override {
    RegistrarBinaryTest::SetUp();
    if (HasFatalFailure()) return;
    a_ = std::make_unique<HttpBackend>();
    b_ = std::make_unique<HttpBackend>();
    a_address_ = a_->address();
    a_port_ = a_->port();
    b_address_ = b_->address();
  }
  void TearDown() override {
    if (registrar_) {
      registrar_->Signal(SIGTERM);
      registrar_->Wait(seconds(15));
    }
  }

  void WriteConfig(const std::string& service_extra = "", const std::string& server_extra = "") {
    std::ofstream config(dir_.File("config.yaml"));
    config << "etcd:\n  endpoints: [\"" << etcd_.endpoint() << "\"]\n"
           << "registration:\n  prefix: /services/\n  leaseTTL: 10s\n"
           << "server:\n  listen: 127.0.0.1:" << admin_port_ << "\n"
           << server_extra
           << "defaults:\n  periodSeconds: 0.3\n  timeoutSeconds: 0.2\n  failureThreshold: 2\n"
           << "services:\n  - name: web\n    probe:\n      httpGet: {path: /healthz}\n"
           << service_extra << "    endpoints: [\"" << a_address_ << "\", \"" << b_address_
           << "\"]\n";
  }

  void StartRegistrar() {
    auto p = Process::Start({REGISTRAR_BINARY, "--config", dir_.File("config.yaml")},
                            dir_.File("registrar.log"));
    ASSERT_TRUE(p.ok()) << p.status();
    registrar_ = *std::move(p);
  }

  void StopRegistrar() {
    registrar_->Signal(SIGTERM);
    EXPECT_EQ(registrar_->Wait(seconds(15)), 0) << registrar_->Log();
    registrar_.reset();
  }

  // Runs the binary's CLI; returns its exit code, sets *output.
  // `launcher` runs before the binary (e.g. env -u USER).
  int Cli(std::vector<std::string> args, std::string* output = nullptr,
          std::vector<std::string> launcher = {}) {
    std::vector<std::string> argv = launcher;
    argv.insert(argv.end(), {REGISTRAR_BINARY, "--config", dir_.File("config.yaml")});
    argv.insert(argv.end(), args.begin(), args.end());
    auto p = Process::Start(argv);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return -1;
    const int code = (*p)->Wait(seconds(30));
    if (output != nullptr) *output = (*p)->Log();
    return code;
  }

  bool HasKey(const std::string& address) {
    auto r = reader_->Range("/services/web/" + address, {});
    return r.ok() && r->kvs.size() == 1;
  }
  std::string Log() { return registrar_ ? registrar_->Log() : ""; }

  // One sample of the registrar's /metrics, read with curl; -1 if absent.
  double Metric(const std::string& series) {
    auto p = Process::Start(
        {"curl", "-s", "-m", "5", "http://127.0.0.1:" + std::to_string(admin_port_) + "/metrics"},
        "", {}, /*stdout_only=*/true);
    if (!p.ok() || (*p)->Wait(seconds(10)) != 0) return -1;
    const std::string text = (*p)->Log();
    const size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
  }

  // One request to the registrar's admin port with curl; returns the HTTP
  // status (-1 when curl fails) and sets *body.
  int Admin(const std::string& method, const std::string& path, const std::string& user = "",
            const std::string& json = "", std::string* body = nullptr) {
    std::vector<std::string> argv = {"curl", "-s", "-m", "5", "-X", method, "-w", "\n%{http_code}"};
    if (!user.empty()) argv.insert(argv.end(), {"-u", user});
    if (!json.empty()) {
      argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", json});
    }
    argv.push_back("http://127.0.0.1:" + std::to_string(admin_port_) + path);
    auto p = Process::Start(argv, "", {}, /*stdout_only=*/true);
    if (!p.ok() || (*p)->Wait(seconds(10)) != 0) return -1;
    const std::string out = (*p)->Log();
    const size_t nl = out.rfind('\n');
    if (nl == std::string::npos) return -1;
    if (body != nullptr) *body = out.substr(0, nl);
    return std::atoi(out.c_str() + nl + 1);
  }

  std::unique_ptr<HttpBackend> a_;
  std::unique_ptr<HttpBackend> b_;
  std::string a_address_;
  int a_port_ = 0;
  std::string b_address_;
  int admin_port_ = FreePort();
  TempDir dir_;
  std::unique_ptr<Process> registrar_;
};

TEST_F(OperatorControls, DrainRemovesTheKeyAtOnceAndNoProbeBringsItBack) {
  WriteConfig();
  StartRegistrar();
  ASSERT_TRUE(WaitFor([&] { return HasKey(a_address_) && HasKey(b_address_); }, seconds(30)))
      << Log();

  std::string out;
  ASSERT_EQ(Cli({"drain", "--list"}, &out), 0) << out;
  EXPECT_NE(out.find("no drains"), std::string::npos) << "an empty list says so: " << out;

  ASSERT_EQ(Cli({"drain", "web/" + a_address_, "--reason", "disk swap", "--by", "alice"}, &out), 0)
      << out;
  ASSERT_TRUE(WaitFor([&] { return !HasKey(a_address_); }, seconds(10))) << Log();
  // Still probed, never registered: a dozen healthy probes later the key is
  // still gone and b is untouched.
  const int64_t hits = a_->hits();
  ASSERT_TRUE(WaitFor(
      [&] {
        EXPECT_FALSE(HasKey(a_address_));
        return a_->hits() >= hits + 12;
      },
      seconds(30)));
  EXPECT_FALSE(HasKey(a_address_));
  EXPECT_TRUE(HasKey(b_address_));

  ASSERT_EQ(Cli({"drain", "--list"}, &out), 0) << out;
  EXPECT_NE(out.find("web/" + a_address_), std::string::npos) << out;
  EXPECT_NE(out.find("disk swap"), std::string::npos) << out;
  EXPECT_NE(out.find("by=alice"), std::string::npos) << out;

  // A typo drains nothing and says so.
  EXPECT_EQ(Cli({"drain", "web/127.0.0.1:1"}, &out), 2) << out;
  EXPECT_NE(out.find("not a target"), std::string::npos) << out;
  // A misspelt id is refused with the id meant.
  EXPECT_EQ(Cli({"drain", "wbe/" + b_address_}, &out), 2) << out;
  EXPECT_NE(out.find("did you mean \"web/" + b_address_ + "\"?"), std::string::npos) << out;
  EXPECT_TRUE(HasKey(b_address_));

  // Undrain while a is unhealthy: it stays out until it is healthy again.
  a_->SetStatus(503);
  ASSERT_TRUE(WaitFor(
      [&] {
        return Log().find("probe web/" + a_address_ + ": healthy -> unhealthy") !=
               std::string::npos;
      },
      seconds(20)))
      << Log();
  ASSERT_EQ(Cli({"undrain", "web/" + a_address_}, &out), 0) << out;
  const int64_t unhealthy_hits = a_->hits();
  ASSERT_TRUE(WaitFor(
      [&] {
        EXPECT_FALSE(HasKey(a_address_));
        return a_->hits() >= unhealthy_hits + 6;
      },
      seconds(30)));
  a_->SetStatus(200);
  EXPECT_TRUE(WaitFor([&] { return HasKey(a_address_); }, seconds(20))) << Log();

  // Undrain of a target that is not drained fails.
  EXPECT_EQ(Cli({"undrain", "web/" + a_address_}, &out), 1) << out;

  // With $USER and $LOGNAME unset (cron, a systemd unit) the drainer is the
  // effective user, not an anonymous "cli".
  ASSERT_EQ(Cli({"drain", "web/" + b_address_}, &out, {"env", "-u", "USER", "-u", "LOGNAME"}), 0)
      << out;
  ASSERT_EQ(Cli({"drain", "--list"}, &out), 0) << out;
  const passwd* me = getpwuid(geteuid());
  ASSERT_NE(me, nullptr);
  EXPECT_NE(out.find(std::string("by=cli:") + me->pw_name + "\t"), std::string::npos) << out;
}

// log.format: json makes every line JSON, the first ("open-file limit") too,
// and a target's transition carries the service and the target as members.
TEST_F(OperatorControls, JsonLogsAreJsonFromTheFirstLineAndNameTheTargetInFields) {
  WriteConfig("", "log:\n  format: json\n");
  StartRegistrar();
  ASSERT_TRUE(WaitFor([&] { return HasKey(a_address_) && HasKey(b_address_); }, seconds(30)))
      << Log();
  a_->SetStatus(503);
  ASSERT_TRUE(
      WaitFor([&] { return Log().find("healthy -> unhealthy") != std::string::npos; }, seconds(20)))
      << Log();
  StopRegistrar();
  std::string log;
  {
    std::ifstream in(dir_.File("registrar.log"));
    log.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::istringstream lines(log);
  std::string line;
  int n = 0, transitions = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "line " << n + 1 << " is not JSON: " << line;
    if (n++ == 0) {
      EXPECT_NE(j["msg"].get<std::string>().find("open-file limit"), std::string::npos) << line;
    }
    if (j["msg"].get<std::string>().find("healthy -> unhealthy") != std::string::npos) {
      ++transitions;
      EXPECT_EQ(j.value("service", ""), "web") << line;
      EXPECT_EQ(j.value("target", ""), "web/" + a_address_) << line;
    }
  }
  EXPECT_GT(n, 3);
  EXPECT_EQ(transitions, 1) << log;
}

TEST_F(OperatorControls, TheAdminApiDrainsAndUndrainsWithBasicAuth) {
  {
    // bcrypt("pw") at cost 5: fast for a test, the format users write.
    std::ofstream web(dir_.File("web.yml"));
    web << "basic_auth_users:\n"
           "  alice: $2b$05$abcdefghijklmnopqrstuuHIrMEWpUCQe2YqFR3sXwQ75u4od..9q\n";
  }
  WriteConfig("", "  webConfigFile: " + dir_.File("web.yml") + "\n");
  StartRegistrar();
  ASSERT_TRUE(WaitFor([&] { return HasKey(a_address_) && HasKey(b_address_); }, seconds(30)))
      << Log();
  const std::string drain = "/api/v1/targets/web/" + a_address_ + "/drain";
  const std::string why = R"({"reason":"disk swap","for":"1h"})";

  // Without the password, or with a wrong one, nothing is drained.
  EXPECT_EQ(Admin("POST", drain, "", why), 401);
  EXPECT_EQ(Admin("POST", drain, "alice:wrong", why), 401);
  EXPECT_TRUE(HasKey(a_address_));

  std::string body;
  ASSERT_EQ(Admin("POST", drain, "alice:pw", why, &body), 200) << body << Log();
  ASSERT_TRUE(WaitFor([&] { return !HasKey(a_address_); }, seconds(10))) << Log();
  EXPECT_TRUE(HasKey(b_address_));
  // Every replica (and the CLI) sees it in etcd, with who asked and why.
  std::string out;
  ASSERT_EQ(Cli({"drain", "--list"}, &out), 0) << out;
  EXPECT_NE(out.find("web/" + a_address_), std::string::npos) << out;
  EXPECT_NE(out.find("disk swap"), std::string::npos) << out;
  EXPECT_NE(out.find("alice"), std::string::npos) << out;
  // The targets API shows it drained.
  ASSERT_TRUE(WaitFor(
      [&] {
        return Admin("GET", "/api/v1/targets?q=" + a_address_, "alice:pw", "", &body) == 200 &&
               body.find("\"disk swap\"") != std::string::npos;
      },
      seconds(10)))
      << body;

  // A target that is not configured cannot be drained.
  EXPECT_EQ(Admin("POST", "/api/v1/targets/web/127.0.0.1:1/drain", "alice:pw", why), 404);
  EXPECT_EQ(Admin("DELETE", drain, "", ""), 401);
  EXPECT_FALSE(HasKey(a_address_));

  ASSERT_EQ(Admin("DELETE", drain, "alice:pw", "", &body), 200) << body;
  EXPECT_TRUE(WaitFor([&] { return HasKey(a_address_); }, seconds(20))) << Log();
  ASSERT_EQ(Cli({"drain", "--list"}, &out), 0) << out;
  EXPECT_EQ(out.find("web/" + a_address_), std::string::npos) << out;
}

TEST_F(OperatorControls, ADrainSurvivesARestartAndEndsByItselfWithFor) {
  WriteConfig();
  StartRegistrar();
  ASSERT_TRUE(WaitFor([&] { return HasKey(a_address_) && HasKey(b_address_); }, seconds(30)))
      << Log();
  std::string out;
  ASSERT_EQ(Cli({"drain", "web/" + a_address_}, &out), 0) << out;
  ASSERT_TRUE(WaitFor([&] { return !HasKey(a_address_); }, seconds(10))) << Log();

  // Restart: b comes back, a never does (not even for a moment).
  StopRegistrar();
  ASSERT_FALSE(HasKey(b_address_));
  StartRegistrar();
  ASSERT_TRUE(WaitFor(
      [&] {
        EXPECT_FALSE(HasKey(a_address_));
        return HasKey(b_address_);
      },
      seconds(30)))
      << Log();
  const int64_t hits = a_->hits();
  ASSERT_TRUE(WaitFor(
      [&] {
        EXPECT_FALSE(HasKey(a_address_));
        return a_->hits() >= hits + 8;
      },
      seconds(30)));

  // A drain --for ends by itself (etcd expires its lease).
  ASSERT_EQ(Cli({"drain", "web/" + b_address_, "--for", "3s", "--reason", "reboot"}, &out), 0)
      << out;
  ASSERT_TRUE(WaitFor([&] { return !HasKey(b_address_); }, seconds(10))) << Log();
  ASSERT_EQ(Cli({"drain", "--list"}, &out), 0) << out;
  EXPECT_NE(out.find("reboot"), std::string::npos) << out;
  EXPECT_TRUE(WaitFor([&] { return HasKey(b_address_); }, seconds(30))) << Log();
  ASSERT_EQ(Cli({"drain", "--list"}, &out), 0) << out;
  EXPECT_EQ(out.find("web/" + b_address_), std::string::npos) << out;
  EXPECT_FALSE(HasKey(a_address_));
}

TEST_F(OperatorControls, FailOpenKeepsAServicesKeysWhenEveryBackendStopsAtOnce) {
  WriteConfig("    failOpen: {belowHealthyPercent: 50}\n");
  StartRegistrar();
  ASSERT_TRUE(WaitFor([&] { return HasKey(a_address_) && HasKey(b_address_); }, seconds(30)))
      << Log();

  // A partition as the registrar sees it: every backend refuses at once.
  a_->Stop();
  b_->Stop();
  for (const std::string& address : {a_address_, b_address_}) {
    ASSERT_TRUE(WaitFor(
        [&] {
          return Log().find("probe web/" + address + ": healthy -> unhealthy") != std::string::npos;
        },
        seconds(20)))
        << Log();
  }
  // The controller thread judges the transitions (with the results before
  // them) a batch window after they arrive.
  EXPECT_TRUE(WaitFor(
      [&] {
        return Log().find("fail-open: service web") != std::string::npos &&
               Metric("registrar_service_fail_open{service=\"web\"}") == 1;
      },
      seconds(20)))
      << Log();
  // Many failed probes after both turned unhealthy, the keys are still there.
  const double failures = Metric("registrar_probes_total{result=\"failure\",service=\"web\"}");
  ASSERT_TRUE(WaitFor(
      [&] {
        EXPECT_TRUE(HasKey(a_address_) && HasKey(b_address_));
        return Metric("registrar_probes_total{result=\"failure\",service=\"web\"}") >=
               failures + 10;
      },
      seconds(30)));
  EXPECT_TRUE(HasKey(a_address_) && HasKey(b_address_)) << Log();

  // One backend back: the share recovers (1 of 2 = 50%), judging resumes
  // and the other (still down) loses its key.
  a_ = std::make_unique<HttpBackend>("127.0.0.1", a_port_);
  ASSERT_TRUE(WaitFor([&] { return !HasKey(b_address_); }, seconds(30))) << Log();
  EXPECT_TRUE(HasKey(a_address_));
  EXPECT_NE(Log().find("judging health normally"), std::string::npos) << Log();
  EXPECT_EQ(Metric("registrar_service_fail_open{service=\"web\"}"), 0);
}

}  // namespace
}  // namespace registrar::testing
