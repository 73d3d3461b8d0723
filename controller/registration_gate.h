// What the controller is told to register: probe health, minus drained
// targets, held by fail-open.
//
// The gate sits between the prober's verdicts and Controller::SetHealthy. For
// every target it forwards `registered = healthy && !drained`, except that a
// service in fail-open keeps the registrations it had:
//
//   forward(t) = !drained(t) && (healthy(t) || (fail_open(service) && forwarded(t)))
//
// Fail-open (per service, off unless a threshold is set): the service's
// "round" is the latest probe result of each of its targets that has one. When
// fewer than `below_healthy_percent` of them passed, the registrar is more
// likely cut off from the targets than the targets are down, so no key of the
// service is deleted because of health; it resumes normal judging (and
// deletes what is unhealthy then) when the share is back at or above the
// threshold. Results count before transitions, so with failureThreshold >= 2 a
// partition that fails every target within one period trips fail-open before
// any target turns unhealthy; with failureThreshold 1 the first failures race
// the share.
//
// Drained targets are removed at once and never forwarded as healthy; an
// undrained target is forwarded as registered only if it is healthy then.
// Nothing is forwarded as registered before the first SetDrained(): until the
// drains are known, a drained target must not be registered even briefly.
//
// Ownership (several replicas): the gate judges only the targets this replica
// owns (SetOwned; all configured targets until it is first called). The
// controller forgets its verdict of a target that moves to another replica,
// and so does the gate: when the target comes back, its first verdict is
// forwarded whatever was forwarded before it left (a healthy target gets its
// key again, an unhealthy one loses the key it was adopted with). Results of
// targets owned elsewhere count toward no fail-open share.
//
// Thread-safety: thread-safe; `sink` is called with the gate's lock held, in
// order, and must not call back into the gate.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "probes/prober.h"
#include "probes/spec.h"

namespace registrar::controller {

class RegistrationGate {
 public:
  // Tells the controller whether `target` should have a key.
  using Sink = std::function<void(const probes::Target& target, bool registered)>;
  // Told when a service enters (true) or leaves (false) fail-open.
  using FailOpenListener = std::function<void(const std::string& service, bool open)>;

  explicit RegistrationGate(Sink sink, FailOpenListener on_fail_open = {});

  // Configured targets and each service's fail-open threshold (percent,
  // 1-100; services not in the map never fail open). Removed targets are
  // forgotten (the caller tells the controller).
  void SetTargets(const std::vector<probes::Target>& targets,
                  const std::map<std::string, int>& fail_open_below_percent);
  // The latest probe result of a target (counts toward its service's share).
  void OnResult(const probes::Target& target, bool ok);
  // The target's health now (a threshold was crossed).
  void OnHealth(const probes::Target& target, bool healthy);
  // The full set of drained target ids.
  void SetDrained(const std::set<std::string>& drained_ids);
  // The targets this replica owns now (the controller's owned set). A target
  // that leaves it is forgotten; one that comes back is judged afresh (a
  // drained one is forwarded as unregistered at once). Returns the targets
  // that came back.
  std::vector<probes::Target> SetOwned(const std::vector<probes::Target>& owned);
  // The health the prober has now for a target that came back: when it moved
  // away and back before the prober dropped it, no transition will come. Used
  // only while the gate has no verdict of it, so it never overrides one.
  void OnCurrentHealth(const probes::Target& target, bool healthy);

  std::vector<std::string> FailOpenServices() const;

 private:
  struct Entry {
    probes::Target target;
    bool owned = true;
    std::optional<bool> healthy;    // none: no verdict since owned
    int last_result = -1;           // -1 none, 0 failed, 1 passed
    std::optional<bool> forwarded;  // none: nothing told since owned
  };
  void UpdateService(const std::string& service);  // requires mu_
  void Forward(Entry& entry);                      // requires mu_

  const Sink sink_;
  const FailOpenListener on_fail_open_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> targets_;  // by Target::Id(); guarded by mu_
  std::map<std::string, int> threshold_;  // service → percent; guarded by mu_
  std::set<std::string> fail_open_;       // guarded by mu_
  std::set<std::string> drained_;         // guarded by mu_
  bool drains_known_ = false;             // guarded by mu_
};

// The controller's owned set handed on (the daemon's owned-targets callback):
// to the gate first, so it forgets targets that moved away before the prober
// stops probing them, then to the prober. A target that came back before the
// prober dropped it gets no new transition, so the gate takes the health the
// prober has of it.
void ApplyOwnedTargets(std::vector<probes::Target> owned, RegistrationGate& gate,
                       probes::Prober& prober);

}  // namespace registrar::controller
