#include "controller/controller.h"

#include <unistd.h>

#include <algorithm>

#include <utility>

#include "controller/reconciler.h"

namespace registrar::controller {
namespace {

using std::chrono::seconds;

std::string DefaultMemberId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "registrar") + "-" + std::to_string(getpid());
}

}  // namespace

ClusterOptions EffectiveCluster(const RegistrationOptions& options) {
  ClusterOptions c = options.cluster;
  if (c.name.empty()) {
    for (char ch : options.prefix) {
      if (ch == '/') {
        if (!c.name.empty() && c.name.back() != '-') c.name += '-';
      } else {
        c.name += ch;
      }
    }
    while (!c.name.empty() && c.name.back() == '-') c.name.pop_back();
    if (c.name.empty()) c.name = "default";
  }
  if (c.coordination_prefix.empty()) c.coordination_prefix = "/etcd-registrar/" + c.name + "/";
  if (c.coordination_prefix.back() != '/') c.coordination_prefix += '/';
  if (c.member_id.empty()) c.member_id = DefaultMemberId();
  // The session must end well before registrations expire, so a new owner
  // adopts a dead member's keys while they still exist.
  if (c.session_ttl >= options.lease_ttl) {
    c.session_ttl = std::max<Duration>(kMinLeaseTtl, options.lease_ttl / 2);
  }
  return c;
}

absl::Status ValidateRegistrationOptions(const RegistrationOptions& options) {
  if (options.lease_ttl < kMinLeaseTtl) {
    return absl::InvalidArgumentError(
        "lease TTL " + std::to_string(ToSeconds(options.lease_ttl)) +
        "s is below etcd's minimum of 2s (etcd would silently raise it)");
  }
  if (options.lease_ttl % seconds(1) != Duration::zero()) {
    return absl::InvalidArgumentError("lease TTL must be a whole number of seconds");
  }
  if (options.resync_period <= Duration::zero()) {
    return absl::InvalidArgumentError("resync period must be positive");
  }
  if (options.prefix.empty()) return absl::InvalidArgumentError("key prefix must not be empty");
  const ClusterOptions c = EffectiveCluster(options);
  if (c.coordination_prefix.starts_with(options.prefix) ||
      options.prefix.starts_with(c.coordination_prefix)) {
    return absl::InvalidArgumentError("cluster coordination prefix " + c.coordination_prefix +
                                      " must not overlap the registration prefix " +
                                      options.prefix + " (consumers would see member keys)");
  }
  return absl::OkStatus();
}

Controller::Controller(etcd::Client& client, Clock& clock, Random& random,
                       RegistrationOptions options, std::vector<ServiceRegistration> services,
                       ControllerObserver* observer, ControllerTuning tuning)
    : impl_(std::make_unique<Impl>(client, clock, random, std::move(options), std::move(services),
                                   observer, tuning)) {}

Controller::~Controller() = default;

void Controller::SetServices(std::vector<ServiceRegistration> services) {
  impl_->SetServices(std::move(services));
}
void Controller::SetHealthy(const probes::Target& target, bool healthy) {
  impl_->SetHealth(target, healthy ? probes::Health::kHealthy : probes::Health::kUnhealthy, false);
}
void Controller::OnHealth(const probes::Target& target, probes::Health health) {
  impl_->SetHealth(target, health, false);
}
void Controller::OnResult(const std::string& target_id, bool ok) { impl_->OnResult(target_id, ok); }
void Controller::OfferHealth(const probes::Target& target, probes::Health health) {
  impl_->SetHealth(target, health, true);
}
void Controller::AwaitDrains() { impl_->AwaitDrains(); }
void Controller::SetDrained(std::set<std::string> drained_ids) {
  impl_->SetDrained(std::move(drained_ids));
}
bool Controller::Listed(const std::string& target_id) const { return impl_->Listed(target_id); }
void Controller::SetTargets(std::shared_ptr<const TargetSet> targets) {
  impl_->SetTargets(std::move(targets));
}
void Controller::SetOwnedTargetsCallback(std::function<void(OwnedTargets)> callback) {
  impl_->SetOwnedTargetsCallback(std::move(callback));
}
void Controller::Start() { impl_->Start(); }
void Controller::Stop(bool revoke) { impl_->Stop(revoke); }
ControllerSnapshot Controller::Snapshot() const { return impl_->Snapshot(); }
bool Controller::Ready() const { return impl_->Ready(); }

}  // namespace registrar::controller
