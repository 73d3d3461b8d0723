// The keys etcd holds under the registrar's prefixes, kept current.
//
// Relist() reads every prefix with paged Ranges at one revision and then
// watches each prefix from that revision + 1 on a watcher thread (both
// etcd/list_watch.h), so no event
// between the read and the watch is lost. Events that change the map call
// `on_change` (to wake the controller); when a watch breaks or its revision
// was compacted, NeedsRelist() turns true and the owner calls Relist() again.
// Writes the controller made itself are applied with Apply() at their Txn
// revision, and an event is applied only if it is newer than what the map
// holds for that key, so late echoes of our own writes change nothing.
//
// Thread-safety: Relist/Apply/ForgetLease/StopWatching from the owner thread;
// Copy/NeedsRelist/Interrupt from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "etcd/client.h"
#include "etcd/list_watch.h"
#include "registration/reconcile.h"

namespace registrar::controller {

class ObservedState {
 public:
  explicit ObservedState(std::function<void()> on_change);
  ~ObservedState();
  ObservedState(const ObservedState&) = delete;
  ObservedState& operator=(const ObservedState&) = delete;

  // `prefixes` without any that lies inside another (the outer one covers it).
  static std::vector<std::string> DisjointPrefixes(std::vector<std::string> prefixes);

  // Stops the watch, re-reads `prefixes` (disjoint) and watches them again.
  // On error the map is kept and NeedsRelist() stays true.
  absl::Status Relist(etcd::Client& client, std::vector<std::string> prefixes, int64_t page,
                      Duration watch_poll);
  // The prefixes of the last successful Relist().
  std::vector<std::string> prefixes() const;
  bool NeedsRelist() const { return needs_relist_.load(); }
  // One count-only Range per prefix: true when etcd holds as many keys under
  // each as the map does (a cheap check that the watch is still current).
  absl::StatusOr<bool> CountsMatch(etcd::Client& client) const;
  ObservedMap Copy() const;

  // Our own writes, done at `revision`.
  void Apply(const Plan& done, int64_t lease_id, int64_t revision);
  // The lease expired: etcd deleted every key that carried it.
  void ForgetLease(int64_t lease_id);

  // Wakes and ends the watch; later Relist() calls fail. Any thread.
  void Interrupt();
  // Interrupt() and join the watcher thread. Owner thread.
  void StopWatching();

 private:
  void StopWatcher();
  void WatchLoop(Duration poll);
  // Applies watch events; true when the map changed.
  bool OnEvents(const std::vector<etcd::WatchEvent>& events);

  const std::function<void()> on_change_;

  std::atomic<bool> needs_relist_{true};
  std::atomic<bool> closed_{false};
  std::atomic<bool> stop_watch_{false};
  std::thread watcher_;  // owner thread only

  std::mutex streams_mu_;
  std::unique_ptr<etcd::PrefixWatch> watch_;  // guarded by streams_mu_

  mutable std::mutex mu_;
  ObservedMap keys_;                           // guarded by mu_
  std::map<std::string, int64_t> deleted_at_;  // key → delete revision; guarded by mu_
  std::vector<std::string> prefixes_;          // guarded by mu_
};

}  // namespace registrar::controller
