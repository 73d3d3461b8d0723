#include "controller/reconciler.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "cluster/ownership.h"
#include "common/utf8.h"
#include "etcd/errors.h"
#include "etcd/list_watch.h"
#include "registration/decide.h"
#include "registration/keys.h"
#include "registration/txn_writer.h"
#include "spdlog/spdlog.h"

namespace registrar::controller {
namespace {

using std::chrono::seconds;

// Longest the controller thread sleeps without re-checking its clock.
constexpr Duration kControllerMaxSleep = std::chrono::seconds(1);
// Floor for the resync period, so a bad value can never make a busy loop.
constexpr Duration kMinResync = std::chrono::milliseconds(100);
// After a fenced Txn: re-read the membership, then try again this soon.
constexpr Duration kFencedRetry = std::chrono::milliseconds(100);
// How often a hand-over checks whether our keys were adopted.
constexpr Duration kHandoverPoll = std::chrono::milliseconds(100);
// At most this many keys are named in one log line.
constexpr size_t kKeysLogged = 10;
// Values are quoted in logs up to about this length (common/utf8.h CutForLog).
constexpr size_t kValueLogged = 160;

std::string KeysForLog(const Plan& plan) {
  std::string out;
  size_t n = 0;
  for (const auto& [key, value] : plan.puts) {
    if (n++ == kKeysLogged) break;
    out += (out.empty() ? "put " : ", put ") + key + "=" + CutForLog(value, kValueLogged);
  }
  for (const auto& key : plan.deletes) {
    if (n++ >= kKeysLogged) break;
    out += (out.empty() ? "delete " : ", delete ") + key;
  }
  if (plan.size() > kKeysLogged) out += ", … (" + std::to_string(plan.size()) + " in all)";
  return out;
}

}  // namespace

Controller::Impl::Impl(etcd::Client& client, Clock& clock, Random& random,
                       RegistrationOptions options, std::vector<ServiceRegistration> services,
                       ControllerObserver* observer, ControllerTuning tuning)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      cluster_(EffectiveCluster(options_)),
      observer_(observer),
      tuning_(tuning),
      ttl_seconds_(
          std::max<int64_t>(std::chrono::duration_cast<seconds>(kMinLeaseTtl).count(),
                            std::chrono::duration_cast<seconds>(options_.lease_ttl).count())),
      random_(random),
      keeper_("registration", client, clock, random_, ttl_seconds_, tuning.backoff,
              {.granted =
                   [this](const HeldLease& lease, bool regrant) {
                     if (observer_) {
                       observer_->OnLease(lease.id, lease.ttl_seconds);
                       if (regrant) observer_->OnLeaseRegrant();
                     }
                     Wake(true);
                   },
               .lost =
                   [this](int64_t) {
                     if (observer_) observer_->OnLease(0, 0);
                     Wake(true);
                   },
               .keepalive_failed =
                   [this](const absl::Status& status) {
                     if (observer_) observer_->OnKeepAliveFailure();
                     std::lock_guard lock(mu_);
                     snapshot_.etcd_connected = false;
                     snapshot_.last_error = "keepalive: " + std::string(status.message());
                     relist_requested_ = true;  // a success there says etcd is back
                     MarkDirtyLocked(false);
                   },
               .grant_failed =
                   [this](const absl::Status& status) {
                     std::lock_guard lock(mu_);
                     snapshot_.etcd_connected = false;
                     snapshot_.last_error = "lease grant: " + std::string(status.message());
                     NoteAlarmLocked(status);
                   }}),
      observed_([this] { Wake(false); }),
      backoff_(tuning.backoff, random_) {
  if (!options_.dry_run) {
    MembershipOptions m;
    m.members_prefix = cluster_.coordination_prefix + "members/";
    m.member_id = cluster_.member_id;
    m.session_ttl_seconds =
        std::max<int64_t>(std::chrono::duration_cast<seconds>(kMinLeaseTtl).count(),
                          std::chrono::duration_cast<seconds>(cluster_.session_ttl).count());
    m.backoff = tuning.backoff;
    m.watch_poll = tuning.watch_poll;
    membership_ = std::make_unique<Membership>(client, clock, random_, std::move(m), [this] {
      if (observer_) observer_->OnMembershipChange();
      Wake(true);
    });
  }
  for (auto& s : services) services_[s.service] = std::move(s);
  snapshot_.dry_run = options_.dry_run;
  snapshot_.member_id = cluster_.member_id;
}

Controller::Impl::~Impl() { Stop(false); }

void Controller::Impl::SetServices(std::vector<ServiceRegistration> services) {
  std::lock_guard lock(mu_);
  services_.clear();
  ++services_version_;
  for (auto& s : services) services_[s.service] = std::move(s);
  relist_requested_ = true;  // the set of prefixes may have changed
  MarkDirtyLocked(true);
}

void Controller::Impl::SetHealth(const probes::Target& target, probes::Health health, bool offer) {
  std::lock_guard lock(mu_);
  inbox_.push_back({.kind = TableChange::Kind::kHealth,
                    .target = target,
                    .health = health,
                    .offer = offer,
                    .now = clock_.Now()});
  MarkDirtyLocked(false);
}

void Controller::Impl::OnResult(const std::string& id, bool ok) {
  // No wake: a result changes a fail-open share only, and the transitions it
  // causes wake the controller (which takes every result before them in).
  // Its own lock: the prober's thread never waits for a reconcile pass here.
  std::lock_guard lock(results_mu_);
  results_.insert_or_assign(id, ok);
}

void Controller::Impl::SetDrained(std::set<std::string> ids) {
  std::lock_guard lock(mu_);
  inbox_.push_back({.kind = TableChange::Kind::kDrained,
                    .drained = std::make_shared<const std::set<std::string>>(std::move(ids))});
  MarkDirtyLocked(true);
}

bool Controller::Impl::Listed(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto set = digests_.SetBehind(digests_.current());
  return set && std::binary_search(set->begin(), set->end(), id);
}

void Controller::Impl::SetTargets(std::shared_ptr<const TargetSet> targets) {
  if (!targets) return;
  std::string hash;  // of the target set, published in our member record now
  {
    std::lock_guard lock(mu_);
    inbox_.push_back({.kind = TableChange::Kind::kSet, .targets = targets, .now = clock_.Now()});
    hash = digests_.Publish(*targets);
    MarkDirtyLocked(true);
  }
  if (membership_) membership_->SetValue(keeper_.Current().id, hash);
}

void Controller::Impl::ApplyInboxLocked() {
  // Results first: they were all posted before the transitions they caused.
  std::map<std::string, bool> results;
  {
    std::lock_guard lock(results_mu_);  // after mu_, never before
    results.swap(results_);
  }
  if (table_.TakeResults(results)) MarkDirtyLocked(false);
  std::vector<TableChange> changes;
  changes.swap(inbox_);
  for (TableChange& c : changes) table_.Apply(c);
}

void Controller::Impl::JudgeLocked() {
  std::map<std::string, int> below_percent;
  for (const auto& [name, s] : services_) {
    if (s.fail_open_below_percent) below_percent[name] = *s.fail_open_below_percent;
  }
  const TargetTable::FailOpenChange change = table_.Judge(below_percent, clock_.WallNow());
  for (const auto& [service, s] : change.entered) {
    spdlog::warn(
        "fail-open: service {}: only {} of {} targets passed their last probe (below {}%); "
        "keeping its registrations until the share recovers",
        service, s.passed, s.with_result, s.below_percent);
  }
  for (const std::string& service : change.left) {
    spdlog::info("fail-open: service {}: enough targets pass again; judging health normally",
                 service);
  }
  snapshot_.fail_open_services = table_.FailOpenServices();
}

void Controller::Impl::SetOwnedTargetsCallback(std::function<void(OwnedTargets)> callback) {
  std::lock_guard lock(mu_);
  on_owned_ = std::move(callback);
}

void Controller::Impl::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_ || stop_) return;
    started_ = true;
  }
  if (!options_.dry_run) {
    keeper_.Start();
    membership_->Start();
  }
  thread_ = std::thread([this] { Run(); });
}

