// The controller: keeps the keys under the registrar's prefix equal to the set
// of healthy targets, and keeps them so through every fault it can survive.
//
// One registration lease per registrar process (LeaseKeeper: granted on its
// own thread after Start, kept alive every TTL/3; a new lease gets a new
// KeepAliveStream); every registration key is put with it. Membership of the
// registrar cluster uses a second, shorter session lease (membership.h), and a
// drain given a duration has a lease of its own (drain_store.h). Reconcile is
// level-triggered: desired keys (healthy targets → key/value, see keys.h) are
// compared with the keys observed under our prefix(es) (Range, then a Watch
// from the Range's revision + 1) and the difference is written as Txns of at
// most 128 operations; nothing is written when nothing changed. Health
// changes, watch events, lease and membership changes only trigger a
// reconcile; a periodic resync (RegistrationOptions::resync_period) checks
// etcd against the watched copy (cheaply; a full re-list every few periods)
// and repairs drift.
//
// Faults: etcd errors back off (exponential, jittered, capped) and keep all
// state; when the lease is gone (keepalive answers TTL 0, or it expired while
// etcd was unreachable) a new one is granted and every healthy key is written
// again. Stop(true) revokes the lease (all keys disappear at once) unless
// other members live: then it hands the keys over first (see Stop). Dry run:
// no lease, no writes; the plan is logged and shown in Snapshot().
//
// Thread-safety: every public method is thread-safe. OnHealth / OnResult /
// SetTargets / SetDrained only record and wake the controller
// thread, so they may be called from the prober's thread (ProbeIntake calls
// them from the prober's observer). The target table is the controller
// thread's alone. The observer is called on several threads, see
// ControllerObserver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cluster/backoff.h"
#include "common/clock.h"
#include "etcd/client.h"
#include "probes/health_state.h"
#include "probes/spec.h"
#include "registration/registration.h"

namespace registrar::controller {

// How one reconcile pass ended.
enum class ReconcileOutcome {
  kWritten,  // writes done
  kNoop,     // nothing to write, or a dry run (which writes nothing)
  kError,    // an etcd call failed; retried after a backoff
};

// Told what the controller does; metrics/ implements it. Most methods are
// called on the controller thread. OnLease, OnLeaseRegrant and
// OnKeepAliveFailure (and OnEtcdAlarm after a failed grant) come from the
// registration lease keeper's thread; OnLease(0, 0) also from the controller
// thread (a Txn found the lease gone; Stop). OnMembershipChange comes from the
// membership thread, its session keeper's, or the controller thread as it
// leaves. Some calls are made with the controller's lock held: an observer
// must be quick and must not call back into the Controller. Every method has
// a no-op default.
class ControllerObserver {
 public:
  virtual ~ControllerObserver() = default;
  // One reconcile pass.
  virtual void OnReconcile(ReconcileOutcome /*outcome*/, Duration /*duration*/) {}
  // Keys of ours present in etcd after a reconcile.
  virtual void OnRegisteredKeys(size_t /*keys*/) {}
  // The lease now held (id 0: none) and its TTL as granted.
  virtual void OnLease(int64_t /*lease_id*/, int64_t /*ttl_seconds*/) {}
  // A lost lease was replaced by a new one (not the first grant).
  virtual void OnLeaseRegrant() {}
  // A keepalive failed (etcd unreachable, stream broken, or lease gone).
  virtual void OnKeepAliveFailure() {}
  // Keys restored or removed because someone else changed them.
  virtual void OnDriftRepair(size_t /*repaired*/) {}
  // One Txn sent with `ops` operations.
  virtual void OnTxn(size_t /*ops*/) {}

