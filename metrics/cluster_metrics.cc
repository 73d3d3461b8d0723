#include "metrics/cluster_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <string>

namespace registrar::metrics {
namespace {

prometheus::Gauge* MakeGauge(prometheus::Registry& r, const std::string& name,
                             const std::string& help) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Counter* MakeCounter(prometheus::Registry& r, const std::string& name,
                                 const std::string& help) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

ClusterMetrics::ClusterMetrics(prometheus::Registry& r)
    : members_(MakeGauge(r, "registrar_cluster_members",
                         "Live members of the registrar's cluster in this replica's view.")),
      owned_targets_(MakeGauge(r, "registrar_owned_targets",
                               "Targets this replica owns (probes and registers).")),
      adoptions_(MakeCounter(r, "registrar_adoptions_total",
                             "Existing keys of newly owned targets put under this replica's "
                             "lease (takeovers).")),
      fenced_writes_(MakeCounter(r, "registrar_fenced_writes_total",
                                 "Txns refused by their fence: this replica's membership or its "
                                 "view of the cluster was stale.")),
      membership_changes_(MakeCounter(r, "registrar_membership_changes_total",
                                      "Changes of this replica's view of the cluster.")),
      session_(MakeGauge(r, "registrar_session_held",
                         "1 while this replica is a member (its session lease is held).")),
      rejected_keys_(MakeGauge(r, "registrar_rejected_keys",
                               "Keys etcd refuses to store (e.g. value too large); see the "
                               "status page for which.")),
      alarm_nospace_(nullptr),
      alarm_corrupt_(nullptr),
      unreachable_seconds_(MakeGauge(
          r, "registrar_etcd_unreachable_seconds",
          "How long no etcd member has answered the registrar (0 while one does); updated at "
          "each etcd request, several times per lease TTL while etcd is unreachable.")) {
  auto& alarms = prometheus::BuildGauge()
                     .Name("registrar_etcd_alarm")
                     .Help(
                         "1 while etcd refuses the registrar's writes for this alarm (NOSPACE: "
                         "quota full; CORRUPT); registered keys stay, new ones wait.")
                     .Register(r);
  alarm_nospace_ = &alarms.Add({{"alarm", "NOSPACE"}});
  alarm_corrupt_ = &alarms.Add({{"alarm", "CORRUPT"}});
}

void ClusterMetrics::OnMembers(size_t members, size_t owned_targets) {
  members_->Set(static_cast<double>(members));
  owned_targets_->Set(static_cast<double>(owned_targets));
}
void ClusterMetrics::OnMembershipChange() { membership_changes_->Increment(); }
void ClusterMetrics::OnAdoptions(size_t adopted) {
  adoptions_->Increment(static_cast<double>(adopted));
}
void ClusterMetrics::OnFencedWrite() { fenced_writes_->Increment(); }
void ClusterMetrics::OnSession(bool joined) { session_->Set(joined ? 1 : 0); }
void ClusterMetrics::OnRejectedKeys(size_t keys) { rejected_keys_->Set(static_cast<double>(keys)); }

void ClusterMetrics::OnEtcdAlarm(std::string_view alarm) {
  alarm_nospace_->Set(alarm == "NOSPACE" ? 1 : 0);
  alarm_corrupt_->Set(alarm == "CORRUPT" ? 1 : 0);
}

void ClusterMetrics::OnEtcdRequest(absl::StatusCode code, MonoTime now) {
  const int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  if (code != absl::StatusCode::kUnavailable && code != absl::StatusCode::kDeadlineExceeded) {
    unreachable_since_.store(0);
    unreachable_seconds_->Set(0);
    return;
  }
  int64_t since = 0;
  // The first failure since the last answer starts the count (now_ns > 0).
  unreachable_since_.compare_exchange_strong(since, std::max<int64_t>(now_ns, 1));
  since = unreachable_since_.load();
  if (since != 0) unreachable_seconds_->Set(static_cast<double>(now_ns - since) / 1e9);
}

}  // namespace registrar::metrics
