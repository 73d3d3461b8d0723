// Which live member owns which target: rendezvous (highest random weight)
// hashing of Target::Id() over member ids.
//
// Every member computes the same answer from the same member list, with no
// coordination beyond the list itself. A member joining takes about 1/n of
// the targets (each from whoever held it); a member leaving hands only its own
// targets to the others, spread evenly. Pure functions, no state.
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

}  // namespace registrar::controller
