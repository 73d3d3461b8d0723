// Which live member owns which target: rendezvous (highest random weight)
// hashing of Target::Id() over member ids, with bounded loads when every
// member that owns computes over the same target set.
//
// Every member computes the same answer from the same inputs, with no
// coordination beyond the member list (and, for bounded loads, the target
// set it publishes as a digest). Pure functions, no state.
//
// OwnerOf (pure rendezvous): a target's owner depends only on its id and the
// member list. A join takes about 1/n of the targets (each from whoever held
// it); a leave hands only the leaver's targets to the others. Two members
// with different target lists still agree on every target in both. The
// shares are binomial: at 300 targets over 3 members σ ≈ 8 of 100, so ±20 %
// is missed in a few percent of clusters.
//
// AssignOwners (bounded loads, "consistent hashing with bounded loads"):
// each member holds at most ceil(N·(1+ε)/R) targets (ε = 1/20), so the
// largest share is ≤ 1.05·N/R and the smallest ≥ N − (R−1)·cap (≥ 0.9·N/R
// for R = 3). Targets are visited in an order fixed by their own hash; each
// goes to its highest-weight member that still has room. While no member is
// full this is exactly OwnerOf; a join or leave moves about 1/n plus the few
// targets that spill (measured in ownership_test.cc). CONTRACT: the answer
// for one target depends on the WHOLE target set, so two members agree on a
// target only if they pass the same `target_ids` and the same `members`. The
// caller may use it only when every member that owns publishes the digest of
// the very set passed here (reconciler.cc: the members of the newest config
// publish one digest; a member uses bounded loads only for the set behind
// that digest and falls back to OwnerOf otherwise), so a target in both
// lists of a rolling upgrade is never left without an owner.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace registrar::controller {

// The weight of `target_id` at `member_id` (64-bit mix of both strings).
uint64_t RendezvousWeight(std::string_view member_id, std::string_view target_id);

// The member with the highest weight for `target_id` (ties: the smaller id);
// empty when `members` is empty.
std::string OwnerOf(std::string_view target_id, const std::vector<std::string>& members);

// The most targets one of `members` owns under AssignOwners: ceil(n·21/(20·r)).
size_t BoundedLoadCapacity(size_t targets, size_t members);

// The owner of each of `target_ids` (same order; ids must be distinct) under
// bounded loads, see above; every owner is empty when `members` is empty. The
// result does not depend on the order of either list.
std::vector<std::string> AssignOwners(const std::vector<std::string>& target_ids,
                                      const std::vector<std::string>& members);

// The owner of each of `target_ids` (same order) among `members`: bounded
// loads over `bounded_set` (sorted ids; the set behind the owners' published
// digest, null when this replica does not know it) for the targets in it,
// plain rendezvous for every other target.
std::vector<std::string> OwnersOf(const std::vector<std::string>& target_ids,
                                  const std::vector<std::string>& members,
                                  const std::vector<std::string>* bounded_set);

}  // namespace registrar::controller