void Controller::Impl::Stop(bool revoke) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
    revoke_on_stop_ = revoke;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();  // Shutdown() ran on it
  } else {
    observed_.StopWatching();
    keeper_.Stop(false);
    if (membership_) membership_->Stop(false);
  }
}

ControllerSnapshot Controller::Impl::Snapshot() const {
  std::lock_guard lock(mu_);
  ControllerSnapshot s = snapshot_;
  s.etcd_endpoint = client_.CurrentEndpoint();
  for (const auto& [key, v] : rejected_) s.rejected_keys[key] = v.second;
  return s;
}

bool Controller::Impl::Ready() const {
  std::lock_guard lock(mu_);
  // An unreachable etcd or an alarm that refuses writes is not ready even
  // when the last reconcile was: nothing new can be registered until it passes.
  const bool etcd_refuses =
      !snapshot_.etcd_alarm.empty() || (!snapshot_.etcd_connected && !snapshot_.last_error.empty());
  return snapshot_.ready && !etcd_refuses;
}

void Controller::Impl::Wake(bool immediate) {
  std::lock_guard lock(mu_);
  MarkDirtyLocked(immediate);
}

void Controller::Impl::MarkDirtyLocked(bool immediate) {
  const MonoTime now = clock_.Now();
  if (!dirty_) dirty_since_ = now;
  if (immediate) dirty_since_ = now - tuning_.batch_window;
  dirty_ = true;
  cv_.notify_all();
}

