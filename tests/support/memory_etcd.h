// Test support: an etcd in memory, behind the etcd::Client interface, for
// logic tests in simulated time (the controller, membership, takeover and
// fencing rules) — real-etcd tests stay for the boundary and real faults.
//
// It keeps etcd v3's semantics, checked by tests/etcd/memory_etcd_test.cc,
// whose every assertion runs against both this and a real etcd:
// - one global revision, raised once per write request (a Txn's writes share
//   one revision; a request that changes nothing does not raise it); every
//   key has create_revision, mod_revision, version (puts since creation) and
//   lease; history is kept per revision until Compact();
// - Range over [key, range_end) (prefix, "\0" = every key from key on),
//   limit/more/count, keys_only, count_only, at an older revision
//   (kOutOfRange when compacted or in the future);
// - Txn compares on version/create/mod revision/value/lease, with range_end
//   holding only when it holds for every key in the range (a value compare
//   on no key fails; the others compare a missing key as all zeros);
// - leases: etcd's minimum TTL (2 s), expiry when the injected clock passes
//   the deadline (keys attached to it deleted at one revision), keepalive,
//   TimeToLive, revoke; a Put with an unknown lease is kNotFound;
// - watches from a revision with prev_kv, progress reports after
//   `progress_interval` of silence (etcd's
//   --experimental-watch-progress-notify-interval), and a watch from a
//   compacted revision canceled with compact_revision.
// Error messages carry etcd's own text ("etcdserver: requested lease not
// found", "mvcc: required revision has been compacted", …).
//
// Time: every deadline (lease expiry, WatchStream::Next's timeout, progress
// reports) is on the injected Clock. With a SimulatedClock, a test advances
// time and a blocked Next() wakes; expired leases are collected on every
// call and by every waiting Next(), so a read after Advance() already sees
// an expiry.
//
// Fault hooks (for the cases hard to hit for real): FailNext() fails the next
// calls without effect; LoseNextAnswers() applies them and then reports an
// error (a write that committed while its answer was lost); ExpireLease()
// expires a lease now.
//
// Thread-safety: thread-safe; streams follow etcd::Client's rules.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "etcd/client.h"

namespace registrar::testing {

class MemoryEtcd final : public etcd::Client {
 public:
  struct Options {
    // Silence after which a watch with progress_notify gets a progress report.
    Duration progress_interval = std::chrono::minutes(10);
    // etcd's minimum lease TTL (with its default election timeout).
    int64_t min_lease_ttl_seconds = 2;
  };

  // `clock` must outlive the client and its streams.
  explicit MemoryEtcd(Clock& clock) : MemoryEtcd(clock, Options{}) {}
  MemoryEtcd(Clock& clock, Options options);
  ~MemoryEtcd() override;
  MemoryEtcd(const MemoryEtcd&) = delete;
  MemoryEtcd& operator=(const MemoryEtcd&) = delete;

  // etcd::Client.
  absl::StatusOr<etcd::RangeResult> Range(const std::string& key,
                                          const etcd::RangeOptions& options) override;
  absl::StatusOr<int64_t> Put(const std::string& key, const std::string& value,
                              int64_t lease = 0) override;
  absl::StatusOr<etcd::DeleteResult> Delete(const std::string& key, bool prefix = false) override;
  absl::StatusOr<etcd::TxnResult> Txn(const std::vector<etcd::Compare>& compares,
                                      const std::vector<etcd::Op>& success,
                                      const std::vector<etcd::Op>& failure = {}) override;
  absl::StatusOr<etcd::Lease> LeaseGrant(int64_t ttl_seconds) override;
  absl::Status LeaseRevoke(int64_t lease_id) override;
  absl::StatusOr<etcd::LeaseInfo> LeaseTimeToLive(int64_t lease_id) override;
  using etcd::Client::OpenKeepAlive;
  absl::StatusOr<std::unique_ptr<etcd::KeepAliveStream>> OpenKeepAlive(
      int64_t lease_id, Duration answer_within) override;
  absl::StatusOr<std::unique_ptr<etcd::WatchStream>> OpenWatch(
      const etcd::WatchOptions& options) override;
  std::string CurrentEndpoint() const override { return "memory"; }

  // etcd's Compact: history before `revision` is gone (reads and watches
  // from older revisions fail). kOutOfRange when already compacted that far
  // or `revision` is in the future.
  absl::Status Compact(int64_t revision);
  // The store's current revision.
  int64_t revision() const;

  // The next `calls` calls (of operation `op` — "range", "put", "delete",
  // "txn", "lease_grant", "lease_revoke", "lease_ttl", "lease_keepalive",
  // "watch" — or of any when empty) fail with `status` and change nothing.
  void FailNext(int calls, absl::Status status, std::string_view op = "");
  // The next `calls` calls (of `op`, or any) take effect, then return
  // `status` as if the answer was lost (default: kDeadlineExceeded).
  void LoseNextAnswers(int calls, std::string_view op = "",
                       absl::Status status = absl::DeadlineExceededError("answer lost"));
  // Expires lease `id` now (its keys are deleted); false when it does not exist.
  bool ExpireLease(int64_t id);
  // Calls made so far of operation `op` (counted also when a hook failed them).
  int64_t Calls(std::string_view op) const;

  // The store, leases and hooks, shared with the streams (which may outlive
  // the client); defined and used in memory_etcd.cc only.
  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace registrar::testing
