// Every failure class comes from a real failure of its kind on loopback, set
// by the transport that saw it: a name that does not resolve (the tiny DNS
// server answering NXDOMAIN), nothing listening, a server that never
// answers, one that resets, one that speaks no HTTP, a TLS handshake with a
// plain HTTP server, a 503, a body that does not match, a gRPC call nobody
// answers, a command that exits 1. Each test runs on both probe paths
// (direct sockets and libcurl) where both carry the kind.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "probes/prober.h"
#include "tests/probes/prober_fixture.h"
#include "tests/probes/raw_server.h"
#include "tests/probes/recording_observer.h"
#include "tests/support/http_backend.h"
#include "tests/support/ports.h"
#include "tests/support/tiny_dns.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::RawServer;

class FailureClassTest : public ProberTest {
 protected:
  // Probes every target until each has failed at least once; returns each
  // target's first failed result by service name.
  std::map<std::string, ProbeResult> FirstFailures(std::vector<Target> targets,
                                                   ProberOptions options = {}) {
    for (Target& t : targets) {
      t.probe.timeout = milliseconds(400);
      t.probe.period = milliseconds(500);
    }
    Start(targets, options);
    std::map<std::string, ProbeResult> out;
    EXPECT_TRUE(registrar::testing::WaitFor(
        [&] {
          for (const Target& t : targets) {
            if (!out.contains(t.service)) {
              for (const auto& e : observer_.Results(t.Id())) {
                if (!e.result.ok && !out.contains(t.service)) out[t.service] = e.result;
              }
            }
          }
          return out.size() == targets.size();
        },
        seconds(30)));
    return out;
  }
};

// Accepts connections, reads a request, and closes with SO_LINGER {1, 0}:
// the client sees an RST. (RawServer closes its connections only when it
// stops, after a FIN.)
class ResettingServer final {
 public:
  ResettingServer() : fd_(registrar::testing::ListenOnLoopback(16, &port_)) {
    thread_ = std::thread([this] {
      for (;;) {
        int conn = accept(fd_, nullptr, nullptr);
        if (conn < 0) return;  // the listener was shut down
        char buffer[1024];
        (void)recv(conn, buffer, sizeof(buffer), 0);
        linger lg{1, 0};
        setsockopt(conn, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(conn);
      }
    });
  }
  ~ResettingServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }

 private:
  int port_ = 0;
  int fd_;
  std::thread thread_;
};