// ---- controller thread ----

void Controller::Impl::Run() {
  spdlog::info("controller: starting (prefix {}, lease TTL {}s, member {} of cluster {}{})",
               options_.prefix, ttl_seconds_, cluster_.member_id, cluster_.coordination_prefix,
               options_.dry_run ? ", dry run: nothing is written" : "");
  while (WaitForWork()) Step();
  Shutdown();
}

bool Controller::Impl::WaitForWork() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    // Every wake-up takes in what was posted, also while backing off: the
    // inbox stays as short as the changes between two wake-ups.
    ApplyInboxLocked();
    const MonoTime now = clock_.Now();
    MonoTime wake = now + kControllerMaxSleep;
    if (now < retry_at_) {
      wake = std::min(wake, retry_at_);  // backing off: only Stop() interrupts
    } else {
      if (!synced_ || relist_requested_ || observed_.NeedsRelist()) {
        if (options_.dry_run || lease_id_ != 0) return true;
      }
      if (synced_ && now >= next_resync_) return true;
      if (revisit_at_) {
        if (now >= *revisit_at_) {
          revisit_at_.reset();
          MarkDirtyLocked(true);
          return true;
        }
        wake = std::min(wake, *revisit_at_);
      }
      if (synced_) wake = std::min(wake, next_resync_);
      if (dirty_) {
        if (now >= dirty_since_ + tuning_.batch_window) return true;
        wake = std::min(wake, dirty_since_ + tuning_.batch_window);
      }
    }
    clock_.WaitUntil(cv_, lock, std::max(wake, now + std::chrono::milliseconds(1)));
  }
  return false;
}

// Follows the lease the keeper holds; false while there is none.
bool Controller::Impl::FollowLease() {
  if (options_.dry_run) return true;
  const HeldLease lease = keeper_.Current();
  if (lease.generation != lease_generation_ || lease.id != lease_id_) {
    if (lease_id_ != 0) {
      observed_.ForgetLease(lease_id_);  // etcd deleted every key that carried it
      written_.clear();  // gone with the lease; rewriting them is not a drift repair
    }
    lease_id_ = lease.id;
    lease_generation_ = lease.generation;
    if (lease.id != 0)
      membership_->SetValue(lease.id, [&] {
        std::lock_guard lock(mu_);
        return digests_.current();
      }());
    std::lock_guard lock(mu_);
    snapshot_.lease_id = lease.id;
    snapshot_.lease_ttl_seconds = lease.ttl_seconds;
    relist_requested_ = true;
    if (lease.id == 0) snapshot_.ready = false;
  }
  if (lease.id != 0) return true;
  std::lock_guard lock(mu_);
  // The keeper wakes us when it holds a lease again. A grant since Current()
  // above has already woken us: clearing dirty_ then would lose that wake-up
  // and leave every key unwritten until the next resync.
  if (keeper_.Current().id == 0) dirty_ = false;
  return false;
}

