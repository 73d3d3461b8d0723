// Controller::Impl: the reconciler and write executor (private to controller/).
//
// The controller's jobs each run on their own timing: the registration lease
// (LeaseKeeper, its own thread), the member session and the membership view
// (Membership: its own keeper and watch thread), the observed keys
// (ObservedState: its watch thread). This object owns them and runs the one
// remaining job on its thread: take in the target changes other threads
// posted (the target table is this thread's alone), decide the keys of the
// targets this replica owns against the observed keys (decide.h), and write
// the difference as fenced Txns (txn_writer.h); then publish the status
// snapshot.
//
// Ownership of a target is rendezvous hashing over the live members that run
// the newest config (see ownership.h, docs in deploy/README.md), with bounded
// loads over the target set behind that config's digest when this replica
// knows that set (it published it; targets outside it, and every target when
// the set is unknown, get plain rendezvous). All owners publish one digest,
// so they all compute over the same set and agree on every owner. A target
// that becomes ours starts `unknown`: its existing key is adopted as it is
// (same key and value, under our lease) until our own probes decide. A key
// under our lease whose target is no longer ours is left for its new owner
// to adopt, and deleted only if nobody adopted it within one lease TTL.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/lease_keeper.h"
#include "cluster/membership.h"
#include "cluster/published_digests.h"
#include "controller/controller.h"
#include "controller/target_table.h"
#include "registration/decide.h"
#include "registration/keys.h"
#include "registration/observed_state.h"
#include "registration/reconcile.h"

namespace registrar::controller {

// Makes one Random usable from the controller's several threads.
class LockedRandom final : public Random {
 public:
  explicit LockedRandom(Random& inner) : inner_(inner) {}
  double Uniform() override {
    std::lock_guard lock(mu_);
    return inner_.Uniform();
  }

 private:
  Random& inner_;
  std::mutex mu_;
};

class Controller::Impl {
 public:
  Impl(etcd::Client& client, Clock& clock, Random& random, RegistrationOptions options,
       std::vector<ServiceRegistration> services, ControllerObserver* observer,
       ControllerTuning tuning);
  ~Impl();

  void SetServices(std::vector<ServiceRegistration> services);
  void SetHealth(const probes::Target& target, probes::Health health, bool offer);
  void OnResult(const std::string& id, bool ok);
  void SetDrained(std::set<std::string> ids);
  void AwaitDrains() { table_.AwaitDrains(); }  // before Start
  bool Listed(const std::string& id) const;
  void SetTargets(std::shared_ptr<const TargetSet> targets);
  void SetOwnedTargetsCallback(std::function<void(OwnedTargets)> callback);
  void Start();
  void Stop(bool revoke);
  ControllerSnapshot Snapshot() const;
  bool Ready() const;

 private:
  using TableChange = TargetTable::Change;
  void ApplyInboxLocked();  // controller thread, mu_ held: results, then changes in order
  // Judges the table (judge.h): drains, fail-open. Requires mu_.
  void JudgeLocked();

  void Wake(bool immediate);
  void MarkDirtyLocked(bool immediate);
  // ---- controller thread ----
  void Run();
  bool WaitForWork();
  void Step();
  bool FollowLease();
  bool Resync();
  std::vector<std::string> Groups() const;
  MembershipView CurrentView() const;
  // Recomputes who owns what for `view`; when ours changed, returns the
  // callback to tell the prober (called without mu_) and fills `owned`.
  std::function<void(OwnedTargets)> UpdateOwnershipLocked(const MembershipView& view,
                                                          OwnedTargets& owned);
  // The decision's view of every target (keys rendered, cached in the
  // entries the rows point into: valid while mu_ is held).
  std::vector<TargetRow> RowsLocked(const ObservedMap& observed);
  // The target's keys (cached in the entry). Requires mu_.
  const std::vector<LayoutKey>& KeysOfLocked(TargetTable::Entry& entry,
                                             const ServiceRegistration& svc);
  void KeepRegisteredAt(TargetTable::Entry& entry, const ServiceRegistration& svc,
                        const ObservedMap& observed);
  bool ReconcileOnce();
  void Remember(const Plan& done);
  void Published(const Decision& desired, const ObservedMap& observed, ReconcileOutcome outcome,
                 Duration took, const MembershipView& view);
  // Every owned target has a verdict or an adopted key (part of readiness).
  bool OwnedShareSettled(const Decision& desired, const ObservedMap& observed) const;
  void Succeeded();
  // Records the etcd alarm `status` reports (or, when OK, that none blocks
  // writes now). Requires mu_.
  void NoteAlarmLocked(const absl::Status& status);
  bool Fail(std::string_view what, const absl::Status& status, bool locked = false);
  void Shutdown();
  // How a stop ends our registrations.
  enum class Farewell {
    kRevoke,      // no other member: revoking the lease deletes every key of ours
    kHandedOver,  // other members adopted every key: the lease left is empty
    kExpire,      // keys not adopted in time: the lease is left to expire
  };
  // Hand-over on SIGTERM.
  Farewell HandOver();
  absl::StatusOr<size_t> KeysUnderOurLease();

  // Constant after construction.
  etcd::Client& client_;
  Clock& clock_;
  const RegistrationOptions options_;
  const ClusterOptions cluster_;
  ControllerObserver* const observer_;
  const ControllerTuning tuning_;
  const int64_t ttl_seconds_;
  LockedRandom random_;

  // Own threads and locking.
  LeaseKeeper keeper_;
  std::unique_ptr<Membership> membership_;  // null in dry run
  ObservedState observed_;

  // Owned by the controller thread.
  // The target table; changed only by ApplyInbox and the reconcile pass.
  TargetTable table_;
  Backoff backoff_;
  int64_t lease_id_ = 0;
  uint64_t lease_generation_ = 0;
  uint64_t ownership_epoch_ = ~uint64_t{0};
  size_t ownership_targets_version_ = 0;
  bool owned_sent_ = false;                     // the prober was told what we own at least once
  std::map<std::string, std::string> written_;  // key → value we last put
  size_t last_dry_run_size_ = 0;
  bool retry_parked_ = false;  // the next reconcile tries the keys in rejected_ again
  int64_t resync_ticks_ = 0;
  std::thread thread_;

  // Probe results since the last wake (id → passed), taken in at the next
  // (at most a second later; a transition wakes at once and takes them in).
  // Guarded by results_mu_, taken after mu_ when both are held.
  std::mutex results_mu_;
  std::map<std::string, bool> results_;

  // Guarded by mu_.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<TableChange> inbox_;
  std::map<std::string, ServiceRegistration> services_;
  uint64_t services_version_ = 0;  // bumped by SetServices
  PublishedDigests digests_;       // our digest and the target sets behind it
  std::function<void(OwnedTargets)> on_owned_;
  std::map<std::string, std::pair<std::string, std::string>> rejected_;  // key → value, why
  bool dirty_ = false;
  MonoTime dirty_since_{};
  bool relist_requested_ = false;
  bool synced_ = false;
  MonoTime next_resync_{};
  MonoTime retry_at_{};
  std::optional<MonoTime> revisit_at_;  // the decision asked to be made again then
  bool started_ = false;
  bool stop_ = false;
  bool revoke_on_stop_ = false;
  ControllerSnapshot snapshot_;
};

}  // namespace registrar::controller
