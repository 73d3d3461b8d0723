#include "tests/support/memory_store.h"

#include <algorithm>
#include <cstddef>

namespace registrar::testing {
namespace {

// Whether `k` lies in [key, end) as etcd reads a range.
bool InRange(const std::string& k, const std::string& key, const std::string& end) {
  if (end.empty()) return k == key;
  if (k < key) return false;
  return end == std::string(1, '\0') || k < end;
}

bool Compares(int64_t have, etcd::Compare::Result result, int64_t want) {
  switch (result) {
    case etcd::Compare::Result::kEqual:
      return have == want;
    case etcd::Compare::Result::kGreater:
      return have > want;
    case etcd::Compare::Result::kLess:
      return have < want;
    case etcd::Compare::Result::kNotEqual:
      return have != want;
  }
  return false;
}

bool ComparesKv(const etcd::Compare& c, const etcd::KeyValue& kv) {
  switch (c.target) {
    case etcd::Compare::Target::kVersion:
      return Compares(kv.version, c.result, c.number);
    case etcd::Compare::Target::kCreateRevision:
      return Compares(kv.create_revision, c.result, c.number);
    case etcd::Compare::Target::kModRevision:
      return Compares(kv.mod_revision, c.result, c.number);
    case etcd::Compare::Target::kLease:
      return Compares(kv.lease, c.result, c.number);
    case etcd::Compare::Target::kValue: {
      const int order = kv.value.compare(c.value);
      return Compares(order < 0 ? -1 : (order > 0 ? 1 : 0), c.result, 0);
    }
  }
  return false;
}

}  // namespace

std::vector<etcd::KeyValue> MemoryStore::LiveIn(const std::string& key, const std::string& end,
                                                int64_t at) const {
  if (at == 0) at = revision_;
  std::vector<etcd::KeyValue> out;
  for (auto it = keys_.lower_bound(key); it != keys_.end(); ++it) {
    if (!InRange(it->first, key, end)) {
      if (end.empty() || it->first >= end) break;
      continue;
    }
    const Version* seen = nullptr;
    for (const Version& v : it->second) {
      if (v.mod_revision > at) break;
      seen = &v;
    }
    if (seen != nullptr && !seen->deleted) out.push_back(seen->kv);
  }
  return out;
}

absl::StatusOr<etcd::RangeResult> MemoryStore::Range(const std::string& key, const std::string& end,
                                                     const etcd::RangeOptions& options) const {
  if (options.revision > revision_) {
    return absl::OutOfRangeError("etcdserver: mvcc: required revision is a future revision");
  }
  if (options.revision > 0 && options.revision < compacted_) {
    return absl::OutOfRangeError("etcdserver: mvcc: required revision has been compacted");
  }
  etcd::RangeResult result;
  result.revision = revision_;
  std::vector<etcd::KeyValue> kvs = LiveIn(key, end, options.revision);
  result.count = static_cast<int64_t>(kvs.size());
  if (options.count_only) return result;
  if (options.limit > 0 && static_cast<int64_t>(kvs.size()) > options.limit) {
    kvs.resize(static_cast<size_t>(options.limit));
    result.more = true;
  }
  if (options.keys_only) {
    for (etcd::KeyValue& kv : kvs) kv.value.clear();
  }
  result.kvs = std::move(kvs);
  return result;
}

std::optional<etcd::KeyValue> MemoryStore::Get(const std::string& key) const {
  std::vector<etcd::KeyValue> kvs = LiveIn(key, "");
  if (kvs.empty()) return std::nullopt;
  return kvs.front();
}

bool MemoryStore::Holds(const etcd::Compare& compare) const {
  const std::vector<etcd::KeyValue> kvs = LiveIn(compare.key, compare.range_end);
  if (kvs.empty()) {
    // etcd: no value to compare with fails; everything else compares zeros.
    if (compare.target == etcd::Compare::Target::kValue) return false;
    return ComparesKv(compare, etcd::KeyValue{});
  }
  return std::all_of(kvs.begin(), kvs.end(),
                     [&](const etcd::KeyValue& kv) { return ComparesKv(compare, kv); });
}

void MemoryStore::PutAt(const std::string& key, const std::string& value, int64_t lease) {
  std::optional<etcd::KeyValue> prev = Get(key);
  etcd::KeyValue kv;
  kv.key = key;
  kv.value = value;
  kv.lease = lease;
  kv.mod_revision = revision_;
  kv.create_revision = prev ? prev->create_revision : revision_;
  kv.version = prev ? prev->version + 1 : 1;
  keys_[key].push_back(Version{revision_, false, kv});
  Event e;
  e.revision = revision_;
  e.event.type = etcd::WatchEvent::Type::kPut;
  e.event.kv = std::move(kv);
  e.event.prev_kv = std::move(prev);
  events_.push_back(std::move(e));
}

bool MemoryStore::DeleteAt(const std::string& key) {
  std::optional<etcd::KeyValue> prev = Get(key);
  if (!prev) return false;
  keys_[key].push_back(Version{revision_, true, {}});
  Event e;
  e.revision = revision_;
  e.event.type = etcd::WatchEvent::Type::kDelete;
  e.event.kv.key = key;
  e.event.kv.mod_revision = revision_;
  e.event.prev_kv = std::move(prev);
  events_.push_back(std::move(e));
  return true;
}

int64_t MemoryStore::Apply(const std::vector<etcd::Op>& ops) {
  // Which keys each op touches, decided before any is applied (etcd reads a
  // request's ranges at the revision it started from).
  bool writes = false;
  std::vector<std::vector<std::string>> deletes(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const etcd::Op& op = ops[i];
    if (op.type == etcd::Op::Type::kPut) {
      writes = true;
      continue;
    }
    const std::string end = op.prefix ? etcd::PrefixEnd(op.key) : "";
    for (const etcd::KeyValue& kv : LiveIn(op.key, end)) deletes[i].push_back(kv.key);
    writes = writes || !deletes[i].empty();
  }
  if (!writes) return revision_;
  ++revision_;
  for (size_t i = 0; i < ops.size(); ++i) {
    const etcd::Op& op = ops[i];
    if (op.type == etcd::Op::Type::kPut) {
      PutAt(op.key, op.value, op.lease);
    } else {
      for (const std::string& key : deletes[i]) DeleteAt(key);
    }
  }
  return revision_;
}

int64_t MemoryStore::DeleteKeys(const std::set<std::string>& keys) {
  bool any = false;
  for (const std::string& key : keys) any = any || Get(key).has_value();
  if (!any) return revision_;
  ++revision_;
  for (const std::string& key : keys) DeleteAt(key);
  return revision_;
}

absl::Status MemoryStore::Compact(int64_t revision) {
  if (revision <= compacted_) {
    return absl::OutOfRangeError("etcdserver: mvcc: required revision has been compacted");
  }
  if (revision > revision_) {
    return absl::OutOfRangeError("etcdserver: mvcc: required revision is a future revision");
  }
  compacted_ = revision;
  for (auto it = keys_.begin(); it != keys_.end();) {
    std::vector<Version>& versions = it->second;
    // Keep the last version at or before `revision` (what a read at it
    // sees) unless it is a deletion, and everything after.
    size_t last_old = versions.size();
    for (size_t i = 0; i < versions.size() && versions[i].mod_revision <= revision; ++i) {
      last_old = i;
    }
    if (last_old != versions.size()) {
      size_t keep_from = versions[last_old].deleted ? last_old + 1 : last_old;
      versions.erase(versions.begin(), versions.begin() + static_cast<ptrdiff_t>(keep_from));
    }
    it = versions.empty() ? keys_.erase(it) : std::next(it);
  }
  std::erase_if(events_, [&](const Event& e) { return e.revision < revision; });
  return absl::OkStatus();
}

std::vector<MemoryStore::Event> MemoryStore::EventsFrom(int64_t from) const {
  auto first = std::lower_bound(events_.begin(), events_.end(), from,
                                [](const Event& e, int64_t r) { return e.revision < r; });
  return std::vector<Event>(first, events_.end());
}

}  // namespace registrar::testing