void Controller::Impl::Step() {
  {
    std::lock_guard lock(mu_);
    ApplyInboxLocked();
  }
  if (!FollowLease()) return;
  bool relist;
  bool tick;
  {
    std::lock_guard lock(mu_);
    relist = !synced_ || relist_requested_ || observed_.NeedsRelist();
    tick = synced_ && clock_.Now() >= next_resync_;
    relist_requested_ = false;
  }
  // Periodic resync. The watch already reports every change; this catches a
  // watch that died silently: one count-only Range per prefix each period,
  // and a full re-list every `full_relist_every` periods or on a mismatch.
  if (tick && !relist) {
    if (++resync_ticks_ % std::max(1, tuning_.full_relist_every) == 0) {
      relist = true;
    } else {
      auto same = observed_.CountsMatch(client_);
      if (!same.ok()) {
        Fail("check", same.status());
        if (!options_.dry_run) return;
      } else if (!*same) {
        spdlog::warn("controller: keys in etcd differ from the watched copy; listing again");
        relist = true;
      } else {
        std::lock_guard lock(mu_);
        next_resync_ = clock_.Now() + std::max<Duration>(options_.resync_period, kMinResync);
        MarkDirtyLocked(true);
      }
    }
  }
  // A dry run reconciles against what it has even when etcd cannot be read.
  const bool listed = !relist || Resync();
  if (!listed && !options_.dry_run) return;
  bool dirty;
  {
    std::lock_guard lock(mu_);
    dirty = dirty_;
    dirty_ = false;
  }
  if (dirty && !ReconcileOnce()) return;
  if (listed) Succeeded();
}

bool Controller::Impl::Resync() {
  auto status = observed_.Relist(client_, Groups(), tuning_.range_page, tuning_.watch_poll);
  std::lock_guard lock(mu_);
  if (!status.ok()) {
    relist_requested_ = true;
    return Fail("list", status, /*locked=*/true);
  }
  synced_ = true;
  // A key etcd refused for its own content is tried once more per resync:
  // etcd's limits may have changed (a restart with a larger
  // --max-request-bytes) although the value did not.
  retry_parked_ = !rejected_.empty();
  next_resync_ = clock_.Now() + std::max<Duration>(options_.resync_period, kMinResync);
  MarkDirtyLocked(true);
  return true;
}

std::vector<std::string> Controller::Impl::Groups() const {
  std::vector<std::string> prefixes = {options_.prefix};
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, s] : services_) {
      for (std::string& dir : ServiceDirectories(s, options_)) prefixes.push_back(std::move(dir));
    }
  }
  return ObservedState::DisjointPrefixes(prefixes);
}

MembershipView Controller::Impl::CurrentView() const {
  if (membership_) return membership_->View();
  MembershipView solo;  // dry run: alone, owning everything
  solo.joined = true;
  solo.self_id = cluster_.member_id;
  solo.members.push_back({cluster_.member_id, 0, 0, ""});
  return solo;
}

std::function<void(OwnedTargets)> Controller::Impl::UpdateOwnershipLocked(
    const MembershipView& view, OwnedTargets& owned) {
  std::function<void(OwnedTargets)> notify;
  {
    if (view.epoch == ownership_epoch_ && table_.version() == ownership_targets_version_) {
      return notify;
    }
    // A new target set may change a spec without changing what we own: the
    // prober still needs the new specs.
    const bool targets_changed = table_.version() != ownership_targets_version_;
    ownership_epoch_ = view.epoch;
    ownership_targets_version_ = table_.version();
    // Members of the newest config own (membership.h OwningMembersOf); bounded
    // loads only over the set behind their digest, which every owner then
    // passes too, else plain rendezvous (ownership.h OwnersOf).
    OwningMembers owning;
    if (!membership_) {
      owning.ids.push_back(cluster_.member_id);
    } else {
      owning = OwningMembersOf(view);
      for (const auto& m : view.members) {
        if (m.id == cluster_.member_id) digests_.SeenInView(m.config);
      }
    }
    std::shared_ptr<const std::vector<std::string>> bounded_set;
    if (owning.digest) bounded_set = digests_.SetBehind(*owning.digest);
    std::vector<std::string> owners = OwnersOf(table_.Ids(), owning.ids, bounded_set.get());
    std::map<std::string, size_t> owned_by;
    const bool changed = table_.SetOwners(std::move(owners), cluster_.member_id, view.joined,
                                          clock_.Now(), owned.targets, owned.newly_owned, owned_by);
    snapshot_.members.clear();
    for (const auto& m : view.members) {
      snapshot_.members.push_back({m.id, m.id == cluster_.member_id, owned_by[m.id]});
    }
    snapshot_.joined = view.joined;
    if (observer_) observer_->OnMembers(view.members.size(), owned.targets.size());
    if (changed || targets_changed || !owned_sent_) notify = on_owned_;
    owned_sent_ = true;
    MarkDirtyLocked(true);
  }
  return notify;
}

