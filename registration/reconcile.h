// Level-triggered reconcile: desired keys vs observed keys → the writes that
// make them equal, batched into Txns.
//
// Pure and idempotent: `Reconcile` only compares maps. Running it on the state
// its own plan produced yields an empty plan, so nothing is written when
// nothing changed.
//
// Ownership rules:
//  - A desired key is ours: it is put when absent, when its value differs, or
//    when it carries another lease (someone overwrote it).
//  - An observed key that is not desired is deleted when it carries our lease
//    (a stale registration of a target no longer healthy or configured), and
//    when `owns_prefix` is true; otherwise it belongs to another writer and is
//    left alone.
//  - `lease_id` 0 means "no lease yet" (dry run): keys are compared by value
//    only and nothing is deleted as ours.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "etcd/client.h"

namespace registrar::controller {

using etcd::kMaxTxnOps;

struct ObservedKey {
  std::string value;
  int64_t lease = 0;
  int64_t mod_revision = 0;
  bool operator==(const ObservedKey&) const = default;
};

using DesiredMap = std::map<std::string, std::string>;   // key → value
using ObservedMap = std::map<std::string, ObservedKey>;  // key → what etcd holds

struct Plan {
  std::vector<std::pair<std::string, std::string>> puts;  // key, value; in key order
  std::vector<std::string> deletes;                       // in key order
  // Key → unit (a target id): operations of one unit go in one Txn, so a
  // target's keys in every layout change in the same revision. Keys without
  // a unit are units of their own.
  std::map<std::string, std::string> units;
  bool empty() const { return puts.empty() && deletes.empty(); }
  size_t size() const { return puts.size() + deletes.size(); }
};

Plan Reconcile(const DesiredMap& desired, const ObservedMap& observed, int64_t lease_id,
               bool owns_prefix);

// The same put rule over the observed keys in [first, last); an observed key
// not desired is deleted when `remove(key, observed)` says so (the caller's
// deletion rules, decide.h). Deletes come in key order.
using RemoveRule = std::function<bool(const std::string& key, const ObservedKey& kv)>;
Plan Reconcile(const DesiredMap& desired, ObservedMap::const_iterator first,
               ObservedMap::const_iterator last, int64_t lease_id, const RemoveRule& remove);

// Appends `other`'s operations to `plan` (plans of disjoint key spaces).
void Merge(Plan& plan, const Plan& other);

// The plan as Txn operation lists of at most `max_ops` each; puts carry
// `lease_id`. Every key appears once in the whole result; the operations of
// one unit share a list (unless the unit alone exceeds `max_ops`), and units
// with puts come before units with only deletes.
std::vector<std::vector<etcd::Op>> ToTxnBatches(const Plan& plan, int64_t lease_id,
                                                size_t max_ops = kMaxTxnOps);

// `observed` after `plan` was applied at `revision` with `lease_id`. A key
// observed at a newer mod_revision is left alone (a later change won). Returns
// the keys whose delete was applied.
std::vector<std::string> ApplyPlan(const Plan& plan, int64_t lease_id, int64_t revision,
                                   ObservedMap& observed);

}  // namespace registrar::controller
