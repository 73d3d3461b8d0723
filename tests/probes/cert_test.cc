// tlsSocket probes and certificate expiry against `openssl s_server` with
// certificates made in the test: valid, expired, wrong host, expiring inside
// minCertValidity, unknown CA. Every test runs on both paths: the direct
// TLS socket (IP targets) and libcurl (ProberOptions::direct_sockets off).
#include <gtest/gtest.h>

#include "tests/probes/prober_fixture.h"
#include "tests/probes/test_certs.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

using namespace std::chrono_literals;
using registrar::testing::CanConnect;
using registrar::testing::Process;
using registrar::testing::TempDir;
using registrar::testing::WaitFor;

class CertTest : public ProberTest {
 protected:
  void SetUp() override { ca_.WriteCert(dir_.File("ca.pem")); }

  // Serves TLS with a leaf from `spec` signed by the test CA.
  void Serve(const testing::LeafSpec& spec) {
    ca_.Issue(spec, dir_.File("leaf.pem"), dir_.File("leaf.key"));
    port_ = registrar::testing::FreePort();
    auto server = Process::Start({"openssl", "s_server", "-quiet", "-www", "-accept",
                                  "127.0.0.1:" + std::to_string(port_), "-cert",
                                  dir_.File("leaf.pem"), "-key", dir_.File("leaf.key")});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_TRUE(WaitFor([&] { return CanConnect(port_); })) << server_->Log();
  }

  Target TlsSocket(const std::string& service) {
    Target t = HttpTarget(service, port_);
    t.probe.kind = ProbeKind::kTlsSocket;
    t.probe.tls_socket.tls.ca_file = dir_.File("ca.pem");
    t.probe.period = 200ms;
    return t;
  }

  Transition AwaitTransition(const Target& t) {
    EXPECT_TRUE(WaitFor([&] { return !observer_.Transitions(t.Id()).empty(); }))
        << t.Id() << " last reason: " << observer_.LastReason(t.Id());
    auto transitions = observer_.Transitions(t.Id());
    return transitions.empty() ? Transition{} : transitions.front();
  }

  // The exported expiry is the leaf's, to the second.
  static void ExpectNotAfter(const ProbeResult& r, Duration from_now) {
    ASSERT_TRUE(r.cert_not_after.has_value()) << r.reason;
    auto expected = std::chrono::system_clock::now() + from_now;
    EXPECT_LT(std::chrono::abs(*r.cert_not_after - expected), 5min);
  }

  TempDir dir_;
  testing::TestCa ca_;
  int port_ = 0;
  std::unique_ptr<Process> server_;
};

TEST_P(CertTest, AValidCertificatePassesAndItsExpiryIsExported) {
  Serve({});
  Target t = TlsSocket("valid");
  Start({t});
  Transition tr = AwaitTransition(t);
  EXPECT_EQ(tr.to, Health::kHealthy) << tr.cause.reason;
  EXPECT_EQ(tr.cause.reason, "TLS handshake ok");
  ExpectNotAfter(tr.cause, 24h * 30);
}

TEST_P(CertTest, AnExpiredCertificateFailsVerificationAndItsExpiryIsStillExported) {
  testing::LeafSpec spec;
  spec.not_before = -48h;
  spec.not_after = -24h;
  Serve(spec);
  Target t = TlsSocket("expired");
  Start({t});
  Transition tr = AwaitTransition(t);
  EXPECT_EQ(tr.to, Health::kUnhealthy);
  EXPECT_TRUE(tr.cause.reason.starts_with("TLS: certificate verify failed")) << tr.cause.reason;
  if (GetParam()) {  // the direct path says why and still read the leaf
    EXPECT_EQ(tr.cause.reason, "TLS: certificate verify failed: certificate has expired");
    ExpectNotAfter(tr.cause, -24h);
  }
}