std::vector<TargetRow> Controller::Impl::RowsLocked(const ObservedMap& observed) {
  std::vector<TargetRow> rows;
  rows.reserve(table_.entries().size());
  for (auto& [id, entry] : table_.entries()) {
    auto it = services_.find(entry.target.service);
    ServiceRegistration fallback;
    fallback.service = entry.target.service;
    const ServiceRegistration& svc = it != services_.end() ? it->second : fallback;
    if (entry.owned && entry.health == probes::Health::kHealthy) {
      KeepRegisteredAt(entry, svc, observed);
    }
    rows.push_back({id, entry.owned, entry.health, entry.unowned_since, &KeysOfLocked(entry, svc)});
  }
  return rows;
}

// A registration's time is a fact about the registration, not about its
// writer: when a key of the target already holds a value rendered at another
// registration time (another owner's, or ours before a restart), that time is
// kept, so adoption rewrites no value.
void Controller::Impl::KeepRegisteredAt(TargetTable::Entry& entry, const ServiceRegistration& svc,
                                        const ObservedMap& observed) {
  for (const LayoutKey& k : KeysOfLocked(entry, svc)) {
    auto seen = observed.find(k.key);
    if (seen == observed.end() || seen->second.value == k.value) continue;
    std::optional<WallTime> at =
        RegisteredAtOf(entry.target, svc, options_, k.format, seen->second.value);
    if (!at) continue;
    entry.registered_at = *at;  // KeysOfLocked renders again
    return;
  }
}

const std::vector<LayoutKey>& Controller::Impl::KeysOfLocked(TargetTable::Entry& entry,
                                                             const ServiceRegistration& svc) {
  if (entry.keys_version != services_version_ || entry.keys_at != entry.registered_at ||
      !(entry.keys_for == entry.target)) {
    entry.keys = RegistrationKeys(entry.target, svc, options_, entry.registered_at);
    entry.keys_for = entry.target;
    entry.keys_at = entry.registered_at;
    entry.keys_version = services_version_;
  }
  return entry.keys;
}

