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

// A target on loopback probed every 200 ms, each probe failing after 400 ms.
Target Local(const std::string& service, int port, ProbeKind kind = ProbeKind::kHttpGet) {
  Target t;
  t.service = service;
  t.host = "127.0.0.1";
  t.port = port;
  t.probe.kind = kind;
  t.probe.http_get.path = "/healthz";
  t.probe.period = milliseconds(200);
  t.probe.timeout = milliseconds(400);
  return t;
}

// Probes `targets` with a real Prober until each has a result; returns each
// target's first result by service name.
std::map<std::string, ProbeResult> FirstResults(const std::vector<Target>& targets,
                                                ProberOptions options = {}) {
  RecordingObserver observer;
  SystemRandom random{1};
  auto prober = Prober::Create(RealClock(), random, options, &observer);
  prober->SetTargets(targets);
  prober->Start();
  EXPECT_TRUE(registrar::testing::WaitFor(
      [&] {
        for (const Target& t : targets) {
          if (observer.ResultCount(t.Id()) == 0) return false;
        }
        return true;
      },
      seconds(30)));
  prober->Stop();
  std::map<std::string, ProbeResult> out;
  for (const Target& t : targets) {
    auto results = observer.Results(t.Id());
    if (!results.empty()) out[t.service] = results.front().result;
  }
  return out;
}

// Expects each service's first result to have failed with its class.
void ExpectClasses(const std::map<std::string, ProbeResult>& got,
                   const std::map<std::string, FailureClass>& want) {
  for (const auto& [service, failure] : want) {
    ASSERT_TRUE(got.contains(service)) << service;
    EXPECT_FALSE(got.at(service).ok) << service;
    EXPECT_EQ(FailureClassName(got.at(service).failure), FailureClassName(failure))
        << service << ": " << got.at(service).reason;
  }
}

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

class FailureClassTest : public ::testing::TestWithParam<bool> {};

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

  Target body = Local("body", ok.port());
  body.probe.http_get.body_regex = "^never this$";
  Target tls = Local("tls", ok.port());
  tls.probe.http_get.scheme = "HTTPS";
  tls.probe.http_get.tls.insecure_skip_verify = true;
  ProberOptions options;
  options.direct_sockets = GetParam();
  ExpectClasses(FirstResults(
                    {
                        Local("status", failing.port()),
                        body,
                        tls,
                        Local("refused", nothing),
                        Local("timeout", silent.port()),
                        Local("reset", resets.port()),
                        Local("protocol", garbage.port()),
                        Local("tcp_refused", nothing, ProbeKind::kTcpSocket),
                    },
                    options),
                {
                    {"status", FailureClass::kHttpStatus},
                    {"body", FailureClass::kBody},
                    {"tls", FailureClass::kTls},
                    {"refused", FailureClass::kRefused},
                    {"timeout", FailureClass::kTimeout},
                    {"reset", FailureClass::kReset},
                    {"protocol", FailureClass::kProtocol},
                    {"tcp_refused", FailureClass::kRefused},
                });
}

INSTANTIATE_TEST_SUITE_P(Paths, FailureClassTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Direct" : "Curl");
                         });

// A name that does not resolve (c-ares on the loop, against the tiny DNS
// server answering NXDOMAIN) fails as dns, whatever text c-ares gives.
TEST(FailureClass, ANameThatDoesNotResolveIsDns) {
  registrar::testing::TinyDns dns;
  dns.answering.store(false);
  ProberOptions options;
  options.dns_servers = {dns.server()};
  Target named = Local("named", 80);
  named.host = "nowhere.registrar.test";
  named.probe.timeout = seconds(5);
  ExpectClasses(FirstResults({named}, options), {{"named", FailureClass::kDns}});
}

TEST(FailureClass, ACommandThatExitsNonZeroIsExecAndOneThatHangsIsTimeout) {
  Target exits = Local("exits", 1, ProbeKind::kExec);
  exits.probe.exec.command = {"false"};
  exits.probe.timeout = seconds(5);
  Target hangs = Local("hangs", 1, ProbeKind::kExec);
  hangs.probe.exec.command = {"sleep", "30"};
  ExpectClasses(FirstResults({exits, hangs}),
                {{"exits", FailureClass::kExec}, {"hangs", FailureClass::kTimeout}});
}

// gRPC says UNAVAILABLE for a server that is not there; the class is the
// call's status.
TEST(FailureClass, AGrpcCallThatFailsIsGrpcStatus) {
  Target grpc = Local("grpc", registrar::testing::FreePort(), ProbeKind::kGrpc);
  grpc.probe.timeout = seconds(5);
  ExpectClasses(FirstResults({grpc}), {{"grpc", FailureClass::kGrpcStatus}});
}

TEST(FailureClass, APassingProbeHasNoClass) {
  registrar::testing::HttpBackend ok;
  const ProbeResult r = FirstResults({Local("ok", ok.port())})["ok"];
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.failure, FailureClass::kNone);
}

}  // namespace
}  // namespace registrar::probes