TEST_P(CertTest, ACertificateForAnotherHostFailsVerification) {
  testing::LeafSpec spec;
  spec.common_name = "other.example";
  spec.dns_names = {"other.example"};
  spec.ip_addresses = {};
  Serve(spec);
  Target by_ip = TlsSocket("wrong-ip");
  Target by_name = TlsSocket("wrong-name");
  by_name.probe.tls_socket.tls.server_name = "localhost";
  Target right_name = TlsSocket("right-name");
  right_name.probe.tls_socket.tls.server_name = "other.example";
  Start({by_ip, by_name, right_name});
  for (const Target& t : {by_ip, by_name}) {
    Transition tr = AwaitTransition(t);
    EXPECT_EQ(tr.to, Health::kUnhealthy) << t.Id();
    EXPECT_TRUE(tr.cause.reason.starts_with("TLS: certificate verify failed")) << tr.cause.reason;
  }
  if (GetParam()) {
    EXPECT_EQ(AwaitTransition(by_ip).cause.reason,
              "TLS: certificate verify failed: IP address mismatch");
    EXPECT_EQ(AwaitTransition(by_name).cause.reason,
              "TLS: certificate verify failed: hostname mismatch");
  }
  EXPECT_EQ(AwaitTransition(right_name).to, Health::kHealthy)
      << AwaitTransition(right_name).cause.reason;
}

TEST_P(CertTest, ACertificateExpiringInsideMinCertValidityFailsBeforeItRunsOut) {
  testing::LeafSpec spec;
  spec.not_after = 48h;
  Serve(spec);
  Target week = TlsSocket("week");
  week.probe.min_cert_validity = 168h;
  Target day = TlsSocket("day");
  day.probe.min_cert_validity = 24h;
  Start({week, day});
  Transition tr = AwaitTransition(week);
  EXPECT_EQ(tr.to, Health::kUnhealthy);
  EXPECT_TRUE(tr.cause.reason.starts_with("TLS: certificate expires in 1d 23h (at "))
      << tr.cause.reason;
  EXPECT_TRUE(tr.cause.reason.ends_with("), less than minCertValidity 168h")) << tr.cause.reason;
  ExpectNotAfter(tr.cause, 48h);
  EXPECT_EQ(AwaitTransition(day).to, Health::kHealthy) << AwaitTransition(day).cause.reason;
}

TEST_P(CertTest, ACertificateFromAnUnknownCaFailsVerification) {
  Serve({});
  testing::TestCa other("another CA");
  other.WriteCert(dir_.File("other-ca.pem"));
  Target t = TlsSocket("unknown-ca");
  t.probe.tls_socket.tls.ca_file = dir_.File("other-ca.pem");
  Start({t});
  Transition tr = AwaitTransition(t);
  EXPECT_EQ(tr.to, Health::kUnhealthy);
  EXPECT_TRUE(tr.cause.reason.starts_with("TLS: certificate verify failed")) << tr.cause.reason;
  if (GetParam()) {
    EXPECT_EQ(tr.cause.reason,
              "TLS: certificate verify failed: unable to get local issuer certificate");
  }
}

TEST_P(CertTest, InsecureSkipVerifyAcceptsAnExpiredCertificateUnlessMinCertValidityIsSet) {
  testing::LeafSpec spec;
  spec.not_before = -48h;
  spec.not_after = -2h;
  Serve(spec);
  Target lax = TlsSocket("lax");
  lax.probe.tls_socket.tls.insecure_skip_verify = true;
  Target strict = lax;
  strict.service = "strict";
  strict.probe.min_cert_validity = 1h;
  Start({lax, strict});
  Transition tr = AwaitTransition(lax);
  EXPECT_EQ(tr.to, Health::kHealthy) << tr.cause.reason;
  ExpectNotAfter(tr.cause, -2h);
  tr = AwaitTransition(strict);
  EXPECT_EQ(tr.to, Health::kUnhealthy);
  EXPECT_TRUE(tr.cause.reason.starts_with("TLS: certificate expired 2h 0m ago")) << tr.cause.reason;
}

