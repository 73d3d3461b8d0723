#include "registration/reconcile.h"

#include <algorithm>
#include <string_view>

namespace registrar::controller {

Plan Reconcile(const DesiredMap& desired, const ObservedMap& observed, int64_t lease_id,
               bool owns_prefix) {
  return Reconcile(desired, observed.begin(), observed.end(), lease_id,
                   [&](const std::string&, const ObservedKey& kv) {
                     return owns_prefix || (lease_id != 0 && kv.lease == lease_id);
                   });
}

Plan Reconcile(const DesiredMap& desired, ObservedMap::const_iterator first,
               ObservedMap::const_iterator last, int64_t lease_id, const RemoveRule& remove) {
  Plan plan;
  // Both are in key order: one walk over the two.
  auto seen = first;
  for (const auto& [key, value] : desired) {
    for (; seen != last && seen->first < key; ++seen) {
      if (remove(seen->first, seen->second)) plan.deletes.push_back(seen->first);
    }
    if (seen == last || seen->first != key) {
      plan.puts.emplace_back(key, value);
      continue;
    }
    const bool lease_ok = lease_id == 0 || seen->second.lease == lease_id;
    if (!lease_ok || seen->second.value != value) plan.puts.emplace_back(key, value);
    ++seen;
  }
  for (; seen != last; ++seen) {
    if (remove(seen->first, seen->second)) plan.deletes.push_back(seen->first);
  }
  return plan;
}

void Merge(Plan& plan, const Plan& other) {
  plan.puts.insert(plan.puts.end(), other.puts.begin(), other.puts.end());
  plan.deletes.insert(plan.deletes.end(), other.deletes.begin(), other.deletes.end());
}

std::vector<std::vector<etcd::Op>> ToTxnBatches(const Plan& plan, int64_t lease_id,
                                                size_t max_ops) {
  max_ops = std::max<size_t>(max_ops, 1);
  // Units in the order of their first operation: puts first, so when a
  // registration moves to another key (format change) the new key appears
  // before the old one goes, and readers see no gap.
  std::vector<std::vector<etcd::Op>> units;
  std::map<std::string_view, size_t> unit_index;
  auto unit_of = [&](const std::string& key) -> std::vector<etcd::Op>& {
    auto u = plan.units.find(key);
    if (u == plan.units.end()) return units.emplace_back();
    auto [it, added] = unit_index.try_emplace(u->second, units.size());
    if (added) units.emplace_back();
    return units[it->second];
  };
  for (const auto& [key, value] : plan.puts) {
    etcd::Op op;
    op.type = etcd::Op::Type::kPut;
    op.key = key;
    op.value = value;
    op.lease = lease_id;
    unit_of(key).push_back(std::move(op));
  }
  for (const auto& key : plan.deletes) {
    etcd::Op op;
    op.type = etcd::Op::Type::kDelete;
    op.key = key;
    unit_of(key).push_back(std::move(op));
  }
  std::vector<std::vector<etcd::Op>> batches;
  for (auto& unit : units) {
    if (batches.empty() || batches.back().size() + unit.size() > max_ops) {
      if (batches.empty() || !batches.back().empty()) batches.emplace_back();
      batches.back().reserve(max_ops);
    }
    for (auto& op : unit) {
      if (batches.back().size() >= max_ops) batches.emplace_back();  // a unit above max_ops
      batches.back().push_back(std::move(op));
    }
  }
  return batches;
}

std::vector<std::string> ApplyPlan(const Plan& plan, int64_t lease_id, int64_t revision,
                                   ObservedMap& observed) {
  auto newer = [&](const std::string& key) {
    auto it = observed.find(key);
    return it != observed.end() && it->second.mod_revision > revision;
  };
  for (const auto& [key, value] : plan.puts) {
    if (!newer(key)) observed[key] = ObservedKey{value, lease_id, revision};
  }
  std::vector<std::string> deleted;
  for (const auto& key : plan.deletes) {
    if (newer(key)) continue;
    observed.erase(key);
    deleted.push_back(key);
  }
  return deleted;
}

}  // namespace registrar::controller