bool Controller::Impl::ReconcileOnce() {
  const MonoTime start = clock_.Now();
  const MembershipView view = CurrentView();
  if (observer_ && membership_) observer_->OnSession(view.joined);
  if (!view.joined) {
    std::lock_guard lock(mu_);
    snapshot_.ready = false;
    snapshot_.joined = false;
    return true;  // Membership wakes us once we are a member again
  }
  DecideInput in;
  in.groups = observed_.prefixes();
  in.lease_id = lease_id_;
  for (const auto& m : view.members) in.member_leases.insert(m.registration_lease);
  if (options_.owns_prefix) in.owned_prefix = options_.prefix;
  in.retry_parked = retry_parked_;
  in.now = clock_.Now();
  in.release_after = options_.lease_ttl;
  ObservedMap observed = observed_.Copy();
  // Ownership and the decision see one state of the target table: a target
  // set pushed meanwhile waits for the next pass.
  std::function<void(OwnedTargets)> notify;
  OwnedTargets owned;
  Decision desired;
  {
    std::lock_guard lock(mu_);
    notify = UpdateOwnershipLocked(view, owned);
    JudgeLocked();
    in.parked = &rejected_;
    desired = Decide(RowsLocked(observed), observed, in);
    revisit_at_ = desired.revisit_at;
  }
  if (notify) notify(std::move(owned));
  const Plan& plan = desired.plan;
  size_t repaired = 0;
  for (const auto& [key, value] : plan.puts) {
    auto it = written_.find(key);
    if (it != written_.end() && it->second == value) ++repaired;
  }

  if (plan.empty() || options_.dry_run) {
    if (options_.dry_run && !plan.empty() && plan.size() != last_dry_run_size_) {
      spdlog::info("controller: dry run: would write {} puts and {} deletes: {}", plan.puts.size(),
                   plan.deletes.size(), KeysForLog(plan));
    }
    if (options_.dry_run) last_dry_run_size_ = plan.size();
    Published(desired, observed, ReconcileOutcome::kNoop, clock_.Now() - start, view);
    return true;
  }

  WriteResult w = WritePlan(client_, plan, lease_id_, membership_->Fence(view),
                            [&](const std::vector<etcd::Op>& ops, int64_t revision) {
                              Plan done;
                              for (const auto& op : ops) {
                                if (op.type == etcd::Op::Type::kPut) {
                                  done.puts.emplace_back(op.key, op.value);
                                } else {
                                  done.deletes.push_back(op.key);
                                }
                              }
                              observed_.Apply(done, lease_id_, revision);
                              if (observer_) observer_->OnTxn(ops.size());
                            });
  Remember(w.done);
  if (w.status.ok() && !w.fenced) retry_parked_ = false;
  if (w.txns > 0) {
    std::lock_guard lock(mu_);
    NoteAlarmLocked(absl::OkStatus());
  }
  if (!w.rejected.empty() || !w.done.puts.empty()) {
    std::map<std::string, std::string> values(plan.puts.begin(), plan.puts.end());
    std::lock_guard lock(mu_);
    const size_t parked_before = rejected_.size();
    for (const auto& [key, value] : w.done.puts) rejected_.erase(key);
    for (const auto& [key, why] : w.rejected) {
      auto& parked = rejected_[key];
      if (parked.first != values[key] || parked.second != why) {
        spdlog::error(
            "controller: etcd refuses key {} ({} bytes) for its own content: {}; every other key "
            "is written, this one is tried again when its value changes and at each resync",
            key, values[key].size(), why);
      }
      parked = {values[key], why};
    }
    if (observer_ && (rejected_.size() != parked_before || !w.rejected.empty())) {
      observer_->OnRejectedKeys(rejected_.size());
    }
  }
  if (w.fenced) {
    spdlog::warn(
        "controller: write fenced: our membership or our view of it is stale "
        "(member {}, view at revision {}); re-reading the membership",
        cluster_.member_id, view.revision);
    if (observer_) observer_->OnFencedWrite();
    membership_->Refresh();
    std::lock_guard lock(mu_);
    ++snapshot_.fenced_writes;
    retry_at_ = clock_.Now() + kFencedRetry;
    MarkDirtyLocked(true);
    return false;
  }
  if (!w.status.ok()) {
    {
      std::lock_guard lock(mu_);
      MarkDirtyLocked(true);
    }
    if (observer_) observer_->OnReconcile(ReconcileOutcome::kError, clock_.Now() - start);
    if (w.status.code() == absl::StatusCode::kNotFound) {
      // "requested lease not found": one report, one regrant (the keeper
      // ignores reports about a lease it already replaced).
      keeper_.ReportLost(lease_id_);
      return false;
    }
    return Fail("txn", w.status);
  }
  if (repaired > 0) {
    spdlog::info("controller: repaired {} keys changed by someone else", repaired);
    if (observer_) observer_->OnDriftRepair(repaired);
  }
  if (desired.adoptions > 0) {
    spdlog::info("controller: adopted {} keys of targets now owned by {}", desired.adoptions,
                 cluster_.member_id);
    if (observer_) observer_->OnAdoptions(desired.adoptions);
  }
  spdlog::info("controller: registered {} and removed {} keys under lease {:x}{}",
               w.done.puts.size(), w.done.deletes.size(), lease_id_,
               w.done.size() <= kKeysLogged ? " (" + KeysForLog(w.done) + ")" : "");
  Published(desired, observed_.Copy(), ReconcileOutcome::kWritten, clock_.Now() - start, view);
  return true;
}

