// HTTPS probes against `openssl s_server` with a self-signed certificate
// generated per test run: verification, CA file, SNI name, skip-verify and
// handshake failures, each with its reason. Both paths: the direct one (TLS on
// the prober's sockets) and libcurl; the direct one names OpenSSL's cause
// after libcurl's reason.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/probes/hostile_fixture.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

using registrar::testing::CanConnect;
using registrar::testing::Process;
using registrar::testing::RunCommand;
using registrar::testing::TempDir;
using registrar::testing::WaitFor;

class TlsTest : public HostileTest {
 protected:
  void SetUp() override {
    int code = -1;
    RunCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout",
                dir_.File("key.pem"), "-out", dir_.File("cert.pem")},
               &code);
    ASSERT_EQ(code, 0) << "openssl req failed";
    port_ = registrar::testing::FreePort();
    auto server = Process::Start({"openssl", "s_server", "-quiet", "-www", "-accept",
                                  "127.0.0.1:" + std::to_string(port_), "-cert",
                                  dir_.File("cert.pem"), "-key", dir_.File("key.pem")});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_TRUE(WaitFor([&] { return CanConnect(port_); })) << server_->Log();
  }

  // Unhealthy with libcurl's `reason`, followed on the direct path by
  // ": <cause>".
  void ExpectFails(const Target& t, const std::string& reason, const std::string& cause) {
    ExpectUnhealthy(t, direct_ ? reason + ": " + cause : reason);
  }

  Target Https(const std::string& service) {
    Target t = HttpTarget(service, port_);
    t.probe.http_get.scheme = "HTTPS";
    return t;
  }

  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Process> server_;
};

TEST_P(TlsTest, ASelfSignedCertificateFailsVerification) {
  Target t = Https("self-signed");
  Start({t});
  ExpectFails(t, "TLS: certificate verify failed", "self-signed certificate");
  ExpectSentinelUndisturbed();
  // Verification is cheap after the trust store's one-time load.
  for (const auto& e : observer_.Results(t.Id())) EXPECT_LT(e.result.latency, milliseconds(100));
}

TEST_P(TlsTest, TheCertificateIsTrustedThroughCaFile) {
  Target t = Https("trusted");
  t.probe.http_get.tls.ca_file = dir_.File("cert.pem");
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kHealthy; }))
      << observer_.LastReason(t.Id());
  EXPECT_EQ(observer_.Transitions(t.Id())[0].cause.reason, "status 200");
}

TEST_P(TlsTest, InsecureSkipVerifyAcceptsAnyCertificate) {
  Target t = Https("insecure");
  t.probe.http_get.tls.insecure_skip_verify = true;
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kHealthy; }))
      << observer_.LastReason(t.Id());
}

TEST_P(TlsTest, ServerNameIsWhatTheCertificateMustMatch) {
  Target good = Https("sni-good");
  good.probe.http_get.tls.ca_file = dir_.File("cert.pem");
  good.probe.http_get.tls.server_name = "localhost";
  Target bad = Https("sni-bad");
  bad.probe.http_get.tls.ca_file = dir_.File("cert.pem");
  bad.probe.http_get.tls.server_name = "other.example";
  Start({good, bad});
  ExpectFails(bad, "TLS: certificate verify failed", "hostname mismatch");
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(good.Id()) == Health::kHealthy; }))
      << observer_.LastReason(good.Id());
}

TEST_P(TlsTest, AnUnreadableCaFileIsReported) {
  Target t = Https("bad-ca");
  t.probe.http_get.tls.ca_file = dir_.File("missing.pem");
  Start({t});
  ExpectUnhealthy(t, "TLS: bad CA file");
}

TEST_P(TlsTest, HandshakeFailureAgainstAPlainHttpServer) {
  // Answers in plain HTTP at once, before any request (so before reading the
  // TLS ClientHello): the client sees a non-TLS record.
  testing::RawServer plain([](int fd, const std::atomic<bool>&) {
    testing::RawServer::WriteAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  });
  Target t = HttpTarget("plain", plain.port());
  t.probe.http_get.scheme = "HTTPS";
  Start({t});
  ExpectFails(t, "TLS: handshake failed", "wrong version number");
  ExpectSentinelUndisturbed();
}

INSTANTIATE_TEST_SUITE_P(BothPaths, TlsTest, ::testing::Values(true, false), PathName);

}  // namespace
}  // namespace registrar::probes
