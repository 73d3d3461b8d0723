// The registration decision: which keys this replica wants in etcd and the
// writes that make etcd hold them. Pure: no clock, no etcd, no lock; the
// same rows and observed keys give the same decision, and deciding again on
// the keys its own plan produced gives an empty plan.
//
// One row per known target (configured or from a source), as the controller
// thread sees it at one instant: whether this replica owns it, our probes'
// verdict (already passed through drains and fail-open, judge.h),
// its keys rendered in every layout, and since when it is not ours.
//
// The rules, in one place:
//  - Desired: an owned target judged healthy wants each of its keys with its
//    rendered value. An owned target not judged yet (`unknown`) keeps the
//    keys it has, as they are (adoption: counted when the key carries another
//    lease). An owned unhealthy target wants none.
//  - A key etcd refused for its own content (parked) is not tried again with
//    the same value until `retry_parked` (each resync).
//  - Put: a desired key absent, with another value, or under another lease.
//  - Delete, of an observed key no target of ours wants:
//      * under our lease, unless its target moved to another member less than
//        `release_after` ago (its new owner adopts it meanwhile);
//      * of an owned target our probes judged unhealthy, whoever wrote it;
//      * in `owned_prefix` (options.ownsPrefix), when no known target has
//        that key and no live member's lease carries it (an orphan).
//    Any other key belongs to another writer and is left alone.
//  - Every key of one target is one unit: its layouts change in one Txn.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "probes/health_state.h"
#include "registration/keys.h"
#include "registration/reconcile.h"

namespace registrar::controller {

struct TargetRow {
  std::string id;  // Target::Id()
  bool owned = false;
  probes::Health health = probes::Health::kUnknown;
  MonoTime unowned_since{};              // when it stopped being ours (owned == false)
  const std::vector<LayoutKey>* keys{};  // one per layout; never null
};

struct DecideInput {
  std::vector<std::string> groups;  // disjoint key prefixes observed
  int64_t lease_id = 0;             // ours; 0 in a dry run
  std::set<int64_t> member_leases;  // registration leases of the live members
  std::string owned_prefix;         // empty unless the registrar owns its prefix
  // Key → (value etcd refused, why).
  const std::map<std::string, std::pair<std::string, std::string>>* parked{};
  bool retry_parked = false;
  MonoTime now{};
  Duration release_after{};  // a lease TTL
};

struct Decision {
  std::map<std::string, DesiredMap> by_group;  // group prefix → key → value
  // Target id → its desired keys, one per layout.
  std::map<std::string, std::vector<std::string>> keys_by_target;
  size_t adoptions = 0;  // desired keys taken over as they are
  Plan plan;
  // When a key kept for a target's new owner is next due for deletion (its
  // grace ends): deciding again then deletes it if nobody adopted it.
  std::optional<MonoTime> revisit_at;
};

Decision Decide(const std::vector<TargetRow>& rows, const ObservedMap& observed,
                const DecideInput& in);

}  // namespace registrar::controller
