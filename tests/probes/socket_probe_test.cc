// Which targets the direct path takes; the rest stay on libcurl.
#include "probes/transports/socket_probe.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "probes/event_loop.h"
#include "probes/transports/curl_transport.h"
#include "probes/transports/keep_alive.h"
#include "probes/transports/tls_connection.h"
#include "probes/transports/transport.h"
#include "probes/transports/trust_stores.h"

namespace registrar::probes {
namespace {

struct Case {
  const char* what;
  std::string host;
  std::function<void(ProbeSpec&)> change;
  bool direct;
};

void ExpectDirect(const std::vector<Case>& cases, bool names, bool tls = false) {
  for (const auto& c : cases) {
    Target t;
    t.service = "s";
    t.host = c.host;
    t.port = 8080;
    c.change(t.probe);
    EXPECT_EQ(SocketProbe::Supports(t, names, tls), c.direct) << c.what;
  }
}

TEST(SocketProbeTest, PlainHttpAndTcpToAddressesRunDirectNamesTlsAndRedirectsDoNot) {
  auto tcp = [](ProbeSpec& p) { p.kind = ProbeKind::kTcpSocket; };
  auto none = [](ProbeSpec&) {};
  const std::vector<Case> cases = {
      {"IPv4", "127.0.0.1", none, true},
      {"IPv6", "::1", none, true},
      {"lower-case scheme", "10.1.2.3", [](ProbeSpec& p) { p.http_get.scheme = "http"; }, true},
      {"TCP to an address", "127.0.0.1", tcp, true},
      {"a name", "localhost", none, false},
      {"an IPv6 zone", "fe80::1%eth0", none, false},
      {"HTTPS", "127.0.0.1", [](ProbeSpec& p) { p.http_get.scheme = "HTTPS"; }, false},
      {"redirects", "127.0.0.1", [](ProbeSpec& p) { p.http_get.follow_redirects = true; }, false},
      {"a named probe host", "127.0.0.1", [](ProbeSpec& p) { p.http_get.host = "api.internal"; },
       false},
      {"TCP to a name", "db.internal", tcp, false},
  };
  ExpectDirect(cases, /*names=*/false);
}

TEST(SocketProbeTest, WithAResolverNamesRunDirectButZonesTlsAndRedirectsDoNot) {
  auto tcp = [](ProbeSpec& p) { p.kind = ProbeKind::kTcpSocket; };
  auto none = [](ProbeSpec&) {};
  const std::vector<Case> cases = {
      {"a name", "localhost", none, true},
      {"TCP to a name", "db.internal", tcp, true},
      {"a named probe host", "127.0.0.1", [](ProbeSpec& p) { p.http_get.host = "api.internal"; },
       true},
      {"an IPv6 zone", "fe80::1%eth0", none, false},
      {"HTTPS to a name", "localhost", [](ProbeSpec& p) { p.http_get.scheme = "HTTPS"; }, false},
      {"redirects", "localhost", [](ProbeSpec& p) { p.http_get.follow_redirects = true; }, false},
  };
  ExpectDirect(cases, /*names=*/true);
}

TEST(SocketProbeTest, WithTlsContextsHttpsRunsDirectButRedirectsDoNot) {
  auto https = [](ProbeSpec& p) { p.http_get.scheme = "HTTPS"; };
  const std::vector<Case> cases = {
      {"HTTPS to an address", "127.0.0.1", https, true},
      {"lower-case scheme", "::1", [](ProbeSpec& p) { p.http_get.scheme = "https"; }, true},
      {"HTTPS with a server name", "127.0.0.1",
       [](ProbeSpec& p) {
         p.http_get.scheme = "HTTPS";
         p.http_get.tls.server_name = "api.example";
       },
       true},
      {"HTTPS following redirects", "127.0.0.1",
       [](ProbeSpec& p) {
         p.http_get.scheme = "HTTPS";
         p.http_get.follow_redirects = true;
       },
       false},
      {"HTTPS to a name", "localhost", https, true},
  };
  ExpectDirect(cases, /*names=*/true, /*tls=*/true);
}

TEST(SocketProbeTest, TheRoutingTableSendsHttpsToTheDirectPath) {
  EventLoop loop;
  TrustStores trust;
  TlsContexts tls(trust);
  CurlPool curl(loop);
  KeepAliveBudget keep_alive(10);
  TransportEnv env{loop, trust, curl, keep_alive, RealClock()};
  Target t;
  t.service = "s";
  t.host = "127.0.0.1";
  t.port = 8443;
  t.probe.http_get.scheme = "HTTPS";
  EXPECT_STREQ(RouteFor(t, env).name, "curl");  // no TLS contexts: libcurl
  env.tls = &tls;
  EXPECT_STREQ(RouteFor(t, env).name, "direct");
  t.probe.http_get.follow_redirects = true;
  EXPECT_STREQ(RouteFor(t, env).name, "curl");
}

}  // namespace
}  // namespace registrar::probes
