// grpc probes (grpc.health.v1.Health/Check) against a real grpc++ server with
// its default health service, switched between SERVING and NOT_SERVING; a
// server that accepts and stays silent; one that is not gRPC at all; gRPC
// over TLS with certificates made in the test. A healthy HTTP sentinel is
// probed alongside and must stay undisturbed.
#include <dirent.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/probes/hostile_fixture.h"
#include "tests/probes/test_certs.h"
#include "tests/support/descriptor_hog.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

using namespace std::chrono_literals;
using registrar::testing::TempDir;
using registrar::testing::WaitFor;

// A grpc++ server with the default health service on `address` (port 0: a
// free one). grpc++ builds no server without a service of its own to poll
// for: an (unimplemented) callback generic service stands in.
std::unique_ptr<grpc::Server> BuildHealthServer(
    const std::string& address, grpc::CallbackGenericService* generic, int* port,
    std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials()) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, std::move(creds), port);
  builder.RegisterCallbackGenericService(generic);
  return builder.BuildAndStart();
}

class HealthServer {
 public:
  explicit HealthServer(
      std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials())
      : server_(BuildHealthServer("127.0.0.1:0", &generic_, &port_, std::move(creds))) {}
  ~HealthServer() { server_->Shutdown(std::chrono::system_clock::now() + 1s); }

  int port() const { return port_; }
  void Set(const std::string& service, bool serving) {
    server_->GetHealthCheckService()->SetServingStatus(service, serving);
  }

 private:
  grpc::CallbackGenericService generic_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

Target GrpcTarget(const std::string& name, int port, const std::string& service) {
  Target t = HttpTarget(name, port);
  t.probe.kind = ProbeKind::kGrpc;
  t.probe.grpc.service = service;
  return t;
}

int ThreadCount() {
  int n = 0;
  DIR* dir = opendir("/proc/self/task");
  while (dirent* e = readdir(dir)) n += e->d_name[0] != '.';
  closedir(dir);
  return n;
}

// Client ends of established TCP connections to `port` on loopback (every
// process's: /proc/net/tcp{,6} list the namespace's sockets; gRPC's are
// dual-stack, so IPv4 peers show up in tcp6).
int ConnectionsTo(int port) {
  int n = 0;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      auto colon = remote.rfind(':');
      if (colon == std::string::npos || state != "01") continue;
      n += std::stoi(remote.substr(colon + 1), nullptr, 16) == port;
    }
  }
  return n;
}

// The first failed result of `targets` ("" when none): the sentinel, which
// has a short timeout, is left out on a busy machine.
std::string FirstFailure(const RecordingObserver& observer, const std::vector<Target>& targets) {
  for (const auto& t : targets) {
    for (const auto& e : observer.Results(t.Id())) {
      if (!e.result.ok) return t.Id() + ": " + e.result.reason;
    }
  }
  return "";
}

class GrpcTest : public HostileBase {
 protected:
  void AwaitHealth(const Target& t, Health health) {
    ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == health; }))
        << t.Id() << " last reason: " << observer_.LastReason(t.Id());
  }
};

TEST_F(GrpcTest, FollowsTheServerSwitchingBetweenServingAndNotServing) {
  HealthServer server;
  server.Set("orders", true);
  Target t = GrpcTarget("orders", server.port(), "orders");
  Start({t});
  AwaitHealth(t, Health::kHealthy);
  EXPECT_EQ(observer_.Transitions(t.Id()).back().cause.reason, "SERVING");
  server.Set("orders", false);
  AwaitHealth(t, Health::kUnhealthy);
  EXPECT_EQ(observer_.Transitions(t.Id()).back().cause.reason, "NOT_SERVING");
  server.Set("orders", true);
  AwaitHealth(t, Health::kHealthy);
  ExpectSentinelUndisturbed();
}

TEST_F(GrpcTest, TheWholeServerIsAskedAboutWhenNoServiceIsNamed) {
  HealthServer server;
  Target t = GrpcTarget("whole", server.port(), "");
  Start({t});
  AwaitHealth(t, Health::kHealthy);
  EXPECT_EQ(observer_.Transitions(t.Id()).back().cause.reason, "SERVING");
}

TEST_F(GrpcTest, AServiceTheServerDoesNotKnowIsUnhealthyWithTheRpcStatus) {
  HealthServer server;
  Target t = GrpcTarget("unknown", server.port(), "no.such.Service");
  Start({t});
  AwaitHealth(t, Health::kUnhealthy);
  std::string reason = observer_.Transitions(t.Id()).back().cause.reason;
  EXPECT_TRUE(reason.starts_with("rpc error: NOT_FOUND")) << reason;
}

