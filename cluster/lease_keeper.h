// Keeps one etcd lease alive on its own thread, whatever else talks to etcd.
//
// Grants a lease of `ttl_seconds`, renews it every TTL/3 (clientv3's rhythm)
// over a KeepAliveStream opened for that lease id (a new lease always gets a
// new stream: a stream of a lost lease answers TTL 0 forever; the stream waits
// at most TTL/3 for a connection or an answer, so an etcd that is down or
// silent is reported by `keepalive_failed` within 2/3 of the TTL), and when the
// lease is gone (keepalive answers TTL 0, it expired while etcd was away, or
// a caller reports it with ReportLost) grants exactly one new one. A lease
// that went a whole TTL without an answered keepalive is asked about
// (LeaseTimeToLive) before it is given up, and given up only once etcd says
// it is gone (asked again while etcd cannot answer): etcd extends leases
// across a leader change, so a slow election must not cost every key. Other etcd
// work (Txn batches, relists) never delays a keepalive: they run on other
// threads, and this thread only ever waits on its own keepalive call.
//
// Every wait is the injected clock's (Clock::WaitUntil): on a SimulatedClock
// renewals, retries and expiry happen as the test advances time.
//
// Thread-safety: every public method is thread-safe. `events` callbacks run
// on the keeper's thread (`lost` also on the thread that calls ReportLost),
// without the keeper's lock, and must be quick (record and wake).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/backoff.h"
#include "cluster/lease_timing.h"
#include "common/clock.h"
#include "etcd/client.h"

namespace registrar::controller {

// The lease held right now. `generation` counts grants: a new lease, a new
// generation, so a holder can tell "same lease" from "lost and regranted".
struct HeldLease {
  int64_t id = 0;  // 0: none held
  int64_t ttl_seconds = 0;
  uint64_t generation = 0;
};

struct LeaseKeeperEvents {
  std::function<void(const HeldLease&, bool regrant)> granted;  // a new lease is held
  std::function<void(int64_t lease_id)> lost;                   // that lease is gone
  std::function<void(const absl::Status&)> keepalive_failed;    // one renewal failed
  std::function<void(const absl::Status&)> grant_failed;        // one grant failed
};

class LeaseKeeper {
 public:
  // `name` is for logs ("registration", "session"). `client`, `clock` and
  // `random` must outlive the keeper; `random` is used on its thread only.
  LeaseKeeper(std::string name, etcd::Client& client, Clock& clock, Random& random,
              int64_t ttl_seconds, BackoffOptions backoff, LeaseKeeperEvents events);
  ~LeaseKeeper();  // Stop(false)
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  void Start();  // idempotent
  // Ends the thread; with `revoke`, revokes the held lease (bounded by the
  // client's request timeout). True when this call revoked a lease (etcd
  // said so); false when it did not revoke, had none, or etcd failed (logged).
  // Idempotent.
  bool Stop(bool revoke);

  HeldLease Current() const;
  // How often a lease presumed lost turned out alive and was kept.
  uint64_t lives_confirmed() const {
    std::lock_guard lock(mu_);
    return lives_confirmed_;
  }
  // etcd said `lease_id` does not exist (e.g. a Txn's "lease not found"). When
  // it is the held lease it is dropped and one new lease is granted; a report
  // about an older lease changes nothing (one loss, one regrant).
  void ReportLost(int64_t lease_id);

 private:
  void Run();
  void LostLocked(std::unique_lock<std::mutex>& lock, int64_t id, const std::string& why);
  void Grant(std::unique_lock<std::mutex>& lock);
  // Asks etcd about the held lease once its TTL ran out unrenewed: alive
  // (renewed timing), gone, or unknown (etcd did not answer).
  enum class Verdict { kAlive, kGone, kUnknown };
  Verdict AskEtcd(std::unique_lock<std::mutex>& lock);
  void Renew(std::unique_lock<std::mutex>& lock);

  // Constant after construction.
  const std::string name_;
  etcd::Client& client_;
  Clock& clock_;
  const int64_t ttl_seconds_;
  const LeaseKeeperEvents events_;

  Backoff backoff_;  // keeper thread only
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  HeldLease held_;        // guarded by mu_
  LeaseTiming timing_;    // guarded by mu_
  MonoTime retry_at_{};   // guarded by mu_
  bool started_ = false;  // guarded by mu_
  bool stop_ = false;     // guarded by mu_
  // The stream of held_.id; replaced on the keeper thread, cancelled by Stop().
  std::unique_ptr<etcd::KeepAliveStream> stream_;  // guarded by mu_ (pointer only)
  int64_t stream_lease_ = 0;                       // guarded by mu_
  uint64_t lives_confirmed_ = 0;                   // guarded by mu_
  bool asking_ = false;  // guarded by mu_: etcd could not be asked the last time
};

}  // namespace registrar::controller
