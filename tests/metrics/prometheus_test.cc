// A real Prometheus scrapes the admin server: the registrar's series arrive
// with the values of the real backends' state.
#include <gtest/gtest.h>

#include <string>

#include "admin/admin_server.h"
#include "metrics/metrics.h"
#include "probes/prober.h"
#include "tests/metrics/test_util.h"
#include "tests/support/http_backend.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/wait.h"

namespace registrar::metrics {
namespace {

using admin::AdminServer;
using admin::AdminServerOptions;

using registrar::testing::HttpBackend;
using registrar::testing::PrometheusServer;
using registrar::testing::WaitFor;
using testing::HttpTarget;

// The value of a single-sample query, or -1 while it has none.
double Value(const PrometheusServer& prometheus, const std::string& promql) {
  absl::StatusOr<double> v = prometheus.QueryValue(promql);
  return v.ok() ? *v : -1;
}

TEST(Prometheus, ScrapesTheRegistrarsSeriesWithTheBackendsRealState) {
  MetricsOptions metrics_options;
  metrics_options.version = "9.9.9";
  metrics_options.revision = "testrev";
  auto metrics = Metrics::Create(metrics_options);
  ASSERT_TRUE(metrics.ok());
  SystemRandom random;
  auto prober = probes::Prober::Create(RealClock(), random, {}, metrics->get());
  testing::ProberStatus status(*prober);
  AdminServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.collectables = (*metrics)->Collectables();
  auto server = AdminServer::Start(options, status);
  ASSERT_TRUE(server.ok()) << server.status();

  HttpBackend healthy1, healthy2, broken;
  broken.SetStatus(500);
  const std::vector<probes::Target> targets = {HttpTarget("web", healthy1.port()),
                                               HttpTarget("web", healthy2.port()),
                                               HttpTarget("api", broken.port())};
  (*metrics)->SetTargets(targets);
  prober->SetTargets(targets);
  prober->Start();

  PrometheusServer::Options prometheus_options;
  prometheus_options.targets.push_back({"registrar", (*server)->address()});
  PrometheusServer prometheus(prometheus_options);
  ASSERT_TRUE(prometheus.Start().ok());

  ASSERT_TRUE(WaitFor(
      [&] {
        return Value(prometheus, "sum(registrar_targets{state=\"healthy\"})") == 2 &&
               Value(prometheus, "sum(registrar_targets{state=\"unhealthy\"})") == 1;
      },
      std::chrono::seconds(40)))
      << "healthy=" << Value(prometheus, "sum(registrar_targets{state=\"healthy\"})")
      << "\ntargets: " << prometheus.Targets().value_or("?") << "\nlog:\n"
      << prometheus.Log();

  EXPECT_EQ(Value(prometheus, "up{job=\"registrar\"}"), 1);
  EXPECT_EQ(Value(prometheus, "registrar_targets{service=\"web\",state=\"healthy\"}"), 2);
  EXPECT_EQ(Value(prometheus, "registrar_targets{service=\"api\",state=\"unhealthy\"}"), 1);
  EXPECT_EQ(Value(prometheus, "registrar_target_healthy{target=\"" + broken.address() + "\"}"), 0);
  EXPECT_EQ(Value(prometheus, "registrar_target_healthy{target=\"" + healthy1.address() + "\"}"),
            1);
  EXPECT_EQ(Value(prometheus, "registrar_build_info{version=\"9.9.9\",revision=\"testrev\"}"), 1);
  EXPECT_GT(Value(prometheus, "sum(registrar_probes_total{service=\"api\",result=\"failure\"})"),
            0);
  EXPECT_GT(Value(prometheus, "process_resident_memory_bytes{job=\"registrar\"}"), 0);
  EXPECT_GT(Value(prometheus, "process_start_time_seconds{job=\"registrar\"}"), 0);
  // Histograms arrive whole: rate() over buckets works.
  EXPECT_GT(Value(prometheus, "sum(registrar_probe_duration_seconds_count)"), 0);

  // A backend recovers: the next scrapes show it.
  broken.SetStatus(200);
  EXPECT_TRUE(
      WaitFor([&] { return Value(prometheus, "sum(registrar_targets{state=\"healthy\"})") == 3; },
              std::chrono::seconds(30)));
  EXPECT_EQ(Value(prometheus, "registrar_transitions_total{service=\"api\",to=\"healthy\"}"), 1);
  prober->Stop();
}

}  // namespace
}  // namespace registrar::metrics
