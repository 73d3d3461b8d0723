// Which targets the direct path takes; the rest stay on libcurl.
#include "probes/socket_probe.h"

#include <gtest/gtest.h>

namespace registrar::probes {
namespace {

Target Http(const std::string& host) {
  Target t;
  t.service = "s";
  t.host = host;
  t.port = 8080;
  return t;
}

TEST(SocketProbeTest, PlainHttpAndTcpToAddressLiteralsRunDirect) {
  EXPECT_TRUE(SocketProbe::Supports(Http("127.0.0.1")));
  EXPECT_TRUE(SocketProbe::Supports(Http("::1")));
  Target scheme_lower = Http("10.1.2.3");
  scheme_lower.probe.http_get.scheme = "http";
  EXPECT_TRUE(SocketProbe::Supports(scheme_lower));
  Target tcp = Http("127.0.0.1");
  tcp.probe.kind = ProbeKind::kTcpSocket;
  EXPECT_TRUE(SocketProbe::Supports(tcp));
}

TEST(SocketProbeTest, NamesTlsAndRedirectsStayOnLibcurl) {
  EXPECT_FALSE(SocketProbe::Supports(Http("localhost")));
  EXPECT_FALSE(SocketProbe::Supports(Http("fe80::1%eth0")));
  Target https = Http("127.0.0.1");
  https.probe.http_get.scheme = "HTTPS";
  EXPECT_FALSE(SocketProbe::Supports(https));
  Target redirects = Http("127.0.0.1");
  redirects.probe.http_get.follow_redirects = true;
  EXPECT_FALSE(SocketProbe::Supports(redirects));
  Target named_probe_host = Http("127.0.0.1");
  named_probe_host.probe.http_get.host = "api.internal";
  EXPECT_FALSE(SocketProbe::Supports(named_probe_host));
  Target tcp_name = Http("db.internal");
  tcp_name.probe.kind = ProbeKind::kTcpSocket;
  EXPECT_FALSE(SocketProbe::Supports(tcp_name));
}

}  // namespace
}  // namespace registrar::probes
