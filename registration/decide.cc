#include "registration/decide.h"

#include <algorithm>

namespace registrar::controller {
namespace {

// What the rows say about keys beyond the desired set.
struct KeyFacts {
  std::map<std::string, std::string> target_by_key;  // every known target's keys
  std::set<std::string> ours_unhealthy;  // keys of owned targets our probes judged unhealthy
  std::set<std::string> not_ours;        // our keys of targets moved away, within the grace
};

const std::string* GroupOf(const std::vector<std::string>& groups, const std::string& key) {
  for (const auto& g : groups) {
    if (key.starts_with(g)) return &g;
  }
  return nullptr;
}

}  // namespace

Decision Decide(const std::vector<TargetRow>& rows, const ObservedMap& observed,
                const DecideInput& in) {
  Decision d;
  KeyFacts facts;
  for (const auto& g : in.groups) d.by_group[g];
  for (const TargetRow& row : rows) {
    for (const LayoutKey& k : *row.keys) {
      const std::string& key = k.key;
      facts.target_by_key[key] = row.id;
      auto seen = observed.find(key);
      if (!row.owned) {
        const bool ours =
            seen != observed.end() && in.lease_id != 0 && seen->second.lease == in.lease_id;
        if (ours && in.now - row.unowned_since < in.release_after) {
          facts.not_ours.insert(key);
          const MonoTime due = row.unowned_since + in.release_after;
          d.revisit_at = d.revisit_at ? std::min(*d.revisit_at, due) : due;
        }
        continue;
      }
      std::string value;
      if (row.health == probes::Health::kHealthy) {
        value = k.value;
      } else if (row.health == probes::Health::kUnknown && seen != observed.end()) {
        value = seen->second.value;
        if (seen->second.lease != in.lease_id) ++d.adoptions;
      } else {
        if (row.health == probes::Health::kUnhealthy) facts.ours_unhealthy.insert(key);
        continue;
      }
      if (in.parked && !in.retry_parked) {
        auto parked = in.parked->find(key);
        if (parked != in.parked->end() && parked->second.first == value) continue;
      }
      if (const std::string* g = GroupOf(in.groups, key)) d.by_group[*g][key] = value;
      d.keys_by_target[row.id].push_back(key);
    }
  }

  for (const auto& [prefix, keys] : d.by_group) {
    const bool owns_prefix = !in.owned_prefix.empty() && prefix == in.owned_prefix;
    auto remove = [&](const std::string& key, const ObservedKey& kv) {
      if (in.lease_id != 0 && kv.lease == in.lease_id) return !facts.not_ours.contains(key);
      if (facts.ours_unhealthy.contains(key)) return true;
      return owns_prefix && !facts.target_by_key.contains(key) &&
             !in.member_leases.contains(kv.lease);
    };
    auto first = observed.lower_bound(prefix);
    auto last = first;
    while (last != observed.end() && last->first.starts_with(prefix)) ++last;
    Merge(d.plan, Reconcile(keys, first, last, in.lease_id, remove));
  }
  // Every key of one target goes in one Txn: its layouts appear and go in
  // the same revision.
  auto unit = [&](const std::string& key) {
    if (auto t = facts.target_by_key.find(key); t != facts.target_by_key.end()) {
      d.plan.units[key] = t->second;
    }
  };
  for (const auto& [key, value] : d.plan.puts) unit(key);
  for (const auto& key : d.plan.deletes) unit(key);
  return d;
}

}  // namespace registrar::controller
