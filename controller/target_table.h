// The target table: every known target (configured or from a source) with
// all this replica knows of it — spec, our probes' verdict and latest
// result, the judgement (drains, fail-open; judge.h), owner, since when it is
// not ours, and its rendered keys. One per controller, the controller
// thread's alone (no lock): other threads post Changes, which the controller
// thread applies in the order they were posted (reconciler.h's inbox).
//
// Rules kept here:
//  - A target set replaces the table's targets: a target still listed keeps
//    its entry; a new one is not ours until the next ownership pass.
//  - A verdict of a target outside the set last given (a late transition of
//    one just removed), or of one another member owns, is dropped. Before
//    any set is given, verdicts add their targets (tests, benchmarks).
//  - An offered verdict (the prober's health of a target that came back) is
//    taken only while the target has none since it became ours.
//  - A target that leaves us forgets its verdict, results and judgement: it
//    is judged afresh if it comes back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "probes/health_state.h"
#include "probes/spec.h"
#include "registration/judge.h"
#include "registration/keys.h"

namespace registrar::controller {

class TargetTable {
 public:
  struct Entry {
    probes::Target target;
    // Since it became ours: our probes' verdict and latest result (-1 none,
    // 0 failed, 1 passed).
    probes::Health probe = probes::Health::kUnknown;
    int last_result = -1;
    // The judgement (judge.h): kHealthy registered, kUnknown adopt as is.
    probes::Health health = probes::Health::kUnknown;
    WallTime registered_at;  // first registration since it last turned healthy
    bool owned = false;
    std::string owner;         // empty until the first ownership pass
    MonoTime unowned_since{};  // when it stopped being ours
    // Its keys in every layout, rendered for `keys_for` at `keys_at` under
    // services version `keys_version` (rendering is the costly part of a
    // reconcile; most targets do not change between two).
    std::vector<LayoutKey> keys;
    probes::Target keys_for;
    WallTime keys_at{};
    uint64_t keys_version = ~uint64_t{0};
  };

  // A change posted by another thread.
  struct Change {
    enum class Kind { kHealth, kSet, kDrained };
    Kind kind = Kind::kHealth;
    probes::Target target;                             // kHealth
    probes::Health health = probes::Health::kUnknown;  // kHealth
    bool offer = false;  // kHealth: taken only while the target has no verdict
    std::shared_ptr<const std::vector<probes::Target>> targets;  // kSet
    std::shared_ptr<const std::set<std::string>> drained;        // kDrained
    MonoTime now{};                                              // when it was posted
  };

  // Probe results (id → passed) since the last call, all posted before the
  // changes applied after them. True when a fail-open share changed.
  bool TakeResults(const std::map<std::string, bool>& results);
  void Apply(Change& change);
  // Nothing is judged until the first kDrained change.
  void AwaitDrains() { drains_known_ = false; }

  // The target ids, in the table's order (that of SetOwners' `owners`).
  std::vector<std::string> Ids() const;
  // Writes each target's owner. Fills `owned` with ours, `newly_owned` with
  // the ids of those that were not ours before, and `owned_by` with each
  // owner's count; returns whether the set we own changed.
  bool SetOwners(std::vector<std::string> owners, const std::string& self, bool joined,
                 MonoTime now, std::vector<probes::Target>& owned,
                 std::set<std::string>& newly_owned, std::map<std::string, size_t>& owned_by);

  struct FailOpenChange {
    std::map<std::string, FailOpenShare> entered;
    std::vector<std::string> left;
  };
  // Judges every entry (judge.h) with the services' thresholds; a target
  // that turns registered gets `now` as its registration time.
  FailOpenChange Judge(const std::map<std::string, int>& below_percent, WallTime now);
  std::vector<std::string> FailOpenServices() const;

  size_t version() const { return version_; }  // changes when the set of targets does
  std::map<std::string, Entry>& entries() { return entries_; }
  const std::map<std::string, Entry>& entries() const { return entries_; }

 private:
  void ApplyHealth(Change& c);

  std::map<std::string, Entry> entries_;  // by Target::Id()
  size_t version_ = 0;
  bool set_given_ = false;
  std::set<std::string> drained_;
  bool drains_known_ = true;
  std::map<std::string, FailOpenShare> fail_open_;
};

}  // namespace registrar::controller
