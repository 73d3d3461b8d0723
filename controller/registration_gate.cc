#include "controller/registration_gate.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "common/log_fields.h"

namespace registrar::controller {

RegistrationGate::RegistrationGate(Sink sink, FailOpenListener on_fail_open)
    : sink_(std::move(sink)), on_fail_open_(std::move(on_fail_open)) {}

void RegistrationGate::SetTargets(const std::vector<probes::Target>& targets,
                                  const std::map<std::string, int>& fail_open_below_percent) {
  std::lock_guard lock(mu_);
  std::map<std::string, Entry> next;
  std::set<std::string> services;
  for (const probes::Target& t : targets) {
    std::string id = t.Id();
    auto it = targets_.find(id);
    Entry entry = it != targets_.end() ? std::move(it->second) : Entry{};
    entry.target = t;
    next.emplace(std::move(id), std::move(entry));
    services.insert(t.service);
  }
  targets_ = std::move(next);
  threshold_ = fail_open_below_percent;
  for (auto it = fail_open_.begin(); it != fail_open_.end();) {
    if (services.contains(*it)) {
      ++it;
    } else {
      it = fail_open_.erase(it);
    }
  }
  for (const std::string& service : services) UpdateService(service);
}

void RegistrationGate::OnResult(const probes::Target& target, bool ok) {
  std::lock_guard lock(mu_);
  auto it = targets_.find(target.Id());
  if (it == targets_.end() || !it->second.owned) return;
  const int result = ok ? 1 : 0;
  if (it->second.last_result == result) return;
  it->second.last_result = result;
  UpdateService(target.service);
}

void RegistrationGate::OnHealth(const probes::Target& target, bool healthy) {
  std::lock_guard lock(mu_);
  auto it = targets_.find(target.Id());
  if (it == targets_.end() || !it->second.owned) return;
  it->second.healthy = healthy;
  Forward(it->second);
}

void RegistrationGate::SetDrained(const std::set<std::string>& drained_ids) {
  std::lock_guard lock(mu_);
  drained_ = drained_ids;
  drains_known_ = true;
  for (auto& [id, entry] : targets_) Forward(entry);
}

std::vector<probes::Target> RegistrationGate::SetOwned(const std::vector<probes::Target>& owned) {
  std::set<std::string> owned_ids;
  for (const probes::Target& t : owned) owned_ids.insert(t.Id());
  std::lock_guard lock(mu_);
  std::set<std::string> services;
  std::vector<probes::Target> back;
  for (auto& [id, entry] : targets_) {
    const bool owned = owned_ids.contains(id);
    if (owned == entry.owned) continue;
    // Either way the target starts over: the controller forgot it when it
    // left, and whatever we knew of it then is stale when it comes back.
    entry = Entry{.target = std::move(entry.target), .owned = owned};
    services.insert(entry.target.service);
    if (owned) {
      back.push_back(entry.target);
      Forward(entry);  // a drained one goes at once
    }
  }
  for (const std::string& service : services) UpdateService(service);
  return back;
}

void RegistrationGate::OnCurrentHealth(const probes::Target& target, bool healthy) {
  std::lock_guard lock(mu_);
  auto it = targets_.find(target.Id());
  if (it == targets_.end() || !it->second.owned || it->second.healthy) return;
  it->second.healthy = healthy;
  Forward(it->second);
}

std::vector<std::string> RegistrationGate::FailOpenServices() const {
  std::lock_guard lock(mu_);
  return {fail_open_.begin(), fail_open_.end()};
}

void RegistrationGate::UpdateService(const std::string& service) {
  bool open = false;
  int with_result = 0, passed = 0;
  if (auto t = threshold_.find(service); t != threshold_.end()) {
    for (const auto& [id, entry] : targets_) {
      if (entry.target.service != service || !entry.owned || entry.last_result < 0) continue;
      ++with_result;
      passed += entry.last_result;
    }
    // passed / with_result < percent / 100, in integers.
    open = with_result > 0 && passed * 100 < t->second * with_result;
  }
  const bool was_open = fail_open_.contains(service);
  if (open == was_open) return;
  const LogFields fields(service, "");
  if (open) {
    fail_open_.insert(service);
    spdlog::warn(
        "fail-open: service {}: only {} of {} targets passed their last probe (below {}%); "
        "keeping its registrations until the share recovers",
        service, passed, with_result, threshold_[service]);
  } else {
    fail_open_.erase(service);
    spdlog::info("fail-open: service {}: {} of {} targets pass again; judging health normally",
                 service, passed, with_result);
  }
  if (on_fail_open_) on_fail_open_(service, open);
  for (auto& [id, entry] : targets_) {
    if (entry.target.service == service) Forward(entry);
  }
}

void RegistrationGate::Forward(Entry& entry) {
  if (!drains_known_ || !entry.owned) return;
  const bool drained = drained_.contains(entry.target.Id());
  // Without a verdict there is nothing to tell (the controller keeps an
  // adopted key until the probes decide), unless the target is drained.
  if (!drained && !entry.healthy) return;
  const bool hold = fail_open_.contains(entry.target.service) && entry.forwarded == true;
  const bool registered = !drained && (*entry.healthy || hold);
  if (entry.forwarded == registered) return;
  entry.forwarded = registered;
  sink_(entry.target, registered);
}

void ApplyOwnedTargets(std::vector<probes::Target> owned, RegistrationGate& gate,
                       probes::Prober& prober) {
  const std::vector<probes::Target> back = gate.SetOwned(owned);
  prober.SetTargets(std::move(owned));
  if (back.empty()) return;
  std::set<std::string> ids;
  for (const probes::Target& t : back) ids.insert(t.Id());
  for (const probes::TargetStatus& s : prober.Snapshot()) {
    if (s.health != probes::Health::kUnknown && ids.contains(s.target.Id())) {
      gate.OnCurrentHealth(s.target, s.health == probes::Health::kHealthy);
    }
  }
}

}  // namespace registrar::controller
