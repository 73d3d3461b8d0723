// Metrics: every family exists from the first scrape, series follow the
// target set and the observers' callbacks, and the text passes promtool.
#include "metrics/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/metrics/test_util.h"

namespace registrar::metrics {
namespace {

using testing::Exposition;
using testing::HttpTarget;
using testing::Sample;

std::unique_ptr<Metrics> NewMetrics(MetricsOptions options = {}) {
  options.version = "1.2.3";
  options.revision = "abc123";
  auto metrics = Metrics::Create(options);
  EXPECT_TRUE(metrics.ok()) << metrics.status();
  return std::move(*metrics);
}

probes::Transition To(probes::Health from, probes::Health to) {
  probes::Transition t;
  t.from = from;
  t.to = to;
  return t;
}

probes::ProbeResult Result(bool ok, Duration latency) {
  probes::ProbeResult r;
  r.ok = ok;
  r.latency = latency;
  r.reason = ok ? "status 200" : "status 500";
  return r;
}

TEST(Metrics, ExposesEveryFamilyFromTheFirstScrape) {
  auto metrics = NewMetrics();
  metrics->SetTargets({HttpTarget("web", 8080)});
  const std::string text = Exposition(*metrics);
  for (const char* family : {
           "registrar_probes_total",
           "registrar_probe_duration_seconds",
           "registrar_probe_schedule_lag_seconds",
           "registrar_probe_failures_total",
           "registrar_config_last_reload_successful",
           "registrar_targets",
           "registrar_transitions_total",
           "registrar_registered_keys",
           "registrar_lease_ttl_seconds",
           "registrar_lease_held",
           "registrar_lease_regrants_total",
           "registrar_keepalive_failures_total",
           "registrar_etcd_requests_total",
           "registrar_etcd_keepalive_messages_total",
           "registrar_etcd_request_duration_seconds",
           "registrar_etcd_txn_operations",
           "registrar_reconcile_total",
           "registrar_reconcile_duration_seconds",
           "registrar_drift_repairs_total",
           "registrar_config_reloads_total",
           "registrar_config_last_reload_success_timestamp_seconds",
           "registrar_build_info",
           "process_cpu_seconds_total",
           "process_resident_memory_bytes",
           "process_virtual_memory_bytes",
           "process_open_fds",
           "process_max_fds",
           "process_start_time_seconds",
       }) {
    EXPECT_NE(text.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
  }
  // Known label combinations exist at zero before anything happened.
  EXPECT_EQ(Sample(text, "registrar_probes_total", {{"service", "web"}, {"result", "failure"}}), 0);
  EXPECT_EQ(Sample(text, "registrar_transitions_total", {{"service", "web"}, {"to", "healthy"}}),
            0);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "web"}, {"state", "unknown"}}), 1);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "web"}, {"state", "healthy"}}), 0);
  EXPECT_EQ(Sample(text, "registrar_probe_failures_total", {{"service", "web"}, {"reason", "dns"}}),
            0);
  EXPECT_EQ(Sample(text, "registrar_etcd_requests_total", {{"op", "txn"}, {"code", "OK"}}), 0);
  EXPECT_EQ(Sample(text, "registrar_reconcile_total", {{"result", "failure"}}), 0);
  EXPECT_EQ(Sample(text, "registrar_config_reloads_total", {{"result", "failure"}}), 0);
  EXPECT_EQ(Sample(text, "registrar_build_info", {{"version", "1.2.3"}, {"revision", "abc123"}}),
            1);
}

TEST(Metrics, ScrapedTextPassesPromtoolCheckMetrics) {
  auto metrics = NewMetrics();
  metrics->SetTargets({HttpTarget("web", 8080), HttpTarget("api", 9090)});
  metrics->OnResult(HttpTarget("web", 8080), Result(true, std::chrono::milliseconds(3)),
                    std::chrono::microseconds(200));
  metrics->OnRequest("put", absl::StatusCode::kUnavailable, std::chrono::milliseconds(5));
  metrics->OnReconcile(controller::ReconcileOutcome::kWritten, std::chrono::milliseconds(2));
  int code = -1;
  const std::string out = testing::PromtoolCheckMetrics(Exposition(*metrics), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "") << "promtool reported lint problems";
}

