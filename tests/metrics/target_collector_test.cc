// TargetCollector: per-target series from the status snapshots, "unknown"
// kept apart from "unhealthy", and the operator's cardinality choice.
#include "metrics/target_collector.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/metrics/test_util.h"

namespace registrar::metrics {
namespace {

using testing::FakeStatus;
using testing::HttpTarget;
using testing::Sample;

std::string Text(TargetCollector& collector) {
  // Not owned: the test's collector outlives the call.
  return testing::Exposition({std::shared_ptr<prometheus::Collectable>(&collector, [](auto*) {})});
}

probes::TargetStatus Status(const probes::Target& t, probes::Health health) {
  probes::TargetStatus s;
  s.target = t;
  s.health = health;
  return s;
}

probes::ProbeResult Probe(int http_status, Duration latency, int64_t wall_seconds) {
  probes::ProbeResult r;
  r.ok = http_status == 200;
  r.http_status = http_status;
  r.latency = latency;
  r.wall_start = WallTime(std::chrono::seconds(wall_seconds));
  return r;
}

std::map<std::string, std::string> Of(const probes::Target& t) {
  return {{"service", t.service}, {"target", t.Address()}};
}

TEST(TargetCollector, KeepsUnknownApartFromUnhealthy) {
  const probes::Target never = HttpTarget("web", 1001), bad = HttpTarget("web", 1002),
                       good = HttpTarget("web", 1003);
  FakeStatus status;
  probes::TargetStatus b = Status(bad, probes::Health::kUnhealthy);
  b.recent.push_back(Probe(503, std::chrono::milliseconds(250), 1000));
  probes::TargetStatus g = Status(good, probes::Health::kHealthy);
  g.recent.push_back(Probe(200, std::chrono::milliseconds(5), 1001));
  status.SetTargets({Status(never, probes::Health::kUnknown), b, g});
  status::RegistrationView registration;
  registration.etcd_connected = true;
  registration.keys_by_target[good.Id()] = "/services/web/" + good.Address();
  registration.drained[bad.Id()] = status::DrainInfo{"disk swap", "cli", WallTime(), std::nullopt};
  status.SetRegistration(registration);
  TargetCollector collector(status, PerTargetSeries::kAuto);
  const std::string text = Text(collector);

  // Never probed: no healthy sample at all (an "== 0" alert cannot fire),
  // and probed says why.
  EXPECT_EQ(Sample(text, "registrar_target_healthy", Of(never)), std::nullopt);
  EXPECT_EQ(Sample(text, "registrar_target_probed", Of(never)), 0);
  EXPECT_EQ(Sample(text, "registrar_target_last_probe_timestamp_seconds", Of(never)), 0);
  EXPECT_EQ(Sample(text, "registrar_target_healthy", Of(bad)), 0);
  EXPECT_EQ(Sample(text, "registrar_target_probed", Of(bad)), 1);
  EXPECT_EQ(Sample(text, "registrar_target_healthy", Of(good)), 1);

  EXPECT_EQ(Sample(text, "registrar_target_probe_http_status_code", Of(bad)), 503);
  EXPECT_EQ(Sample(text, "registrar_target_probe_duration_seconds", Of(bad)), 0.25);
  EXPECT_EQ(Sample(text, "registrar_target_last_probe_timestamp_seconds", Of(good)), 1001);
  EXPECT_EQ(Sample(text, "registrar_target_registered", Of(good)), 1);
  EXPECT_EQ(Sample(text, "registrar_target_registered", Of(bad)), 0);
  EXPECT_EQ(Sample(text, "registrar_target_drained", Of(bad)), 1);
  EXPECT_EQ(Sample(text, "registrar_target_drained", Of(good)), 0);
  EXPECT_EQ(Sample(text, "registrar_targets_drained", {{"service", "web"}}), 1);
  EXPECT_EQ(Sample(text, "registrar_service_fail_open", {{"service", "web"}}), 0);
  EXPECT_EQ(Sample(text, "registrar_etcd_connected"), 1);

  int code = -1;
  const std::string out = testing::PromtoolCheckMetrics(text, &code);
  EXPECT_EQ(code, 0) << out;
}

TEST(TargetCollector, ExportsTheLeafCertificateExpiryOfTlsTargetsOnly) {
  const probes::Target tls = HttpTarget("web", 1001), plain = HttpTarget("web", 1002);
  FakeStatus status;
  probes::TargetStatus t = Status(tls, probes::Health::kHealthy);
  probes::ProbeResult r = Probe(200, std::chrono::milliseconds(2), 1000);
  r.cert_not_after = WallTime(std::chrono::seconds(1'900'000'000));
  t.recent.push_back(r);
  // A later probe that did not get as far as the certificate keeps the last one seen.
  t.recent.push_back(Probe(0, std::chrono::milliseconds(1), 1001));
  probes::TargetStatus p = Status(plain, probes::Health::kHealthy);
  p.recent.push_back(Probe(200, std::chrono::milliseconds(2), 1000));
  status.SetTargets({t, p});
  TargetCollector collector(status, PerTargetSeries::kAuto);
  const std::string name = "registrar_probe_ssl_earliest_cert_expiry";
  std::string text = Text(collector);
  EXPECT_EQ(Sample(text, name, Of(tls)), 1.9e9);
  EXPECT_EQ(Sample(text, name, Of(plain)), std::nullopt);
  // A renewed certificate moves it; a removed target loses it.
  r.cert_not_after = WallTime(std::chrono::seconds(1'950'000'000));
  t.recent.push_back(r);
  status.SetTargets({t, p});
  EXPECT_EQ(Sample(Text(collector), name, Of(tls)), 1.95e9);
  status.SetTargets({p});
  EXPECT_EQ(Sample(Text(collector), name, Of(tls)), std::nullopt);
}

TEST(TargetCollector, CardinalityIsTheOperatorsChoice) {
  FakeStatus status;
  std::vector<probes::TargetStatus> many;
  for (int i = 0; i < static_cast<int>(kAutoPerTargetLimit) + 1; ++i) {
    many.push_back(Status(HttpTarget("web", 1 + i), probes::Health::kHealthy));
  }
  status.SetTargets({many.begin(), many.begin() + 2});
  TargetCollector collector(status, PerTargetSeries::kAuto);
  EXPECT_NE(Text(collector).find("registrar_target_healthy{"), std::string::npos);
  collector.SetMode(PerTargetSeries::kNever);
  std::string text = Text(collector);
  EXPECT_EQ(text.find("registrar_target_healthy{"), std::string::npos);
  EXPECT_NE(text.find("registrar_targets_drained{"), std::string::npos) << "per service stays";

  status.SetTargets(many);
  collector.SetMode(PerTargetSeries::kAuto);
  EXPECT_EQ(Text(collector).find("registrar_target_healthy{"), std::string::npos)
      << "auto turns per-target series off above " << kAutoPerTargetLimit << " targets";
  collector.SetMode(PerTargetSeries::kAlways);
  EXPECT_NE(Text(collector).find("registrar_target_healthy{"), std::string::npos);
}

}  // namespace
}  // namespace registrar::metrics
