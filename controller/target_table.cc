#include "controller/target_table.h"

#include <utility>

namespace registrar::controller {
namespace {

bool OwnedElsewhere(const TargetTable::Entry& e) { return !e.owned && !e.owner.empty(); }

}  // namespace

bool TargetTable::TakeResults(const std::map<std::string, bool>& results) {
  bool changed = false;
  for (const auto& [id, ok] : results) {
    auto it = entries_.find(id);
    if (it == entries_.end() || OwnedElsewhere(it->second)) continue;
    const int result = ok ? 1 : 0;
    if (it->second.last_result == result) continue;
    it->second.last_result = result;
    changed = true;
  }
  return changed;
}

void TargetTable::Apply(Change& c) {
  switch (c.kind) {
    case Change::Kind::kHealth:
      ApplyHealth(c);
      break;
    case Change::Kind::kSet: {
      // A new target is not ours until the next ownership pass, and not for
      // a lease TTL yet: a key of ours for it is left alone meanwhile.
      std::set<std::string> listed;
      for (const auto& t : *c.targets) listed.insert(t.Id());
      std::erase_if(entries_, [&](const auto& e) { return !listed.contains(e.first); });
      for (const auto& t : *c.targets) {
        auto [it, added] = entries_.try_emplace(t.Id());
        it->second.target = t;
        if (added) it->second.unowned_since = c.now;
      }
      ++version_;
      set_given_ = true;
      break;
    }
    case Change::Kind::kDrained:
      drained_ = *c.drained;
      drains_known_ = true;
      break;
  }
}

void TargetTable::ApplyHealth(Change& c) {
  auto it = entries_.find(c.target.Id());
  if (it == entries_.end()) {
    if (set_given_) return;
    it = entries_.try_emplace(c.target.Id()).first;
    it->second.target = c.target;
    it->second.unowned_since = c.now;
    ++version_;
  }
  Entry& entry = it->second;
  if (OwnedElsewhere(entry)) return;
  if (c.offer && entry.probe != probes::Health::kUnknown) return;
  entry.probe = c.health;
}

std::vector<std::string> TargetTable::Ids() const {
  std::vector<std::string> ids;
  ids.reserve(entries_.size());
  for (const auto& [id, e] : entries_) ids.push_back(id);
  return ids;
}

bool TargetTable::SetOwners(std::vector<std::string> owners, const std::string& self, bool joined,
                            MonoTime now, std::vector<probes::Target>& owned,
                            std::set<std::string>& newly_owned,
                            std::map<std::string, size_t>& owned_by) {
  bool changed = false;
  size_t i = 0;
  for (auto& [id, entry] : entries_) {
    const bool first_owner = entry.owner.empty();
    entry.owner = std::move(owners[i++]);
    const bool mine = joined && entry.owner == self;
    ++owned_by[entry.owner];
    if (!mine && (entry.owned || first_owner)) {
      // Judged afresh if it comes back: what we knew of it is stale then.
      entry.probe = entry.health = probes::Health::kUnknown;
      entry.last_result = -1;
    }
    if (mine != entry.owned) {
      changed = true;
      entry.owned = mine;
      if (mine) {
        newly_owned.insert(id);
      } else {
        entry.unowned_since = now;
      }
    }
    if (mine) owned.push_back(entry.target);
  }
  return changed;
}

TargetTable::FailOpenChange TargetTable::Judge(const std::map<std::string, int>& below_percent,
                                               WallTime now) {
  std::vector<JudgeRow> rows;
  rows.reserve(entries_.size());
  for (const auto& [id, e] : entries_) {
    rows.push_back({.service = &e.target.service,
                    .owned = e.owned,
                    .probe = e.probe,
                    .last_result = e.last_result,
                    .drained = drained_.contains(id),
                    .registered = e.health});
  }
  Judgement j = controller::Judge(rows, below_percent, drains_known_);
  size_t i = 0;
  for (auto& [id, e] : entries_) {
    const probes::Health verdict = j.registered[i++];
    if (verdict == probes::Health::kHealthy && e.health != probes::Health::kHealthy) {
      e.registered_at = now;
    }
    e.health = verdict;
  }
  FailOpenChange change;
  for (const auto& [service, s] : j.fail_open) {
    if (!fail_open_.contains(service)) change.entered.emplace(service, s);
  }
  for (const auto& [service, s] : fail_open_) {
    if (!j.fail_open.contains(service)) change.left.push_back(service);
  }
  fail_open_ = std::move(j.fail_open);
  return change;
}

std::vector<std::string> TargetTable::FailOpenServices() const {
  std::vector<std::string> out;
  for (const auto& [service, s] : fail_open_) out.push_back(service);
  return out;
}

}  // namespace registrar::controller
