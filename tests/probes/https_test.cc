// HTTPS probes on kept-alive and fresh TLS connections against a TLS server
// that counts connections and resumed handshakes: one connection for many
// kept-alive probes, session resumption on fresh ones, a stale kept
// connection retried once fresh, the leaf's expiry exported every time.
#include <gtest/gtest.h>

#include "tests/probes/prober_fixture.h"
#include "tests/probes/test_certs.h"
#include "tests/probes/tls_server.h"
#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

using namespace std::chrono_literals;
using registrar::testing::TempDir;
using registrar::testing::WaitFor;

class HttpsTest : public ProberTest {
 protected:
  void SetUp() override {
    ca_.WriteCert(dir_.File("ca.pem"));
    ca_.Issue({}, dir_.File("leaf.pem"), dir_.File("leaf.key"));
  }

  Target Https(const std::string& service, int port) {
    Target t = HttpTarget(service, port);
    t.probe.http_get.scheme = "HTTPS";
    t.probe.http_get.tls.ca_file = dir_.File("ca.pem");
    t.probe.period = 20ms;
    return t;
  }

  // `count` probes, all healthy, each with the leaf's expiry (30 days).
  void ExpectOkWithExpiry(const Target& t, size_t count) {
    ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(t.Id()) >= count; }))
        << observer_.LastReason(t.Id());
    auto expected = std::chrono::system_clock::now() + 24h * 30;
    for (const auto& e : observer_.Results(t.Id())) {
      EXPECT_TRUE(e.result.ok) << e.result.reason;
      ASSERT_TRUE(e.result.cert_not_after.has_value()) << e.result.reason;
      EXPECT_LT(std::chrono::abs(*e.result.cert_not_after - expected), 5min);
    }
  }

  TempDir dir_;
  testing::TestCa ca_;
};

TEST_P(HttpsTest, KeptAliveProbesShareOneTlsConnection) {
  testing::TlsServer server(dir_.File("leaf.pem"), dir_.File("leaf.key"));
  Target t = Https("kept", server.port());
  Start({t});
  ExpectOkWithExpiry(t, 10);
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(server.handshakes(), 1);
}

TEST_P(HttpsTest, FreshConnectionsResumeTheSession) {
  testing::TlsServer server(dir_.File("leaf.pem"), dir_.File("leaf.key"));
  Target t = Https("fresh", server.port());
  t.probe.reuse_connections = false;
  Start({t});
  ExpectOkWithExpiry(t, 6);  // a resumed session still tells the leaf's expiry
  ASSERT_TRUE(WaitFor([&] { return server.handshakes() >= 6; }));
  EXPECT_GE(server.accepted(), 6);
  // Every handshake after the first (which got the ticket) resumed.
  EXPECT_GE(server.resumed(), server.handshakes() - 2) << server.handshakes();
}

TEST_P(HttpsTest, AStaleKeptTlsConnectionIsRetriedFresh) {
  testing::TlsServer server(dir_.File("leaf.pem"), dir_.File("leaf.key"), /*answers=*/1);
  Target t = Https("stale", server.port());
  Start({t});
  ExpectOkWithExpiry(t, 10);
  EXPECT_GE(server.accepted(), 10);  // each probe after the first needed a retry
}

TEST_P(HttpsTest, AClientCertificateIsPresentedWhenConfigured) {
  ca_.Issue({.common_name = "prober", .dns_names = {}, .ip_addresses = {}}, dir_.File("client.pem"),
            dir_.File("client.key"));
  testing::TlsServer server(dir_.File("leaf.pem"), dir_.File("leaf.key"), 0, dir_.File("ca.pem"));
  Target with = Https("with-cert", server.port());
  with.probe.http_get.tls.cert_file = dir_.File("client.pem");
  with.probe.http_get.tls.key_file = dir_.File("client.key");
  Target without = Https("without-cert", server.port());
  Target broken = with;
  broken.service = "broken-key";
  broken.probe.http_get.tls.key_file = dir_.File("missing.key");
  Start({with, without, broken});
  ExpectOkWithExpiry(with, 5);
  ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(without.Id()) >= 2; }));
  for (const auto& e : observer_.Results(without.Id())) EXPECT_FALSE(e.result.ok);
  ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(broken.Id()) >= 1; }));
  EXPECT_EQ(observer_.Results(broken.Id()).front().result.reason,
            "TLS: client certificate problem");
}

TEST_P(HttpsTest, NothingListeningIsAConnectFailureWithoutAnExpiry) {
  Target t = Https("refused", registrar::testing::FreePort());
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(t.Id()) >= 3; }));
  for (const auto& e : observer_.Results(t.Id())) {
    EXPECT_EQ(e.result.reason, "connection refused");
    EXPECT_FALSE(e.result.cert_not_after.has_value());
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, HttpsTest, ::testing::Bool(), PathName);

}  // namespace
}  // namespace registrar::probes
