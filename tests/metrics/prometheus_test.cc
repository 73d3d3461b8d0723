// A real Prometheus scrapes the admin server: the registrar's series arrive
// with the values of the real backends' state.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "admin/admin_server.h"
#include "metrics/metrics.h"
#include "metrics/target_collector.h"
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

// Metrics, a real prober and the admin server on a free loopback port.
struct Registrar {
  Registrar() {
    MetricsOptions metrics_options;
    metrics_options.version = "9.9.9";
    metrics_options.revision = "testrev";
    metrics = *Metrics::Create(metrics_options);
    prober = probes::Prober::Create(RealClock(), random, {}, metrics.get());
    status = std::make_unique<testing::ProberStatus>(*prober);
    AdminServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.collectables = metrics->Collectables();
    options.collectables.push_back(
        std::make_shared<TargetCollector>(*status, PerTargetSeries::kAuto));
    auto started = AdminServer::Start(options, *status);
    EXPECT_TRUE(started.ok()) << started.status();
    if (started.ok()) server = std::move(*started);
  }
  std::unique_ptr<Metrics> metrics;
  SystemRandom random;
  std::unique_ptr<probes::Prober> prober;
  std::unique_ptr<testing::ProberStatus> status;
  std::unique_ptr<AdminServer> server;
};

TEST(Prometheus, ScrapesTheRegistrarsSeriesWithTheBackendsRealState) {
  Registrar registrar;
  ASSERT_TRUE(registrar.server);
  auto& metrics = registrar.metrics;
  auto& prober = registrar.prober;
  auto& server = registrar.server;

  HttpBackend healthy1, healthy2, broken;
  broken.SetStatus(500);
  const std::vector<probes::Target> targets = {HttpTarget("web", healthy1.port()),
                                               HttpTarget("web", healthy2.port()),
                                               HttpTarget("api", broken.port())};
  metrics->SetTargets(targets);
  prober->SetTargets(targets);
  prober->Start();

  PrometheusServer::Options prometheus_options;
  prometheus_options.targets.push_back({"registrar", server->address()});
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

// A scrape config written for blackbox_exporter (targets relabelled into the
// `target` parameter, `module` set, the exporter's address as __address__)
// works against the registrar's /probe unchanged but for the address.
TEST(Prometheus, ABlackboxStyleScrapeConfigReadsEachTargetsProbeResult) {
  Registrar registrar;
  ASSERT_TRUE(registrar.server);
  auto& prober = registrar.prober;
  auto& server = registrar.server;

  HttpBackend healthy, broken;
  broken.SetStatus(500);
  const probes::Target web = HttpTarget("web", healthy.port()),
                       api = HttpTarget("api", broken.port());
  prober->SetTargets({web, api});
  prober->Start();

  PrometheusServer::Options prometheus_options;
  prometheus_options.raw_scrape_configs =
      "  - job_name: blackbox\n"
      "    metrics_path: /probe\n"
      "    params:\n"
      "      module: [http_2xx]\n"
      "    static_configs:\n"
      "      - targets: ['" +
      web.Id() + "', 'http://" + api.Address() +
      "/healthz']\n"
      "    relabel_configs:\n"
      "      - source_labels: [__address__]\n"
      "        target_label: __param_target\n"
      "      - source_labels: [__param_target]\n"
      "        target_label: instance\n"
      "      - target_label: __address__\n"
      "        replacement: " +
      server->address() + "\n";
  PrometheusServer prometheus(prometheus_options);
  ASSERT_TRUE(prometheus.Start().ok()) << prometheus.Log();

  const std::string web_instance = "{instance=\"" + web.Id() + "\"}";
  const std::string api_instance = "{instance=\"http://" + api.Address() + "/healthz\"}";
  ASSERT_TRUE(WaitFor(
      [&] {
        return Value(prometheus, "probe_success" + web_instance) == 1 &&
               Value(prometheus, "probe_success" + api_instance) == 0;
      },
      std::chrono::seconds(40)))
      << "targets: " << prometheus.Targets().value_or("?") << "\nlog:\n"
      << prometheus.Log();
  EXPECT_EQ(Value(prometheus, "probe_http_status_code" + web_instance), 200);
  EXPECT_EQ(Value(prometheus, "probe_http_status_code" + api_instance), 500);
  EXPECT_GT(Value(prometheus, "probe_duration_seconds" + web_instance), 0);
  EXPECT_EQ(Value(prometheus, "probe_ip_protocol" + web_instance), 4);
  EXPECT_EQ(Value(prometheus, "count(up{job=\"blackbox\"} == 1)"), 2);
  prober->Stop();
}

}  // namespace
}  // namespace registrar::metrics