TEST(Metrics, TargetGaugesFollowTransitions) {
  auto metrics = NewMetrics();
  const probes::Target a = HttpTarget("web", 1001), b = HttpTarget("web", 1002);
  metrics->SetTargets({a, b});
  metrics->OnTransition(a, To(probes::Health::kUnknown, probes::Health::kHealthy));
  metrics->OnTransition(b, To(probes::Health::kUnknown, probes::Health::kUnhealthy));
  std::string text = Exposition(*metrics);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "web"}, {"state", "healthy"}}), 1);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "web"}, {"state", "unhealthy"}}), 1);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "web"}, {"state", "unknown"}}), 0);

  metrics->OnTransition(a, To(probes::Health::kHealthy, probes::Health::kUnhealthy));
  text = Exposition(*metrics);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "web"}, {"state", "unhealthy"}}), 2);
  EXPECT_EQ(Sample(text, "registrar_transitions_total", {{"service", "web"}, {"to", "unhealthy"}}),
            2);
  EXPECT_EQ(Sample(text, "registrar_transitions_total", {{"service", "web"}, {"to", "healthy"}}),
            1);
}

TEST(Metrics, CountsProbesByResultAndObservesLatency) {
  auto metrics = NewMetrics();
  const probes::Target a = HttpTarget("web", 1001);
  metrics->SetTargets({a});
  metrics->OnResult(a, Result(true, std::chrono::milliseconds(20)), Duration::zero());
  metrics->OnResult(a, Result(true, std::chrono::milliseconds(20)), Duration::zero());
  metrics->OnResult(a, Result(false, std::chrono::milliseconds(20)), std::chrono::seconds(2));
  const std::string text = Exposition(*metrics);
  EXPECT_EQ(Sample(text, "registrar_probes_total", {{"service", "web"}, {"result", "success"}}), 2);
  EXPECT_EQ(Sample(text, "registrar_probes_total", {{"service", "web"}, {"result", "failure"}}), 1);
  EXPECT_EQ(Sample(text, "registrar_probe_duration_seconds_count", {{"service", "web"}}), 3);
  EXPECT_NEAR(*Sample(text, "registrar_probe_duration_seconds_sum", {{"service", "web"}}), 0.06,
              1e-9);
  EXPECT_EQ(Sample(text, "registrar_probe_schedule_lag_seconds_count"), 3);
  EXPECT_EQ(Sample(text, "registrar_probe_schedule_lag_seconds_bucket", {{"le", "1"}}), 2);
}

TEST(Metrics, RemovedTargetsLoseTheirSeriesAndKeptOnesKeepTheirState) {
  auto metrics = NewMetrics();
  const probes::Target a = HttpTarget("web", 1001), b = HttpTarget("web", 1002),
                       c = HttpTarget("api", 2001);
  metrics->SetTargets({a, b, c});
  metrics->OnTransition(a, To(probes::Health::kUnknown, probes::Health::kHealthy));
  metrics->OnTransition(b, To(probes::Health::kUnknown, probes::Health::kHealthy));

  metrics->SetTargets({a});
  const std::string text = Exposition(*metrics);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "web"}, {"state", "healthy"}}), 1);
  EXPECT_EQ(text.find("service=\"api\""), std::string::npos) << "a removed service keeps series";
}

TEST(Metrics, ResultsAndTransitionsOfUnknownTargetsAreIgnored) {
  auto metrics = NewMetrics();
  metrics->SetTargets({HttpTarget("web", 1001)});
  const probes::Target gone = HttpTarget("gone", 1);
  metrics->OnResult(gone, Result(true, std::chrono::milliseconds(1)), Duration::zero());
  metrics->OnTransition(gone, To(probes::Health::kUnknown, probes::Health::kHealthy));
  EXPECT_EQ(Exposition(*metrics).find("service=\"gone\""), std::string::npos);
}

TEST(Metrics, CountsFailuresByTheClassTheTransportSetNotByTheirText) {
  auto metrics = NewMetrics();
  const probes::Target a = HttpTarget("web", 1001);
  metrics->SetTargets({a});
  auto fail = [&](probes::FailureClass failure, const char* reason) {
    probes::ProbeResult r = Result(false, std::chrono::milliseconds(1));
    r.reason = reason;
    r.failure = failure;
    metrics->OnResult(a, r, Duration::zero());
  };
  // The resolver's own words: once counted as "other" because they lack "resolve".
  fail(probes::FailureClass::kDns, "dns: Domain name not found (svc.example)");
  // Text that reads like another class counts by its class.
  fail(probes::FailureClass::kTimeout, "connection refused");
  fail(probes::FailureClass::kHttpStatus, "status 503");
  // A failure no transport classified is "other".
  fail(probes::FailureClass::kNone, "a hostile backend's own words");
  metrics->OnResult(a, Result(true, std::chrono::milliseconds(1)), Duration::zero());
  const std::string text = Exposition(*metrics);
  auto count = [&](const char* reason) {
    return Sample(text, "registrar_probe_failures_total", {{"service", "web"}, {"reason", reason}});
  };
  EXPECT_EQ(count("dns"), 1);
  EXPECT_EQ(count("timeout"), 1);
  EXPECT_EQ(count("refused"), 0);
  EXPECT_EQ(count("status"), 1);
  EXPECT_EQ(count("other"), 1);
  EXPECT_EQ(text.find("hostile"), std::string::npos);
}

