#include <gtest/gtest.h>

#include "discovery/discovery.h"
#include "registration/keys.h"
#include "registration/layouts.h"

namespace registrar::etcd {
namespace {

KeyValue Kv(std::string key, std::string value, int64_t rev = 7) {
  KeyValue kv;
  kv.key = std::move(key);
  kv.value = std::move(value);
  kv.create_revision = rev;
  kv.mod_revision = rev;
  kv.version = 1;
  kv.lease = 42;
  return kv;
}

TEST(ParseEndpoint, PlainValueIsHostPortAndServiceComesFromTheKey) {
  Endpoint e = ParseEndpoint(Kv("/services/orders/10.0.0.1:8080", "10.0.0.1:8080"), "/services/",
                             EndpointFormat::kPlain);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.address, "10.0.0.1:8080");
  EXPECT_EQ(e.host, "10.0.0.1");
  EXPECT_EQ(e.port, 8080);
  EXPECT_EQ(e.service, "orders");
  EXPECT_EQ(e.mod_revision, 7);
  EXPECT_EQ(e.lease, 42);
  EXPECT_EQ(e.format, EndpointFormat::kPlain);
}

TEST(ParseEndpoint, PlainValueAcceptsBracketedIpv6) {
  Endpoint e = ParseEndpoint(Kv("/s/a/[::1]:80", "[::1]:80"), "/s/", EndpointFormat::kPlain);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, 80);
  EXPECT_EQ(e.address, "[::1]:80");
}

TEST(ParseEndpoint, PlainValueWithoutPortIsAnError) {
  for (const char* bad : {"10.0.0.1", "10.0.0.1:http", "10.0.0.1:70000", ":80", "::1:80", ""}) {
    Endpoint e = ParseEndpoint(Kv("/s/a/x", bad), "/s/", EndpointFormat::kPlain);
    EXPECT_FALSE(e.ok()) << bad;
    EXPECT_TRUE(e.address.empty()) << bad;
    EXPECT_EQ(e.value, bad);
  }
}

TEST(ParseEndpoint, JsonValueCarriesServiceAddressAndMetadata) {
  Endpoint e = ParseEndpoint(
      Kv("/services/orders/10.0.0.1:8080",
         R"({"service":"orders","address":"10.0.0.1:8080","metadata":{"zone":"a","w":3},)"
         R"("registeredAt":"2026-01-01T00:00:00Z"})"),
      "/services/", EndpointFormat::kJson);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.address, "10.0.0.1:8080");
  EXPECT_EQ(e.service, "orders");
  EXPECT_EQ(e.metadata.at("zone"), "a");
  EXPECT_EQ(e.metadata.at("w"), "3");
}

TEST(ParseEndpoint, GrpcNamingValueIsEtcdEndpointsManagerUpdate) {
  Endpoint e = ParseEndpoint(
      Kv("/services/orders/10.0.0.1:8080", R"({"Op":0,"Addr":"10.0.0.1:8080","Metadata":null})"),
      "/services/", EndpointFormat::kGrpcNaming);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.address, "10.0.0.1:8080");
  EXPECT_TRUE(e.metadata.empty());

  Endpoint with_md =
      ParseEndpoint(Kv("/services/orders/x", R"({"Op":0,"Addr":"h:1","Metadata":{"version":"2"}})"),
                    "/services/", EndpointFormat::kGrpcNaming);
  EXPECT_EQ(with_md.metadata.at("version"), "2");
}

TEST(ParseEndpoint, GrpcNamingDeleteOpIsNotAnEndpoint) {
  Endpoint e = ParseEndpoint(Kv("/s/a/x", R"({"Op":1,"Addr":"10.0.0.1:8080"})"), "/s/",
                             EndpointFormat::kGrpcNaming);
  EXPECT_FALSE(e.ok());
}

TEST(ParseEndpoint, SkyDnsValueAndDnsNameFromReversedKey) {
  Endpoint e = ParseEndpoint(Kv("/skydns/local/cluster/orders/10-0-0-1-8080",
                                R"({"host":"10.0.0.1","port":8080,"ttl":30,"priority":10})"),
                             "/skydns/local/cluster/", EndpointFormat::kSkyDns);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.address, "10.0.0.1:8080");
  EXPECT_EQ(e.ttl_seconds, 30);
  EXPECT_EQ(e.service, "10-0-0-1-8080.orders.cluster.local");
  EXPECT_EQ(e.metadata.at("priority"), "10");
}

TEST(ParseEndpoint, SkyDnsIpv6HostIsBracketedInAddress) {
  Endpoint e = ParseEndpoint(Kv("/skydns/x/0--1-80", R"({"host":"::1","port":80})"), "/skydns/",
                             EndpointFormat::kSkyDns);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.address, "[::1]:80");
}

