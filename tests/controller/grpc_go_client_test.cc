// A real grpc-go client (Debian's grpc-go and etcd's gRPC resolver, GOPATH
// mode) dials "etcd:////services/greeter" as docs/consumers.md says, and calls
// Health/Check round-robin on whatever the registrar registered in the
// grpc-naming layout: it reaches both gRPC backends, stops using one the
// registrar deregisters (paused: only the registrar's probes can tell) and
// uses it again once it is back. Skipped, with the reason, where Go or those
// packages are missing (scripts/install-deps.sh installs them).
#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/etcd_server.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

using std::chrono::seconds;

constexpr char kGoPath[] = "/usr/share/gocode";
constexpr char kResolver[] =
    "/usr/share/gocode/src/go.etcd.io/etcd/clientv3/naming/resolver/resolver.go";

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// The peers that answered among the client's last `n` lines, and whether
// every one of those calls succeeded.
struct Window {
  std::set<std::string> peers;
  bool all_ok = false;
  size_t lines = 0;
};
Window LastCalls(const std::string& log, size_t n) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("ok ", 0) == 0 || line.rfind("err ", 0) == 0) lines.push_back(line);
  }
  Window w;
  w.all_ok = lines.size() >= n;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
    ++w.lines;
    if (lines[i].rfind("ok ", 0) == 0) {
      w.peers.insert(lines[i].substr(3));
    } else {
      w.all_ok = false;
    }
  }
  return w;
}

TEST(GrpcGoClient, FollowsTheBackendsTheRegistrarRegistersThroughEtcdsResolver) {
  if (RunCommand({"sh", "-c", "command -v go"}).empty() || !Exists(kResolver)) {
    GTEST_SKIP() << "needs golang-go, golang-etcd-server-dev and golang-google-grpc-dev";
  }
  TempDir dir;
  const std::string client = dir.File("grpc-go-client");
  int code = -1;
  RunCommand({"go", "build", "-o", client, GRPC_GO_CLIENT_SRC}, &code, seconds(600),
             {std::string("GOPATH=") + kGoPath, "GO111MODULE=off"});
  ASSERT_EQ(code, 0) << "go build of the grpc-go client failed";

  EtcdServer etcd;
  ASSERT_TRUE(etcd.Start().ok()) << etcd.log();
  std::vector<int> ports = {FreePort(), FreePort()};
  std::vector<std::unique_ptr<Process>> backends;
  for (int port : ports) {
    auto p = Process::Start({HEALTH_SERVER, std::to_string(port)}, dir.File("b.log"));
    ASSERT_TRUE(p.ok()) << p.status();
    backends.push_back(*std::move(p));
  }
  for (int port : ports) ASSERT_TRUE(WaitFor([&] { return CanConnect(port); }));

  const std::string config = dir.File("registrar.yaml");
  {
    std::ofstream c(config);
    c << "etcd:\n  endpoints: [\"" << etcd.endpoint() << "\"]\n"
      << "registration:\n  prefix: /services/\n  leaseTTL: 5s\n"
      << "server:\n  listen: 127.0.0.1:" << FreePort() << "\n"
      << "services:\n  - name: greeter\n    format: grpc-naming\n"
      << "    probe:\n      grpc: {}\n      periodSeconds: 1\n      timeoutSeconds: 1\n"
      << "      failureThreshold: 2\n"
      << "    endpoints: [\"127.0.0.1:" << ports[0] << "\", \"127.0.0.1:" << ports[1] << "\"]\n";
  }
  auto registrar = Process::Start({REGISTRAR_BINARY, "--config", config}, dir.File("r.log"));
  ASSERT_TRUE(registrar.ok()) << registrar.status();
  auto go = Process::Start({client, "-etcd", etcd.endpoint(), "-target",
                            "etcd:////services/greeter", "-interval", "50ms"},
                           dir.File("client.log"), {}, /*stdout_only=*/true);
  ASSERT_TRUE(go.ok()) << go.status();
  const std::set<std::string> both = {"127.0.0.1:" + std::to_string(ports[0]),
                                      "127.0.0.1:" + std::to_string(ports[1])};
  const std::set<std::string> first_only = {"127.0.0.1:" + std::to_string(ports[0])};

  // Both registered: the client spreads its calls over both.
  EXPECT_TRUE(WaitFor([&] { return LastCalls((*go)->Log(), 20).peers == both; }, seconds(30)))
      << (*go)->Log().substr(0, 2000) << (*registrar)->Log();

  // The second hangs (SIGSTOP): the registrar's probes fail, its key goes,
  // and the client's calls all go to the first, all answered.
  backends[1]->Signal(SIGSTOP);
  EXPECT_TRUE(WaitFor(
      [&] {
        const Window w = LastCalls((*go)->Log(), 30);
        return w.all_ok && w.peers == first_only;
      },
      seconds(30)))
      << (*registrar)->Log();

  // Back: registered again, and used again.
  backends[1]->Signal(SIGCONT);
  EXPECT_TRUE(WaitFor([&] { return LastCalls((*go)->Log(), 20).peers == both; }, seconds(30)))
      << (*registrar)->Log();
  (*go)->Kill();
}

}  // namespace
}  // namespace registrar::testing
