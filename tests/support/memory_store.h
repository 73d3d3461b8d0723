// Test support, private to MemoryEtcd: etcd's multi-version key space
// (mvcc) without leases' timing, watches or threads. A MemoryStore is a value
// the client guards with its mutex.
//
// Every key keeps its versions by revision until Compact(); a request that
// writes applies all its writes at one new revision. Events (for watches)
// are kept in revision order back to the compaction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "etcd/client.h"

namespace registrar::testing {

class MemoryStore final {
 public:
  struct Event {
    int64_t revision = 0;
    etcd::WatchEvent event;  // prev_kv always filled when there was one
  };

  int64_t revision() const { return revision_; }
  int64_t compacted() const { return compacted_; }

  // [key, end) as etcd reads a request's key and range_end: empty end = the
  // key alone, "\0" = every key from `key` on.
  absl::StatusOr<etcd::RangeResult> Range(const std::string& key, const std::string& end,
                                          const etcd::RangeOptions& options) const;
  // Whether `compare` holds now (etcd's applyCompare).
  bool Holds(const etcd::Compare& compare) const;
  // Applies `ops` at one new revision (none when nothing changes); returns
  // the revision after. Leases are the caller's to check first.
  int64_t Apply(const std::vector<etcd::Op>& ops);
  // Deletes every key in `keys` at one new revision (a lease's end).
  int64_t DeleteKeys(const std::set<std::string>& keys);
  absl::Status Compact(int64_t revision);
  // Events of revision >= `from` (in order).
  std::vector<Event> EventsFrom(int64_t from) const;
  // The live value of `key` now, if any.
  std::optional<etcd::KeyValue> Get(const std::string& key) const;
  // Live keys in [key, end) now (end as in Range).
  std::vector<etcd::KeyValue> LiveIn(const std::string& key, const std::string& end,
                                     int64_t at = 0) const;

 private:
  struct Version {
    int64_t mod_revision = 0;
    bool deleted = false;
    etcd::KeyValue kv;  // when !deleted
  };
  // Appends one write of `key` at revision_ (already raised).
  void PutAt(const std::string& key, const std::string& value, int64_t lease);
  bool DeleteAt(const std::string& key);

  int64_t revision_ = 1;  // a fresh etcd is at revision 1
  int64_t compacted_ = 0;
  std::map<std::string, std::vector<Version>> keys_;  // each oldest first
  std::vector<Event> events_;                         // oldest first
};

}  // namespace registrar::testing