TEST_F(GrpcTest, AServerThatNeverAnswersTimesOut) {
  testing::RawServer silent(
      [](int, const std::atomic<bool>& stopping) { testing::RawServer::Pause(60000, stopping); });
  Target t = GrpcTarget("silent", silent.port(), "");
  Start({t});
  ExpectUnhealthy(t, "timeout after 500ms");
  ExpectSentinelUndisturbed();
}

TEST_F(GrpcTest, AServerThatIsNotGrpcIsUnhealthyWithTheRpcError) {
  testing::RawServer plain(Respond("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
  Target t = GrpcTarget("plain", plain.port(), "");
  Start({t});
  AwaitHealth(t, Health::kUnhealthy);
  std::string reason = observer_.Transitions(t.Id()).back().cause.reason;
  EXPECT_TRUE(reason.starts_with("rpc error: UNAVAILABLE")) << reason;
  ExpectSentinelUndisturbed();
}

TEST_F(GrpcTest, NothingListeningIsUnhealthyAndAServerThatComesBackIsSeen) {
  int port = 0;
  {
    HealthServer first;  // learn a free port, then let it go
    port = first.port();
  }
  Target t = GrpcTarget("later", port, "");
  t.probe.period = 200ms;
  Start({t});
  AwaitHealth(t, Health::kUnhealthy);
  EXPECT_TRUE(observer_.LastReason(t.Id()).starts_with("rpc error: UNAVAILABLE"))
      << observer_.LastReason(t.Id());
  grpc::CallbackGenericService generic;
  int bound = 0;
  auto server = BuildHealthServer("127.0.0.1:" + std::to_string(port), &generic, &bound);
  ASSERT_NE(server, nullptr);
  AwaitHealth(t, Health::kHealthy);
  server->Shutdown(std::chrono::system_clock::now() + 1s);
}

TEST_F(GrpcTest, TlsVerifiesTheServerAndExportsItsCertificateExpiry) {
  TempDir dir;
  testing::TestCa ca;
  ca.WriteCert(dir.File("ca.pem"));
  testing::LeafSpec spec;
  spec.not_after = 48h;
  ca.Issue(spec, dir.File("leaf.pem"), dir.File("leaf.key"));
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back(
      {testing::ReadAll(dir.File("leaf.key")), testing::ReadAll(dir.File("leaf.pem"))});
  HealthServer server(grpc::SslServerCredentials(options));

  Target ok = GrpcTarget("tls-ok", server.port(), "");
  ok.probe.grpc.tls = true;
  ok.probe.grpc.tls_options.ca_file = dir.File("ca.pem");
  ok.probe.grpc.tls_options.server_name = "localhost";
  Target soon = ok;
  soon.service = "tls-soon";
  soon.probe.min_cert_validity = 168h;
  testing::TestCa other("another CA");
  other.WriteCert(dir.File("other.pem"));
  Target untrusted = ok;
  untrusted.service = "tls-untrusted";
  untrusted.probe.grpc.tls_options.ca_file = dir.File("other.pem");
  Target plaintext = GrpcTarget("plaintext", server.port(), "");
  Start({ok, soon, untrusted, plaintext});

  AwaitHealth(ok, Health::kHealthy);
  // A copy: Transitions() returns the list by value.
  const ProbeResult cause = observer_.Transitions(ok.Id()).back().cause;
  ASSERT_TRUE(cause.cert_not_after.has_value());
  EXPECT_LT(std::chrono::abs(*cause.cert_not_after - (std::chrono::system_clock::now() + 48h)),
            5min);
  AwaitHealth(soon, Health::kUnhealthy);
  EXPECT_TRUE(observer_.LastReason(soon.Id()).starts_with("TLS: certificate expires in 1d 23h"))
      << observer_.LastReason(soon.Id());
  AwaitHealth(untrusted, Health::kUnhealthy);
  EXPECT_TRUE(observer_.LastReason(untrusted.Id()).starts_with("rpc error: UNAVAILABLE"))
      << observer_.LastReason(untrusted.Id());
  AwaitHealth(plaintext, Health::kUnhealthy);
}

TEST_F(GrpcTest, HundredsOfTargetsAddNoThreads) {
  HealthServer server;
  Target first = GrpcTarget("t-first", server.port(), "");
  Start({first});
  AwaitHealth(first, Health::kHealthy);
  int before = ThreadCount();
  std::vector<Target> many;
  for (int i = 0; i < 300; ++i)
    many.push_back(GrpcTarget("t" + std::to_string(i), server.port(), ""));
  many.push_back(sentinel_);
  prober_->SetTargets(many);
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& t : many) {
          if (observer_.HealthOf(t.Id()) != Health::kHealthy) return false;
        }
        return true;
      },
      60s));
  // The server's own pool may grow with concurrent calls; the prober's side
  // adds none per target (one completion queue, one thread).
  EXPECT_LT(ThreadCount() - before, 20) << "before: " << before;
}