TEST(Metrics, EveryCountedFailureClassIsALabelFromTheStart) {
  auto metrics = NewMetrics();
  metrics->SetTargets({HttpTarget("web", 1001)});
  const std::string text = Exposition(*metrics);
  for (std::string_view reason : {"timeout", "refused", "status", "body", "tls", "dns", "reset",
                                  "unreachable", "protocol", "grpc_status", "exec", "other"}) {
    EXPECT_EQ(Sample(text, "registrar_probe_failures_total",
                     {{"service", "web"}, {"reason", std::string(reason)}}),
              0)
        << reason;
  }
  EXPECT_EQ(text.find("reason=\"none\""), std::string::npos);
  EXPECT_EQ(text.find("reason=\"local_resource\""), std::string::npos);
}

TEST(Metrics, SaysWhetherTheLastConfigReloadSucceeded) {
  auto metrics = NewMetrics();
  metrics->OnConfigLoaded(WallTime(std::chrono::seconds(100)));
  EXPECT_EQ(Sample(Exposition(*metrics), "registrar_config_last_reload_successful"), 1);
  metrics->OnConfigReload(false, WallTime(std::chrono::seconds(200)));
  EXPECT_EQ(Sample(Exposition(*metrics), "registrar_config_last_reload_successful"), 0);
  metrics->OnConfigReload(true, WallTime(std::chrono::seconds(300)));
  EXPECT_EQ(Sample(Exposition(*metrics), "registrar_config_last_reload_successful"), 1);
}

TEST(Metrics, CountsEtcdRequestsByOpAndCode) {
  auto metrics = NewMetrics();
  metrics->OnRequest("txn", absl::StatusCode::kOk, std::chrono::milliseconds(4));
  metrics->OnRequest("txn", absl::StatusCode::kUnavailable, std::chrono::milliseconds(4));
  metrics->OnRequest("txn", absl::StatusCode::kUnavailable, std::chrono::milliseconds(4));
  metrics->OnRequest("lease_future_op", absl::StatusCode::kOk, std::chrono::milliseconds(1));
  const std::string text = Exposition(*metrics);
  EXPECT_EQ(Sample(text, "registrar_etcd_requests_total", {{"op", "txn"}, {"code", "OK"}}), 1);
  EXPECT_EQ(Sample(text, "registrar_etcd_requests_total", {{"op", "txn"}, {"code", "Unavailable"}}),
            2);
  EXPECT_EQ(Sample(text, "registrar_etcd_request_duration_seconds_count", {{"op", "txn"}}), 3);
  EXPECT_EQ(
      Sample(text, "registrar_etcd_requests_total", {{"op", "lease_future_op"}, {"code", "OK"}}),
      1);
}

TEST(Metrics, CountsKeepAliveMessagesApartFromRequests) {
  auto metrics = NewMetrics();
  EXPECT_EQ(Sample(Exposition(*metrics), "registrar_etcd_keepalive_messages_total"), 0);
  metrics->OnRequest("lease_keepalive", absl::StatusCode::kOk, std::chrono::milliseconds(1));
  for (int i = 0; i < 3; ++i) metrics->OnStreamMessage("lease_keepalive");
  metrics->OnStreamMessage("lease_future_stream");
  const std::string text = Exposition(*metrics);
  EXPECT_EQ(Sample(text, "registrar_etcd_keepalive_messages_total"), 3);
  EXPECT_EQ(
      Sample(text, "registrar_etcd_requests_total", {{"op", "lease_keepalive"}, {"code", "OK"}}),
      1);
}

