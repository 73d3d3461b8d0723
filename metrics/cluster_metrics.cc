#include "metrics/cluster_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

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
                               "status page for which.")) {}

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

}  // namespace registrar::metrics
