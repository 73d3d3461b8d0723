#include "registration/keys.h"

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"

namespace registrar::controller {
namespace {

probes::Target MakeTarget(std::string service, std::string host, int port) {
  probes::Target t;
  t.service = std::move(service);
  t.host = std::move(host);
  t.port = port;
  return t;
}

ServiceRegistration Service(std::string name, ValueFormat format) {
  ServiceRegistration s;
  s.service = std::move(name);
  s.format = format;
  return s;
}

TEST(RegistrationKey, IsPrefixServiceAndAddress) {
  RegistrationOptions options;
  EXPECT_EQ(RegistrationKey(MakeTarget("web", "127.0.0.1", 8080),
                            Service("web", ValueFormat::kPlain), options),
            "/services/web/127.0.0.1:8080");
  options.prefix = "/reg/";
  EXPECT_EQ(
      RegistrationKey(MakeTarget("web", "::1", 9), Service("web", ValueFormat::kJson), options),
      "/reg/web/[::1]:9");
}

TEST(RegistrationValue, PlainIsHostPort) {
  EXPECT_EQ(RegistrationValue(MakeTarget("web", "127.0.0.1", 8080),
                              Service("web", ValueFormat::kPlain), WallTime{}),
            "127.0.0.1:8080");
}

TEST(RegistrationValue, JsonCarriesServiceAddressMetadataAndRegisteredAt) {
  auto service = Service("web", ValueFormat::kJson);
  service.metadata = {{"zone", "a"}};
  const WallTime at{std::chrono::seconds(1767225600)};  // 2026-01-01T00:00:00Z
  auto v =
      nlohmann::json::parse(RegistrationValue(MakeTarget("web", "127.0.0.1", 8080), service, at));
  EXPECT_EQ(v["service"], "web");
  EXPECT_EQ(v["address"], "127.0.0.1:8080");
  EXPECT_EQ(v["metadata"]["zone"], "a");
  EXPECT_EQ(v["registeredAt"], "2026-01-01T00:00:00Z");
}

// The config refuses such bytes; a value is still never an exception (a
// throw here would end the controller thread).
TEST(RegistrationValue, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  auto service = Service("web", ValueFormat::kJson);
  service.metadata = {{"z\x89ne", "a\xff"}};
  std::string value;
  ASSERT_NO_THROW(value = RegistrationValue(MakeTarget("web", "127.0.0.1", 8080), service, {}));
  auto v = nlohmann::json::parse(value);
  EXPECT_EQ(v["metadata"]["z\xef\xbf\xbdne"], "a\xef\xbf\xbd");
}

TEST(RegistrationValue, JsonIsStableForTheSameRegistrationTime) {
  auto service = Service("web", ValueFormat::kJson);
  const WallTime at{std::chrono::seconds(1767225600)};
  auto target = MakeTarget("web", "127.0.0.1", 8080);
  EXPECT_EQ(RegistrationValue(target, service, at), RegistrationValue(target, service, at));
}

// Field names and types as etcd's client/v3/naming/endpoints internal.Update.
TEST(RegistrationValue, GrpcNamingIsAnEndpointsManagerUpdate) {
  auto service = Service("greeter", ValueFormat::kGrpcNaming);
  auto v = nlohmann::json::parse(
      RegistrationValue(MakeTarget("greeter", "10.0.0.1", 50051), service, WallTime{}));
  ASSERT_TRUE(v["Op"].is_number_unsigned());
  EXPECT_EQ(v["Op"], 0);  // Add
  EXPECT_EQ(v["Addr"], "10.0.0.1:50051");
  EXPECT_TRUE(v.contains("Metadata"));
  EXPECT_TRUE(v["Metadata"].is_null());

  service.metadata = {{"weight", "3"}};
  v = nlohmann::json::parse(
      RegistrationValue(MakeTarget("greeter", "10.0.0.1", 50051), service, WallTime{}));
  EXPECT_EQ(v["Metadata"]["weight"], "3");
}

TEST(RegistrationKey, SkyDnsReversesDomainLabelsThenServiceThenId) {
  auto service = Service("web", ValueFormat::kSkyDns);
  service.dns_domain = "svc.Example.com.";
  RegistrationOptions options;
  EXPECT_EQ(RegistrationKey(MakeTarget("web", "127.0.0.1", 8080), service, options),
            "/skydns/com/example/svc/web/127-0-0-1-8080");
  options.skydns_prefix = "/dns";  // a missing trailing slash is added
  EXPECT_EQ(RegistrationKey(MakeTarget("web", "127.0.0.1", 8080), service, options),
            "/dns/com/example/svc/web/127-0-0-1-8080");
}

TEST(RegistrationValue, SkyDnsHasHostPortAndAnExplicitTtl) {
  auto service = Service("web", ValueFormat::kSkyDns);
  service.dns_ttl_seconds = 5;
  auto v = nlohmann::json::parse(
      RegistrationValue(MakeTarget("web", "127.0.0.1", 8080), service, WallTime{}));
  EXPECT_EQ(v["host"], "127.0.0.1");
  EXPECT_EQ(v["port"], 8080);
  EXPECT_EQ(v["ttl"], 5);
}

TEST(SkyDnsId, IsADnsLabel) {
  EXPECT_EQ(SkyDnsId(MakeTarget("s", "127.0.0.1", 8080)), "127-0-0-1-8080");
  EXPECT_EQ(SkyDnsId(MakeTarget("s", "::1", 8080)), "0--1-8080");
  EXPECT_EQ(SkyDnsId(MakeTarget("s", "Api.Example.com", 443)), "api-example-com-443");
  const std::string long_host(100, 'a');
  const std::string id = SkyDnsId(MakeTarget("s", long_host, 1));
  EXPECT_LE(id.size(), 63u);
  EXPECT_EQ(id, SkyDnsId(MakeTarget("s", long_host, 1)));  // stable
  EXPECT_NE(id, SkyDnsId(MakeTarget("s", long_host, 2)));
}

TEST(PrefixFor, SkyDnsUsesItsOwnPrefix) {
  RegistrationOptions options;
  EXPECT_EQ(PrefixFor(ValueFormat::kPlain, options), "/services/");
  EXPECT_EQ(PrefixFor(ValueFormat::kSkyDns, options), "/skydns/");
}

TEST(ValueFormatName, NamesEveryFormat) {
  EXPECT_STREQ(ValueFormatName(ValueFormat::kPlain), "plain");
  EXPECT_STREQ(ValueFormatName(ValueFormat::kJson), "json");
  EXPECT_STREQ(ValueFormatName(ValueFormat::kGrpcNaming), "grpc-naming");
  EXPECT_STREQ(ValueFormatName(ValueFormat::kSkyDns), "skydns");
}

}  // namespace
}  // namespace registrar::controller
