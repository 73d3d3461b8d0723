#include "cluster/ownership.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace registrar::controller {
namespace {

// FNV-1a over the bytes, then SplitMix64's finalizer so that ids differing in
// one character still get unrelated weights.
uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// `a` outranks `b` for a target: higher weight, ties to the smaller id.
bool Outranks(uint64_t wa, const std::string& a, uint64_t wb, const std::string& b) {
  return wa > wb || (wa == wb && a < b);
}

}  // namespace

uint64_t RendezvousWeight(std::string_view member_id, std::string_view target_id) {
  uint64_t h = Fnv1a(0xcbf29ce484222325ULL, member_id);
  h = Fnv1a(h ^ 0xff, target_id);  // separator: ("ab","c") and ("a","bc") differ
  return Mix(h);
}

std::string OwnerOf(std::string_view target_id, const std::vector<std::string>& members) {
  const std::string* best = nullptr;
  uint64_t best_weight = 0;
  for (const auto& m : members) {
    const uint64_t w = RendezvousWeight(m, target_id);
    if (best == nullptr || Outranks(w, m, best_weight, *best)) {
      best = &m;
      best_weight = w;
    }
  }
  return best ? *best : std::string();
}

size_t BoundedLoadCapacity(size_t targets, size_t members) {
  if (members == 0) return 0;
  return (targets * 21 + members * 20 - 1) / (members * 20);  // ε = 1/20, in integers
}

std::vector<std::string> AssignOwners(const std::vector<std::string>& target_ids,
                                      const std::vector<std::string>& members) {
  std::vector<std::string> owners(target_ids.size());
  if (members.empty()) return owners;
  // The visiting order depends on the ids alone (not on the list order).
  std::vector<std::pair<uint64_t, size_t>> order;
  order.reserve(target_ids.size());
  for (size_t i = 0; i < target_ids.size(); ++i) {
    order.emplace_back(RendezvousWeight("", target_ids[i]), i);
  }
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : target_ids[a.second] < target_ids[b.second];
  });
  const size_t capacity = BoundedLoadCapacity(target_ids.size(), members.size());
  std::vector<size_t> load(members.size(), 0);
  for (const auto& [hash, i] : order) {
    size_t best = members.size();
    uint64_t best_weight = 0;
    for (size_t m = 0; m < members.size(); ++m) {
      if (load[m] >= capacity) continue;
      const uint64_t w = RendezvousWeight(members[m], target_ids[i]);
      if (best == members.size() || Outranks(w, members[m], best_weight, members[best])) {
        best = m;
        best_weight = w;
      }
    }
    ++load[best];  // capacity·members ≥ targets: someone always has room
    owners[i] = members[best];
  }
  return owners;
}

std::vector<std::string> OwnersOf(const std::vector<std::string>& target_ids,
                                  const std::vector<std::string>& members,
                                  const std::vector<std::string>* bounded_set) {
  std::map<std::string_view, std::string> bounded;
  if (bounded_set) {
    std::vector<std::string> owners = AssignOwners(*bounded_set, members);
    for (size_t i = 0; i < owners.size(); ++i) bounded[(*bounded_set)[i]] = std::move(owners[i]);
  }
  std::vector<std::string> out;
  out.reserve(target_ids.size());
  for (const std::string& id : target_ids) {
    auto b = bounded.find(id);
    out.push_back(b != bounded.end() ? b->second : OwnerOf(id, members));
  }
  return out;
}

}  // namespace registrar::controller