TEST(Metrics, RecordsControllerAndConfigEvents) {
  auto metrics = NewMetrics();
  metrics->OnReconcile(controller::ReconcileOutcome::kWritten, std::chrono::milliseconds(3));
  metrics->OnReconcile(controller::ReconcileOutcome::kNoop, std::chrono::milliseconds(1));
  metrics->OnReconcile(controller::ReconcileOutcome::kError, std::chrono::milliseconds(1));
  metrics->OnRegisteredKeys(7);
  metrics->OnLease(0x694d7c1a2b3c, 10);
  metrics->OnLeaseRegrant();
  metrics->OnKeepAliveFailure();
  metrics->OnDriftRepair(2);
  metrics->OnTxn(5);
  metrics->OnConfigReload(true, WallTime(std::chrono::seconds(1700000000)));
  metrics->OnConfigReload(false, WallTime(std::chrono::seconds(1700000100)));
  const std::string text = Exposition(*metrics);
  EXPECT_EQ(Sample(text, "registrar_reconcile_total", {{"result", "success"}}), 2);
  EXPECT_EQ(Sample(text, "registrar_reconcile_total", {{"result", "failure"}}), 1);
  EXPECT_EQ(Sample(text, "registrar_reconcile_duration_seconds_count"), 3);
  EXPECT_EQ(Sample(text, "registrar_registered_keys"), 7);
  EXPECT_EQ(Sample(text, "registrar_lease_ttl_seconds"), 10);
  EXPECT_EQ(Sample(text, "registrar_lease_held"), 1);
  EXPECT_EQ(Sample(text, "registrar_lease_regrants_total"), 1);
  EXPECT_EQ(Sample(text, "registrar_keepalive_failures_total"), 1);
  EXPECT_EQ(Sample(text, "registrar_drift_repairs_total"), 2);
  EXPECT_EQ(Sample(text, "registrar_etcd_txn_operations_count"), 1);
  EXPECT_EQ(Sample(text, "registrar_config_reloads_total", {{"result", "success"}}), 1);
  EXPECT_EQ(Sample(text, "registrar_config_reloads_total", {{"result", "failure"}}), 1);
  EXPECT_EQ(Sample(text, "registrar_config_last_reload_success_timestamp_seconds"), 1700000000);

  metrics->OnLease(0, 0);
  EXPECT_EQ(Sample(Exposition(*metrics), "registrar_lease_held"), 0);
}

TEST(Metrics, TheConfigReadAtStartSetsTheTimestampButCountsNoReload) {
  auto metrics = NewMetrics();
  metrics->OnConfigLoaded(WallTime(std::chrono::seconds(1700000000)));
  const std::string text = Exposition(*metrics);
  EXPECT_EQ(Sample(text, "registrar_config_last_reload_success_timestamp_seconds"), 1700000000);
  EXPECT_EQ(Sample(text, "registrar_config_reloads_total", {{"result", "success"}}), 0);
}

TEST(Metrics, ProcessMetricsDescribeThisProcess) {
  auto metrics = NewMetrics();
  const std::string text = Exposition(*metrics);
  EXPECT_GT(*Sample(text, "process_resident_memory_bytes"), 1024 * 1024);
  EXPECT_GT(*Sample(text, "process_virtual_memory_bytes"),
            *Sample(text, "process_resident_memory_bytes"));
  EXPECT_GE(*Sample(text, "process_open_fds"), 3);
  EXPECT_GE(*Sample(text, "process_max_fds"), *Sample(text, "process_open_fds"));
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double start = *Sample(text, "process_start_time_seconds");
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 24 * 3600);  // a test binary started within a day
  EXPECT_GE(*Sample(text, "process_cpu_seconds_total"), 0);
}

TEST(Metrics, ObserversAreSafeWhileTheTargetSetChanges) {
  auto metrics = NewMetrics();
  std::vector<probes::Target> targets;
  for (int i = 0; i < 50; ++i)
    targets.push_back(HttpTarget("svc" + std::to_string(i % 5), 1000 + i));
  metrics->SetTargets(targets);
  std::thread prober([&] {
    for (int round = 0; round < 200; ++round) {
      for (const probes::Target& t : targets) {
        metrics->OnResult(t, Result(round % 2 == 0, std::chrono::milliseconds(1)),
                          Duration::zero());
        metrics->OnTransition(
            t, To(probes::Health::kUnknown,
                  round % 2 == 0 ? probes::Health::kHealthy : probes::Health::kUnhealthy));
      }
    }
  });
  for (int round = 0; round < 50; ++round) {
    metrics->SetTargets(round % 2 == 0
                            ? std::vector<probes::Target>(targets.begin(), targets.begin() + 10)
                            : targets);
    (void)Exposition(*metrics);
  }
  prober.join();
  metrics->SetTargets(targets);
  // Whatever interleaving happened, each service's states add up to its targets.
  const std::string text = Exposition(*metrics);
  for (int s = 0; s < 5; ++s) {
    const std::string svc = "svc" + std::to_string(s);
    double sum = 0;
    for (const char* state : {"healthy", "unhealthy", "unknown"}) {
      sum += *Sample(text, "registrar_targets", {{"service", svc}, {"state", state}});
    }
    EXPECT_EQ(sum, 10) << svc;
  }
}

}  // namespace
}  // namespace registrar::metrics