void Controller::Impl::Remember(const Plan& done) {
  for (const auto& [key, value] : done.puts) written_[key] = value;
  for (const auto& key : done.deletes) written_.erase(key);
}

void Controller::Impl::Published(const Decision& desired, const ObservedMap& observed,
                                 ReconcileOutcome outcome, Duration took,
                                 const MembershipView& view) {
  size_t ours = 0;
  if (options_.dry_run) {
    for (const auto& [g, keys] : desired.by_group) ours += keys.size();
  } else {
    for (const auto& [key, kv] : observed) ours += kv.lease == lease_id_ ? 1 : 0;
  }
  if (observer_) {
    observer_->OnReconcile(outcome, took);
    observer_->OnRegisteredKeys(ours);
  }
  std::lock_guard lock(mu_);
  snapshot_.registered_keys = ours;
  snapshot_.keys_by_target.clear();
  for (const auto& [id, keys] : desired.keys_by_target) {
    if (!keys.empty()) snapshot_.keys_by_target[id] = keys.front();
  }
  snapshot_.owner_by_target.clear();
  for (const auto& [id, entry] : table_.entries()) snapshot_.owner_by_target[id] = entry.owner;
  snapshot_.ready = options_.dry_run
                        ? synced_
                        : lease_id_ != 0 && view.joined && OwnedShareSettled(desired, observed);
}

// Every target we own has a verdict of our probes, or its key is ours
// (adopted as it was): until then a rollout must not count on this replica.
bool Controller::Impl::OwnedShareSettled(const Decision& desired,
                                         const ObservedMap& observed) const {
  for (const auto& [id, entry] : table_.entries()) {
    if (!entry.owned || entry.health != probes::Health::kUnknown) continue;
    auto keys = desired.keys_by_target.find(id);
    if (keys == desired.keys_by_target.end() || keys->second.empty()) return false;
    for (const std::string& key : keys->second) {
      auto kv = observed.find(key);
      if (kv == observed.end() || kv->second.lease != lease_id_) return false;
    }
  }
  return true;
}

void Controller::Impl::NoteAlarmLocked(const absl::Status& status) {
  const etcd::EtcdError error = etcd::ClassifyEtcdError(status);
  std::string alarm;
  if (error == etcd::EtcdError::kNoSpace) {
    alarm = "NOSPACE";
  } else if (error == etcd::EtcdError::kCorrupt) {
    alarm = "CORRUPT";
  } else if (status.ok()) {
    alarm = "";
  } else {
    return;  // says nothing about alarms
  }
  if (alarm == snapshot_.etcd_alarm) return;
  if (alarm.empty()) {
    spdlog::info("controller: etcd accepts writes again (alarm {} cleared)", snapshot_.etcd_alarm);
  } else {
    spdlog::error(
        "controller: etcd raised the {} alarm and refuses every write ({}); keys already "
        "registered stay (keepalives work), new and changed ones wait and are written once an "
        "operator clears the alarm",
        alarm, std::string(status.message()));
  }
  snapshot_.etcd_alarm = alarm;
  if (observer_) observer_->OnEtcdAlarm(alarm);
}

void Controller::Impl::Succeeded() {
  backoff_.Reset();
  std::lock_guard lock(mu_);
  if (!snapshot_.etcd_connected && !snapshot_.last_error.empty()) {
    spdlog::info("controller: etcd reachable again");
  }
  snapshot_.etcd_connected = true;
  snapshot_.last_error.clear();
}