// A gRPC target's channel holds its connection between probes like a
// kept-alive HTTP connection does, so it counts against the same budget:
// beyond it, targets are probed on a fresh channel each time and stay
// healthy, and the process never holds more connections than the budget
// (fd limit 400: 100 kept, at most 100 in flight).
TEST_F(GrpcTest, ChannelsBeyondTheKeepAliveBudgetAreProbedFreshAndStayHealthy) {
  HealthServer server;
  std::vector<Target> many;
  for (int i = 0; i < 300; ++i) {
    Target t = GrpcTarget("b" + std::to_string(i), server.port(), "");
    t.probe.period = 300ms;
    t.probe.timeout = 5s;  // a shared machine: no false timeouts
    t.probe.failure_threshold = 1;
    many.push_back(std::move(t));
  }
  ProberOptions options;
  options.fd_limit = 400;
  Start(many, options);
  int most = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        most = std::max(most, ConnectionsTo(server.port()));
        for (const auto& t : many) {
          if (observer_.ResultCount(t.Id()) < 3) return false;
        }
        return true;
      },
      60s));
  EXPECT_EQ(FirstFailure(observer_, many), "");
  for (const auto& t : many) ASSERT_EQ(observer_.HealthOf(t.Id()), Health::kHealthy) << t.Id();
  EXPECT_LE(most, 200);
  EXPECT_GE(most, 50);  // the kept ones are kept
  prober_->Stop();      // before the server goes
}

// The process runs out of descriptors while gRPC targets are probed on fresh
// channels (a 10-descriptor budget: most of the 30 targets are beyond it):
// gRPC's failed connects are local errors, retried, and no target is blamed;
// when the descriptors come back every target is probed again.
TEST_F(GrpcTest, RunningOutOfDescriptorsIsALocalErrorNotATargetFailure) {
  int port = registrar::testing::FreePort();  // the server in its own process keeps its descriptors
  auto server = registrar::testing::Process::Start({HEALTH_SERVER, std::to_string(port)});
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(WaitFor([&] { return registrar::testing::CanConnect(port); })) << (*server)->Log();
  std::vector<Target> many;
  for (int i = 0; i < 30; ++i) {
    Target t = GrpcTarget("e" + std::to_string(i), port, "");
    t.probe.period = 200ms;
    t.probe.timeout = 5s;
    t.probe.failure_threshold = 1;
    many.push_back(std::move(t));
  }
  ProberOptions options;
  options.fd_limit = 210;
  Start(many, options);
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& t : many) {
      if (observer_.ResultCount(t.Id()) < 1) return false;
    }
    return true;
  }));
  // Take every free descriptor below the limit, and again at each poll: a
  // probe that ends frees its descriptors, and on a slow machine the next
  // probe would otherwise find them free and never meet EMFILE.
  registrar::testing::DescriptorHog hog;
  hog.TakeFree();
  bool hit = WaitFor(
      [&] {
        hog.TakeFree();
        return observer_.LocalErrors("emfile") >= 10;
      },
      20s);
  hog.Release();
  ASSERT_TRUE(hit) << "local errors: " << observer_.LocalErrors()
                   << "; a failure: " << FirstFailure(observer_, many);
  size_t before = 0;
  for (const auto& t : many) before += observer_.ResultCount(t.Id());
  EXPECT_TRUE(WaitFor([&] {
    size_t after = 0;
    for (const auto& t : many) after += observer_.ResultCount(t.Id());
    return after >= before + 60;
  }));
  EXPECT_EQ(FirstFailure(observer_, many), "");
  for (const auto& t : many) ASSERT_EQ(observer_.HealthOf(t.Id()), Health::kHealthy) << t.Id();
  prober_->Stop();  // before the server goes
}

}  // namespace
}  // namespace registrar::probes
