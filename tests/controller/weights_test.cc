// Weights and metadata of an endpoint, in each value format, read back by the
// discovery parser (what a consumer of that format sees).
#include <gtest/gtest.h>

#include "discovery/discovery.h"
#include "nlohmann/json.hpp"
#include "registration/keys.h"

namespace registrar::controller {
namespace {

probes::Target Weighted() {
  probes::Target t;
  t.service = "orders";
  t.host = "10.0.0.5";
  t.port = 8080;
  t.weight = 3;
  t.metadata = {{"zone", "a"}, {"version", "2"}};
  return t;
}

ServiceRegistration Service(ValueFormat format) {
  ServiceRegistration s;
  s.service = "orders";
  s.format = format;
  s.metadata = {{"zone", "service-default"}, {"team", "payments"}};
  return s;
}

etcd::Endpoint RoundTrip(const probes::Target& t, const ServiceRegistration& s,
                         etcd::EndpointFormat format) {
  etcd::KeyValue kv;
  kv.key = RegistrationKey(t, s, RegistrationOptions{});
  kv.value = RegistrationValue(t, s, WallTime{});
  return etcd::ParseEndpoint(kv, "/services/", format);
}

TEST(Weights, JsonCarriesWeightAndMergedMetadataEndpointWins) {
  const auto v =
      nlohmann::json::parse(RegistrationValue(Weighted(), Service(ValueFormat::kJson), WallTime{}));
  EXPECT_EQ(v["weight"], 3);
  EXPECT_EQ(v["metadata"]["zone"], "a") << "the endpoint's value wins";
  EXPECT_EQ(v["metadata"]["team"], "payments") << "the service's is merged in";
  EXPECT_EQ(v["metadata"]["version"], "2");

  const etcd::Endpoint e =
      RoundTrip(Weighted(), Service(ValueFormat::kJson), etcd::EndpointFormat::kAuto);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.address, "10.0.0.5:8080");
  EXPECT_EQ(e.weight, 3);
  EXPECT_EQ(e.metadata.at("zone"), "a");
  EXPECT_EQ(e.metadata.at("team"), "payments");
}

TEST(Weights, GrpcNamingCarriesThemInMetadata) {
  const auto v = nlohmann::json::parse(
      RegistrationValue(Weighted(), Service(ValueFormat::kGrpcNaming), WallTime{}));
  EXPECT_EQ(v["Op"], 0);
  EXPECT_EQ(v["Addr"], "10.0.0.5:8080");
  EXPECT_EQ(v["Metadata"]["weight"], 3);
  EXPECT_EQ(v["Metadata"]["zone"], "a");
  EXPECT_EQ(v["Metadata"]["team"], "payments");

  const etcd::Endpoint e =
      RoundTrip(Weighted(), Service(ValueFormat::kGrpcNaming), etcd::EndpointFormat::kGrpcNaming);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.weight, 3);
  EXPECT_EQ(e.metadata.at("zone"), "a");
}

TEST(Weights, PlainStaysHostPort) {
  EXPECT_EQ(RegistrationValue(Weighted(), Service(ValueFormat::kPlain), WallTime{}),
            "10.0.0.5:8080");
  const etcd::Endpoint e =
      RoundTrip(Weighted(), Service(ValueFormat::kPlain), etcd::EndpointFormat::kPlain);
  EXPECT_EQ(e.address, "10.0.0.5:8080");
  EXPECT_EQ(e.weight, 0);
}

TEST(Weights, NoWeightMeansNoWeightField) {
  probes::Target t = Weighted();
  t.weight = 0;
  t.metadata.clear();
  ServiceRegistration s = Service(ValueFormat::kJson);
  s.metadata.clear();
  const auto v = nlohmann::json::parse(RegistrationValue(t, s, WallTime{}));
  EXPECT_FALSE(v.contains("weight"));
  const auto g =
      nlohmann::json::parse(RegistrationValue(t, Service(ValueFormat::kGrpcNaming), WallTime{}));
  EXPECT_FALSE(g["Metadata"].contains("weight"));
}

}  // namespace
}  // namespace registrar::controller
