// Config of the operator controls: endpoint objects (weight, metadata),
// failOpen, metrics.perTargetSeries, and the coordination prefix.
#include <gtest/gtest.h>

#include "config/config.h"

namespace registrar::config {
namespace {

LoadResult Parse(const std::string& yaml) { return ParseConfig(yaml, "c.yaml", "/"); }

std::string Messages(const LoadResult& result) {
  std::string out;
  for (const ConfigError& e : result.errors) out += e.ToString() + "\n";
  return out;
}

constexpr char kHead[] = "etcd: {endpoints: [\"127.0.0.1:2379\"]}\n";

TEST(OperatorConfig, EndpointsMayBeObjectsWithWeightAndMetadata) {
  LoadResult r = Parse(std::string(kHead) + R"(services:
  - name: orders
    format: json
    metadata: {team: payments}
    probe: {tcpSocket: {}}
    endpoints:
      - 10.0.0.4:8080
      - {address: "10.0.0.5:8080", weight: 3, metadata: {zone: a}}
)");
  ASSERT_TRUE(r.config) << Messages(r);
  const auto& targets = r.config->services[0].targets;
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].weight, 0);
  EXPECT_TRUE(targets[0].metadata.empty());
  EXPECT_EQ(targets[1].Address(), "10.0.0.5:8080");
  EXPECT_EQ(targets[1].weight, 3);
  EXPECT_EQ(targets[1].metadata.at("zone"), "a");
}

TEST(OperatorConfig, BadEndpointObjectsAreErrorsWithLines) {
  LoadResult r = Parse(std::string(kHead) + R"(services:
  - name: orders
    probe: {tcpSocket: {}}
    endpoints:
      - {weight: 3}
      - {address: "10.0.0.5:8080", weight: -1}
      - {address: "10.0.0.6:8080", colour: red}
      - [1, 2]
)");
  ASSERT_FALSE(r.config);
  const std::string m = Messages(r);
  EXPECT_NE(m.find("c.yaml:6:"), std::string::npos) << m;
  EXPECT_NE(m.find("address"), std::string::npos) << m;
  EXPECT_NE(m.find("c.yaml:7:"), std::string::npos) << m;
  EXPECT_NE(m.find("colour"), std::string::npos) << m;
  EXPECT_NE(m.find("c.yaml:9:"), std::string::npos) << m;
}

TEST(OperatorConfig, FailOpenIsOffByDefaultAndTakesAPercentage) {
  LoadResult r = Parse(std::string(kHead) + R"(services:
  - name: a
    probe: {tcpSocket: {}}
    endpoints: [10.0.0.1:1]
  - name: b
    failOpen: {belowHealthyPercent: 50}
    probe: {tcpSocket: {}}
    endpoints: [10.0.0.1:1]
)");
  ASSERT_TRUE(r.config) << Messages(r);
  EXPECT_FALSE(r.config->services[0].registration.fail_open_below_percent);
  EXPECT_EQ(r.config->services[1].registration.fail_open_below_percent, 50);

  LoadResult bad = Parse(std::string(kHead) + R"(services:
  - name: b
    failOpen: {belowHealthyPercent: 150}
    probe: {tcpSocket: {}}
    endpoints: [10.0.0.1:1]
)");
  ASSERT_FALSE(bad.config);
  EXPECT_NE(Messages(bad).find("c.yaml:4:"), std::string::npos) << Messages(bad);
}

TEST(OperatorConfig, PerTargetSeriesIsAutoAlwaysOrNever) {
  LoadResult r = Parse(std::string(kHead) + "metrics: {perTargetSeries: never}\n");
  ASSERT_TRUE(r.config) << Messages(r);
  EXPECT_EQ(r.config->metrics.per_target_series, PerTargetSeries::kNever);
  EXPECT_EQ(Parse(kHead).config->metrics.per_target_series, PerTargetSeries::kAuto);
  LoadResult bad = Parse(std::string(kHead) + "metrics: {perTargetSeries: sometimes}\n");
  ASSERT_FALSE(bad.config);
  EXPECT_NE(Messages(bad).find("expected auto, always or never"), std::string::npos);
}

TEST(OperatorConfig, CoordinationPrefixIsOutsideTheRegistrationPrefix) {
  controller::RegistrationOptions o;
  EXPECT_EQ(CoordinationPrefix(o), "/etcd-registrar/services/");
  o.prefix = "/reg/a/";
  EXPECT_EQ(CoordinationPrefix(o), "/etcd-registrar/reg-a/");
  o.cluster.name = "blue";
  EXPECT_EQ(CoordinationPrefix(o), "/etcd-registrar/blue/");
  o.cluster.coordination_prefix = "/coord/x";
  EXPECT_EQ(CoordinationPrefix(o), "/coord/x/");
}

}  // namespace
}  // namespace registrar::config