TEST_P(FailureClassTest, EachNetworkFailureCarriesTheClassOfWhatHappened) {
  registrar::testing::HttpBackend failing;
  failing.SetStatus(503);
  registrar::testing::HttpBackend ok;
  RawServer silent([](int, const std::atomic<bool>& stopping) {
    while (!stopping.load()) RawServer::Pause(50, stopping);
  });
  ResettingServer resets;
  RawServer garbage([](int fd, const std::atomic<bool>& stopping) {
    if (RawServer::ReadRequestHead(fd, stopping)) RawServer::WriteAll(fd, "garbage\r\n\r\n");
  });
  const int nothing = registrar::testing::FreePort();

  Target status = HttpTarget("status", failing.port());
  Target body = HttpTarget("body", ok.port());
  body.probe.http_get.body_regex = "^never this$";
  Target tls = HttpTarget("tls", ok.port());
  tls.probe.http_get.scheme = "HTTPS";
  tls.probe.http_get.tls.insecure_skip_verify = true;
  const std::map<std::string, ProbeResult> got = FirstFailures({
      status,
      body,
      tls,
      HttpTarget("refused", nothing),
      HttpTarget("timeout", silent.port()),
      HttpTarget("reset", resets.port()),
      HttpTarget("protocol", garbage.port()),
      TcpTarget("tcp_refused", nothing),
  });
  const std::map<std::string, FailureClass> want = {
      {"status", FailureClass::kHttpStatus}, {"body", FailureClass::kBody},
      {"tls", FailureClass::kTls},           {"refused", FailureClass::kRefused},
      {"timeout", FailureClass::kTimeout},   {"reset", FailureClass::kReset},
      {"protocol", FailureClass::kProtocol}, {"tcp_refused", FailureClass::kRefused},
  };
  for (const auto& [service, failure] : want) {
    ASSERT_TRUE(got.contains(service)) << service;
    EXPECT_EQ(FailureClassName(got.at(service).failure), FailureClassName(failure))
        << service << ": " << got.at(service).reason;
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, FailureClassTest, ::testing::Bool(), PathName);

// A name that does not resolve (c-ares on the loop, against the tiny DNS
// server answering NXDOMAIN) fails as dns, whatever text c-ares gives.
TEST(FailureClass, ANameThatDoesNotResolveIsDns) {
  registrar::testing::TinyDns dns;
  dns.answering.store(false);
  RecordingObserver observer;
  SystemRandom random{1};
  ProberOptions options;
  options.dns_servers = {dns.server()};
  auto prober = Prober::Create(RealClock(), random, options, &observer);
  Target t;
  t.service = "named";
  t.host = "nowhere.registrar.test";
  t.port = 80;
  t.probe.period = milliseconds(200);
  t.probe.timeout = seconds(5);
  prober->SetTargets({t});
  prober->Start();
  ASSERT_TRUE(registrar::testing::WaitFor([&] { return observer.Failures() > 0; }, seconds(30)));
  prober->Stop();
  const ProbeResult r = observer.Results(t.Id()).front().result;
  EXPECT_EQ(FailureClassName(r.failure), "dns") << r.reason;
}

TEST(FailureClass, ACommandThatExitsNonZeroIsExecAndOneThatHangsIsTimeout) {
  RecordingObserver observer;
  SystemRandom random{1};
  auto prober = Prober::Create(RealClock(), random, {}, &observer);
  Target exits;
  exits.service = "exits";
  exits.host = "127.0.0.1";
  exits.port = 1;
  exits.probe.kind = ProbeKind::kExec;
  exits.probe.exec.command = {"false"};
  exits.probe.period = milliseconds(300);
  exits.probe.timeout = seconds(5);
  Target hangs = exits;
  hangs.service = "hangs";
  hangs.probe.exec.command = {"sleep", "30"};
  hangs.probe.timeout = milliseconds(300);
  hangs.probe.period = seconds(1);
  prober->SetTargets({exits, hangs});
  prober->Start();
  ASSERT_TRUE(registrar::testing::WaitFor(
      [&] { return observer.ResultCount(exits.Id()) > 0 && observer.ResultCount(hangs.Id()) > 0; },
      seconds(30)));
  prober->Stop();
  EXPECT_EQ(FailureClassName(observer.Results(exits.Id()).front().result.failure), "exec");
  EXPECT_EQ(FailureClassName(observer.Results(hangs.Id()).front().result.failure), "timeout");
}

// gRPC says UNAVAILABLE for a server that is not there; the class is the
// call's status.
TEST(FailureClass, AGrpcCallThatFailsIsGrpcStatus) {
  RecordingObserver observer;
  SystemRandom random{1};
  auto prober = Prober::Create(RealClock(), random, {}, &observer);
  Target t;
  t.service = "grpc";
  t.host = "127.0.0.1";
  t.port = registrar::testing::FreePort();
  t.probe.kind = ProbeKind::kGrpc;
  t.probe.period = milliseconds(300);
  t.probe.timeout = seconds(5);
  prober->SetTargets({t});
  prober->Start();
  ASSERT_TRUE(registrar::testing::WaitFor([&] { return observer.Failures() > 0; }, seconds(30)));
  prober->Stop();
  const ProbeResult r = observer.Results(t.Id()).front().result;
  EXPECT_EQ(FailureClassName(r.failure), "grpc_status") << r.reason;
}

TEST(FailureClass, APassingProbeHasNoClass) {
  registrar::testing::HttpBackend ok;
  RecordingObserver observer;
  SystemRandom random{1};
  auto prober = Prober::Create(RealClock(), random, {}, &observer);
  Target t;
  t.service = "ok";
  t.host = "127.0.0.1";
  t.port = ok.port();
  t.probe.period = milliseconds(200);
  prober->SetTargets({t});
  prober->Start();
  ASSERT_TRUE(registrar::testing::WaitFor([&] { return observer.ResultCount(t.Id()) > 0; }));
  prober->Stop();
  const ProbeResult r = observer.Results(t.Id()).front().result;
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.failure, FailureClass::kNone);
}

}  // namespace
}  // namespace registrar::probes