TEST(ParseEndpoint, WrongFormatIsReportedAsErrorNotCrash) {
  const std::pair<EndpointFormat, const char*> cases[] = {
      {EndpointFormat::kJson, "10.0.0.1:80"},
      {EndpointFormat::kJson, R"({"Addr":"h:1"})"},
      {EndpointFormat::kJson, R"({"address":5})"},
      {EndpointFormat::kGrpcNaming, R"({"address":"h:1"})"},
      {EndpointFormat::kGrpcNaming, "{not json"},
      {EndpointFormat::kSkyDns, R"({"host":"h","port":"80"})"},
      {EndpointFormat::kSkyDns, "[1,2]"},
      {EndpointFormat::kPlain, R"({"address":"h:1"})"},
  };
  for (const auto& [format, value] : cases) {
    Endpoint e = ParseEndpoint(Kv("/s/a/x", value), "/s/", format);
    EXPECT_FALSE(e.ok()) << EndpointFormatName(format) << " " << value;
    EXPECT_TRUE(e.address.empty()) << value;
  }
}

TEST(ParseEndpoint, AutoDetectsEachFormat) {
  EXPECT_EQ(ParseEndpoint(Kv("/s/a/x", "h:1"), "/s/", EndpointFormat::kAuto).format,
            EndpointFormat::kPlain);
  EXPECT_EQ(
      ParseEndpoint(Kv("/s/a/x", R"({"address":"h:1"})"), "/s/", EndpointFormat::kAuto).format,
      EndpointFormat::kJson);
  EXPECT_EQ(
      ParseEndpoint(Kv("/s/a/x", R"({"Op":0,"Addr":"h:1"})"), "/s/", EndpointFormat::kAuto).format,
      EndpointFormat::kGrpcNaming);
  Endpoint sky = ParseEndpoint(Kv("/skydns/a/x", R"({"host":"h","port":1})"), "/skydns/",
                               EndpointFormat::kAuto);
  EXPECT_EQ(sky.format, EndpointFormat::kSkyDns);
  EXPECT_EQ(sky.address, "h:1");
  EXPECT_FALSE(ParseEndpoint(Kv("/s/a/x", R"({"x":1})"), "/s/", EndpointFormat::kAuto).ok());
}

// What `discover --format <layout>` (and auto) reads from each layout the
// registrar writes: the same address and the same weight, whatever the layout
// (0 where the layout has no weight field).
TEST(ParseEndpoint, EveryLayoutReadsBackItsAddressAndWeight) {
  probes::Target t;
  t.service = "orders";
  t.host = "10.0.0.5";
  t.port = 8080;
  t.weight = 3;
  t.metadata = {{"zone", "a"}};
  for (const controller::LayoutRow& row : controller::PresetLayouts()) {
    controller::ServiceRegistration s;
    s.service = "orders";
    s.format = row.format;
    if (!row.variant.empty()) s.layout.protocol = "tcp";
    const controller::LayoutKey k = controller::RegistrationKeys(t, s, {}, {}).front();
    const bool has_weight = row.format != ValueFormat::kPlain &&
                            row.format != ValueFormat::kGoZero &&
                            row.format != ValueFormat::kTraefik;
    for (EndpointFormat f : {static_cast<EndpointFormat>(row.format), EndpointFormat::kAuto}) {
      Endpoint e = ParseEndpoint(Kv(k.key, k.value), controller::PrefixFor(row.format, {}), f);
      ASSERT_TRUE(e.ok()) << ValueFormatName(row.format) << ": " << e.error << " in " << k.value;
      EXPECT_EQ(e.address, "10.0.0.5:8080") << ValueFormatName(row.format);
      EXPECT_EQ(e.weight, has_weight ? 3 : 0) << ValueFormatName(row.format);
      if (f != EndpointFormat::kAuto ||
          (row.format != ValueFormat::kGoZero && row.variant.empty())) {
        // go-zero's and Traefik TCP's host:port values read as plain by
        // auto: the same thing.
        EXPECT_EQ(e.format, static_cast<EndpointFormat>(row.format))
            << ValueFormatName(row.format) << " read as " << EndpointFormatName(e.format);
      }
    }
  }
}

TEST(ParseEndpointFormat, AcceptsEveryLayoutNameAndAuto) {
  for (const char* name : {"auto", "plain", "json", "grpc-naming", "skydns", "go-zero", "kratos",
                           "go-micro", "kitex", "dubbo", "traefik"}) {
    auto f = ParseEndpointFormat(name);
    ASSERT_TRUE(f.ok()) << name;
    EXPECT_STREQ(EndpointFormatName(*f), name);
  }
  EXPECT_FALSE(ParseEndpointFormat("xml").ok());
}

}  // namespace
}  // namespace registrar::etcd
