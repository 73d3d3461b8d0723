// Drains (maintenance mode): an operator takes one target out of discovery
// without stopping it, and every replica of the registrar sees it.
//
// A drain is one etcd key under the registrar's coordination prefix
// (config::CoordinationPrefix), never under the registration prefix:
//
//   <coordination prefix>drain/<Target::Id()>  →  {"reason","by","at","until"}
//
// `at` and `until` are RFC 3339 UTC times, for people. A drain given a
// duration is put under its own etcd lease with that TTL, so it ends by
// itself when etcd expires the lease: expiry is judged by one clock (etcd's),
// not by the writer's or any replica's, and survives restarts of the
// registrar (nothing needs to keep the lease alive). `until` only displays
// the writer's estimate. Caveat: etcd without lease checkpointing restarts a
// lease's countdown when its leader changes, so a drain may last up to one
// duration longer after an etcd leader election, never shorter.
//
// DrainStore writes drains (Drain, Undrain, List: for the CLI and the admin
// API) and, once Start()ed, watches the drain prefix (snapshot + watch from
// the snapshot's revision, re-listed after compaction; discovery/discovery.h) and
// tells its listener the full set of drained target ids after every change.
//
// Thread-safety: thread-safe. The listener runs on the watch thread, one call
// at a time; it must not call Stop().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "etcd/client.h"

namespace registrar::etcd {
class Discovery;
}  // namespace registrar::etcd

namespace registrar::controller {

struct DrainRecord {
  std::string reason;
  std::string by;                 // who drained it ("cli:alice", an admin user, ...)
  WallTime at;                    // when, by the writer's clock
  std::optional<WallTime> until;  // expected end (the lease decides); empty: until undrained
  bool operator==(const DrainRecord&) const = default;
};

// The record's JSON value and back. kInvalidArgument for a value that is not
// such a record.
std::string DrainRecordJson(const DrainRecord& record);
absl::StatusOr<DrainRecord> ParseDrainRecord(const std::string& json);

class DrainStore {
 public:
  using Listener = std::function<void(const std::set<std::string>& drained_ids)>;

  // `coordination_prefix` ends with "/"; `client` and `clock` outlive the store.
  DrainStore(etcd::Client& client, Clock& clock, std::string coordination_prefix);
  ~DrainStore();  // Stop()
  DrainStore(const DrainStore&) = delete;
  DrainStore& operator=(const DrainStore&) = delete;

  // The key of `target_id`'s drain.
  std::string Key(const std::string& target_id) const;

  // Drains `target_id` (replacing an earlier drain of it). `duration` > 0:
  // the drain ends by itself after it; zero: until Undrain. etcd errors are
  // returned as they are (kUnavailable: retry).
  absl::Status Drain(const std::string& target_id, const std::string& reason, Duration duration,
                     const std::string& who);
  // Ends a drain; kNotFound when `target_id` is not drained.
  absl::Status Undrain(const std::string& target_id);
  // Every drain in etcd now, by target id (read from etcd, not the watch).
  // A record that does not parse is listed with its raw value as the reason.
  absl::StatusOr<std::map<std::string, DrainRecord>> List();

  // Starts watching; `listener` gets the drained set after the first list and
  // after every change. Idempotent; kInvalidArgument if the watch cannot start.
  absl::Status Start(Listener listener);
  void Stop();
  // The drains the watch knows now (empty before the first list).
  std::map<std::string, DrainRecord> Drained() const;

 private:
  etcd::Client& client_;
  Clock& clock_;
  const std::string prefix_;  // <coordination>drain/
  mutable std::mutex mu_;
  std::map<std::string, DrainRecord> drained_;  // guarded by mu_
  std::unique_ptr<etcd::Discovery> watch_;      // set once by Start()
};

}  // namespace registrar::controller