  // Several replicas (see membership.h, ownership.h).
  // Live members in our view, and the targets we own among them.
  virtual void OnMembers(size_t /*members*/, size_t /*owned_targets*/) {}
  // A member joined or left (our view changed).
  virtual void OnMembershipChange() {}
  // Existing keys of `adopted` newly owned targets were put under our lease.
  virtual void OnAdoptions(size_t /*adopted*/) {}
  // A Txn was refused by its fence (our membership or our view was stale).
  virtual void OnFencedWrite() {}
  // Our member session is held (and we joined) or not.
  virtual void OnSession(bool /*joined*/) {}
  // Keys etcd refuses to store (value too large, …), kept out of every batch.
  virtual void OnRejectedKeys(size_t /*keys*/) {}
  // The etcd alarm that refuses our writes now ("NOSPACE", "CORRUPT"; "" once
  // a write or grant passes again). Called on every change.
  virtual void OnEtcdAlarm(std::string_view /*alarm*/) {}
};

// Internal knobs; defaults suit production, tests shorten some.
struct ControllerTuning {
  BackoffOptions backoff;  // etcd retries: 100 ms doubling to 5 s, jittered
  // After a trigger, wait this long for more before reconciling, so a burst of
  // health changes becomes one plan (and few Txns).
  Duration batch_window = std::chrono::milliseconds(20);
  // How long a watch read blocks before checking for Stop().
  Duration watch_poll = std::chrono::milliseconds(200);
  // Keys per Range page when listing the prefix.
  int64_t range_page = 1000;
  // Each resync period costs one count-only Range per prefix; every this many
  // periods (and whenever the counts disagree) the prefixes are listed again.
  int full_relist_every = 10;
};

// etcd silently raises lease TTLs below its minimum (2 s with default
// election settings), so a shorter TTL would not mean what it says.
inline constexpr Duration kMinLeaseTtl = std::chrono::seconds(2);

// kInvalidArgument when `options` cannot work: a lease TTL under kMinLeaseTtl
// or not a whole number of seconds, a resync period ≤ 0, an empty prefix, a
// coordination prefix under the registration prefix.
absl::Status ValidateRegistrationOptions(const RegistrationOptions& options);

// The cluster options with every default filled in (name and coordination
// prefix from the registration prefix, member id = "<hostname>-<pid>",
// session TTL below the lease TTL).
ClusterOptions EffectiveCluster(const RegistrationOptions& options);

// One live member, as the status page shows it.
struct MemberSnapshot {
  std::string id;
  bool self = false;
  size_t owned_targets = 0;
};

// What the status page shows about the etcd side (a copy).
struct ControllerSnapshot {
  std::string etcd_endpoint;
  bool etcd_connected = false;  // the last etcd call succeeded
  bool dry_run = false;
  int64_t lease_id = 0;  // 0: none held
  int64_t lease_ttl_seconds = 0;
  size_t registered_keys = 0;  // our keys present in etcd (dry run: would be)
  std::string last_error;      // empty when the last etcd call succeeded
  // The etcd alarm that refuses our writes ("NOSPACE", "CORRUPT"), from the
  // last write or lease grant that etcd refused for it; empty once one passes.
  std::string etcd_alarm;
  std::map<std::string, std::string> keys_by_target;  // Target::Id() → key, healthy ones
  bool ready = false;
  std::string member_id;
  bool joined = false;                                 // a live member of the cluster
  std::vector<MemberSnapshot> members;                 // by id
  std::map<std::string, std::string> owner_by_target;  // Target::Id() → member id
  std::map<std::string, std::string> rejected_keys;    // key → why etcd refused it
  std::vector<std::string> fail_open_services;         // keeping registrations (judge.h)
  size_t fenced_writes = 0;
};

// The configured targets: one immutable value shared by every holder.
using TargetSet = std::vector<probes::Target>;

// What this replica owns, handed on (to the prober) whenever it changes.
struct OwnedTargets {
  TargetSet targets;                  // every target it owns
  std::set<std::string> newly_owned;  // ids that became its own in this change
};

class Controller {
 public:
  // `options` must pass ValidateRegistrationOptions (a shorter TTL is raised
  // to kMinLeaseTtl). `client`, `clock`, `random` and `observer` (may be null)
  // must outlive the controller; `random` is used on the controller thread only. Targets of a
  // service missing from `services` are registered with a plain value.
  Controller(etcd::Client& client, Clock& clock, Random& random, RegistrationOptions options,
             std::vector<ServiceRegistration> services, ControllerObserver* observer,
             ControllerTuning tuning = {});
  // Stops without revoking (keys then expire with the lease's TTL).
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Replaces the per-service settings (config reload); keys follow.
  void SetServices(std::vector<ServiceRegistration> services);
  // Our probes' verdict of `target` (a transition). Whether it gets a key is
  // judged with drains and fail-open (judge.h): kHealthy registers unless
  // drained, kUnhealthy unregisters unless its service is in fail-open. A
  // verdict of a target outside the target set, or owned by another member,
  // is dropped. Cheap: records and wakes the controller thread.
  void OnHealth(const probes::Target& target, probes::Health health);
  void SetHealthy(const probes::Target& target, bool healthy);  // the same, as a bool
  // The latest probe result of a target (its service's fail-open share).
  // Cheap: recorded, taken in at the controller's next wake.
  void OnResult(const std::string& target_id, bool ok);
  // The prober's health now of a target this replica owns, taken only while
  // the target has no verdict since it became ours (it came back before the
  // prober dropped it: no transition will come). See ApplyOwnedTargets.
  void OfferHealth(const probes::Target& target, probes::Health health);
  // Nothing is registered until the first SetDrained (call before Start):
  // until the drains are known, a drained target must not get a key even
  // briefly. Without it the controller starts with no drains.
  void AwaitDrains();
  // The full set of drained target ids: they lose their keys at once and get
  // none until undrained (and healthy).
  void SetDrained(std::set<std::string> drained_ids);
  // Whether `target_id` is in the target set last given (SetTargets).
  bool Listed(const std::string& target_id) const;
  // The configured targets (config load and reload). Targets missing from
  // the set are forgotten; ownership is computed over this set.
  void SetTargets(std::shared_ptr<const TargetSet> targets);
  // Called (on the controller thread, without the controller's lock) with the
  // targets this replica owns whenever that changes, or their specs do: what
  // the prober must probe. Set before Start().
  void SetOwnedTargetsCallback(std::function<void(OwnedTargets)> callback);

  // Starts the controller thread; idempotent.
  void Start();
  // Stops the thread; with `revoke`, revokes the lease first so every key
  // disappears at once (bounded by the client's request timeout) — unless
  // other members live: then it leaves the cluster, waits (at most
  // cluster.handover_timeout) until they adopted our keys, and revokes only
  // what nobody adopted when no member is left. Idempotent.
  void Stop(bool revoke = true);

  ControllerSnapshot Snapshot() const;
  // The lease is held (dry run: etcd was read), the first reconcile is done,
  // and etcd answers and accepts writes (no alarm) now.
  bool Ready() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace registrar::controller