bool Controller::Impl::Fail(std::string_view what, const absl::Status& status, bool locked) {
  const Duration wait = backoff_.Next();
  bool known_alarm = false;  // logged when it was raised: say it again only now and then
  auto update = [&] {
    retry_at_ = clock_.Now() + wait;
    relist_requested_ = true;  // the watch may have missed events meanwhile
    snapshot_.etcd_connected = false;
    snapshot_.last_error = std::string(what) + ": " + std::string(status.message());
    known_alarm =
        !snapshot_.etcd_alarm.empty() && etcd::IsClusterAlarm(etcd::ClassifyEtcdError(status));
    NoteAlarmLocked(status);
  };
  if (locked) {
    update();
  } else {
    std::lock_guard lock(mu_);
    update();
  }
  spdlog::log(
      known_alarm && backoff_.failures() % 20 != 0 ? spdlog::level::debug : spdlog::level::warn,
      "controller: etcd {} failed ({}); retry #{} in {}ms", what, status.ToString(),
      backoff_.failures(), std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
  return false;
}

absl::StatusOr<size_t> Controller::Impl::KeysUnderOurLease() {
  auto listed =
      etcd::ListPrefixes(client_, Groups(), {.page = tuning_.range_page, .keys_only = true});
  if (!listed.ok()) return listed.status();
  size_t n = 0;
  for (const auto& kv : listed->kvs) n += kv.lease == lease_id_ ? 1 : 0;
  return n;
}

Controller::Impl::Farewell Controller::Impl::HandOver() {
  const MembershipView view = membership_->View();
  size_t others = 0;
  for (const auto& m : view.members) others += m.id != cluster_.member_id ? 1 : 0;
  if (!view.joined || others == 0 || lease_id_ == 0) return Farewell::kRevoke;  // last member
  spdlog::info("controller: {} other members live; leaving the cluster so they adopt our keys",
               others);
  membership_->Stop(/*leave=*/true);  // our member key goes: they take our targets
  const MonoTime deadline = clock_.Now() + cluster_.handover_timeout;
  absl::StatusOr<size_t> left = absl::UnavailableError("not checked");
  while (true) {
    left = KeysUnderOurLease();
    if ((left.ok() && *left == 0) || clock_.Now() >= deadline) break;
    std::unique_lock lock(mu_);  // a poll on the injected clock (Stop() already ran)
    clock_.WaitUntil(cv_, lock, clock_.Now() + kHandoverPoll);
  }
  if (left.ok() && *left == 0) {
    spdlog::info("controller: every key of ours was adopted; handed over");
    return Farewell::kHandedOver;  // revoking the empty lease removes nothing
  }
  etcd::RangeOptions count;
  count.prefix = true;
  count.count_only = true;
  auto members = client_.Range(membership_->options().members_prefix, count);
  if (members.ok() && members->count == 0) {
    spdlog::info("controller: no member is left to adopt our keys; revoking");
    return Farewell::kRevoke;
  }
  spdlog::warn(
      "controller: {} keys not adopted within {}s; leaving them to expire with the "
      "lease (TTL {}s) so their new owner can still adopt them",
      left.ok() ? std::to_string(*left) : "some",
      std::chrono::duration_cast<seconds>(cluster_.handover_timeout).count(), ttl_seconds_);
  return Farewell::kExpire;
}

void Controller::Impl::Shutdown() {
  bool revoke;
  {
    std::lock_guard lock(mu_);
    revoke = revoke_on_stop_;
    snapshot_.ready = false;
  }
  Farewell farewell = revoke ? Farewell::kRevoke : Farewell::kExpire;
  if (revoke && membership_) farewell = HandOver();
  observed_.StopWatching();
  // Say only what happened: after a hand-over our keys live on under their
  // new owners, and a failed revoke leaves them to the TTL (the keeper logs it).
  const bool revoked = keeper_.Stop(farewell != Farewell::kExpire);
  if (membership_) membership_->Stop(/*leave=*/revoke_on_stop_);
  if (revoked && farewell == Farewell::kRevoke) {
    spdlog::info("controller: revoked lease {:x}; every key of ours is gone", lease_id_);
  } else if (revoked && farewell == Farewell::kHandedOver) {
    spdlog::info(
        "controller: revoked lease {:x}, emptied by the hand-over; our keys live on "
        "under their new owners",
        lease_id_);
  }
  if (observer_ && lease_id_ != 0) observer_->OnLease(0, 0);
  std::lock_guard lock(mu_);
  snapshot_.lease_id = 0;
}

}  // namespace registrar::controller