TEST_P(CertTest, NothingListeningIsAConnectFailure) {
  port_ = registrar::testing::FreePort();
  Target t = TlsSocket("refused");
  Start({t});
  Transition tr = AwaitTransition(t);
  EXPECT_EQ(tr.to, Health::kUnhealthy);
  EXPECT_EQ(tr.cause.reason, "connection refused");
  EXPECT_FALSE(tr.cause.cert_not_after.has_value());
}

TEST_P(CertTest, HttpsExportsTheLeafExpiryAndHonoursMinCertValidity) {
  testing::LeafSpec spec;
  spec.not_after = 48h;
  Serve(spec);
  Target ok = HttpTarget("https-ok", port_);
  ok.probe.http_get.scheme = "HTTPS";
  ok.probe.http_get.path = "/";
  ok.probe.http_get.tls.ca_file = dir_.File("ca.pem");
  Target soon = ok;
  soon.service = "https-soon";
  soon.probe.min_cert_validity = 168h;
  Start({ok, soon});
  Transition tr = AwaitTransition(ok);
  EXPECT_EQ(tr.to, Health::kHealthy) << tr.cause.reason;
  ExpectNotAfter(tr.cause, 48h);
  tr = AwaitTransition(soon);
  EXPECT_EQ(tr.to, Health::kUnhealthy);
  EXPECT_TRUE(tr.cause.reason.starts_with("TLS: certificate expires in 1d 23h")) << tr.cause.reason;
}

TEST_P(CertTest, HttpsToAnExpiredMisnamedOrUnknownCertificateFailsVerification) {
  struct Case {
    const char* service;
    testing::LeafSpec leaf;
    bool other_ca;
    const char* cause;  // the direct path's detail
  };
  testing::LeafSpec expired;
  expired.not_before = -48h;
  expired.not_after = -24h;
  testing::LeafSpec misnamed;
  misnamed.dns_names = {"other.example"};
  misnamed.ip_addresses = {};
  testing::TestCa other("another CA");
  other.WriteCert(dir_.File("other-ca.pem"));
  for (const Case& c : {Case{"expired", expired, false, "certificate has expired"},
                        Case{"misnamed", misnamed, false, "IP address mismatch"},
                        Case{"unknown-ca", {}, true, "unable to get local issuer certificate"}}) {
    Serve(c.leaf);
    Target t = HttpTarget(c.service, port_);
    t.probe.http_get.scheme = "HTTPS";
    t.probe.http_get.path = "/";
    t.probe.http_get.tls.ca_file = dir_.File(c.other_ca ? "other-ca.pem" : "ca.pem");
    Start({t});
    Transition tr = AwaitTransition(t);
    EXPECT_EQ(tr.to, Health::kUnhealthy) << c.service;
    EXPECT_EQ(tr.cause.reason, GetParam()
                                   ? std::string("TLS: certificate verify failed: ") + c.cause
                                   : std::string("TLS: certificate verify failed"));
    // libcurl checks the name after its verify callback: no leaf for that one.
    EXPECT_TRUE(!GetParam() || tr.cause.cert_not_after.has_value()) << c.service;
    prober_->Stop();
    prober_.reset();
  }
}

TEST_P(CertTest, ATlsSocketProbeToAHostNameWorksToo) {
  Serve({});
  Target t = TlsSocket("by-name");
  t.host = "localhost";
  Start({t});
  Transition tr = AwaitTransition(t);
  EXPECT_EQ(tr.to, Health::kHealthy) << tr.cause.reason;
  ExpectNotAfter(tr.cause, 24h * 30);
}

INSTANTIATE_TEST_SUITE_P(Paths, CertTest, ::testing::Bool(), PathName);

}  // namespace
}  // namespace registrar::probes
