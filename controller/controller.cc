#include "controller/controller.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "controller/keys.h"
#include "controller/lease_timing.h"
#include "controller/observed_state.h"
#include "controller/reconcile.h"
#include "spdlog/spdlog.h"

namespace registrar::controller {
namespace {

using std::chrono::seconds;

// Longest the controller thread sleeps without re-checking its clock.
constexpr Duration kMaxSleep = std::chrono::seconds(1);
// Floor for the resync period, so a bad value can never make a busy loop.
constexpr Duration kMinResync = std::chrono::milliseconds(100);
// At most this many keys are named in one log line.
constexpr size_t kKeysLogged = 10;

// One prefix we list and watch, and whether foreign keys under it are ours.
struct KeyGroup {
  std::string prefix;
  bool owned = false;
};

std::string KeysForLog(const Plan& plan) {
  std::string out;
  size_t n = 0;
  for (const auto& [key, value] : plan.puts) {
    if (n++ == kKeysLogged) break;
    out += (out.empty() ? "put " : ", put ") + key + "=" + value;
  }
  for (const auto& key : plan.deletes) {
    if (n++ >= kKeysLogged) break;
    out += (out.empty() ? "delete " : ", delete ") + key;
  }
  if (plan.size() > kKeysLogged) out += ", … (" + std::to_string(plan.size()) + " in all)";
  return out;
}

}  // namespace

absl::Status ValidateRegistrationOptions(const RegistrationOptions& options) {
  if (options.lease_ttl < kMinLeaseTtl) {
    return absl::InvalidArgumentError(
        "lease TTL " + std::to_string(ToSeconds(options.lease_ttl)) +
        "s is below etcd's minimum of 2s (etcd would silently raise it)");
  }
  if (options.lease_ttl % seconds(1) != Duration::zero()) {
    return absl::InvalidArgumentError("lease TTL must be a whole number of seconds");
  }
  if (options.resync_period <= Duration::zero()) {
    return absl::InvalidArgumentError("resync period must be positive");
  }
  if (options.prefix.empty()) return absl::InvalidArgumentError("key prefix must not be empty");
  return absl::OkStatus();
}

class Controller::Impl {
 public:
  Impl(etcd::Client& client, Clock& clock, Random& random, RegistrationOptions options,
       std::vector<ServiceRegistration> services, ControllerObserver* observer,
       ControllerTuning tuning)
      : client_(client),
        clock_(clock),
        options_(std::move(options)),
        observer_(observer),
        tuning_(tuning),
        ttl_seconds_(
            std::max<int64_t>(std::chrono::duration_cast<seconds>(kMinLeaseTtl).count(),
                              std::chrono::duration_cast<seconds>(options_.lease_ttl).count())),
        backoff_(tuning.backoff, random),
        observed_([this] { Wake(); }) {
    for (auto& s : services) services_[s.service] = std::move(s);
    snapshot_.dry_run = options_.dry_run;
  }

  ~Impl() { Stop(false); }

  void SetServices(std::vector<ServiceRegistration> services) {
    std::lock_guard lock(mu_);
    services_.clear();
    for (auto& s : services) services_[s.service] = std::move(s);
    relist_requested_ = true;  // the set of prefixes may have changed
    MarkDirtyLocked(true);
  }

  void SetHealthy(const probes::Target& target, bool healthy) {
    std::lock_guard lock(mu_);
    auto [it, added] = targets_.try_emplace(target.Id());
    TargetEntry& entry = it->second;
    if (healthy && (added || !entry.healthy)) entry.registered_at = clock_.WallNow();
    if (!added && entry.healthy == healthy && entry.target == target) return;
    entry.target = target;
    entry.healthy = healthy;
    MarkDirtyLocked(false);
  }

  void RemoveTarget(const std::string& id) {
    std::lock_guard lock(mu_);
    if (targets_.erase(id) > 0) MarkDirtyLocked(false);
  }

  void Start() {
    std::lock_guard lock(mu_);
    if (started_ || stop_) return;
    started_ = true;
    thread_ = std::thread([this] { Run(); });
  }

  void Stop(bool revoke) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      stop_ = true;
      revoke_on_stop_ = revoke;
    }
    cv_.notify_all();
    {
      std::lock_guard lock(stream_mu_);
      if (keepalive_) keepalive_->Cancel();
    }
    observed_.Interrupt();
    if (thread_.joinable()) thread_.join();
  }

  ControllerSnapshot Snapshot() const {
    std::lock_guard lock(mu_);
    ControllerSnapshot s = snapshot_;
    s.etcd_endpoint = client_.CurrentEndpoint();
    return s;
  }

  bool Ready() const {
    std::lock_guard lock(mu_);
    return snapshot_.ready;
  }

 private:
  struct TargetEntry {
    probes::Target target;
    bool healthy = false;
    WallTime registered_at;  // first registration since it last turned healthy
  };

  // What the controller thread reconciles against, copied under mu_.
  struct Desired {
    std::map<std::string, DesiredMap> by_group;  // group prefix → key → value
    std::map<std::string, std::string> keys_by_target;
  };

  void Wake() {
    std::lock_guard lock(mu_);
    MarkDirtyLocked(false);
  }

  void MarkDirtyLocked(bool immediate) {
    const MonoTime now = clock_.Now();
    if (!dirty_) dirty_since_ = now;
    if (immediate) dirty_since_ = now - tuning_.batch_window;
    dirty_ = true;
    cv_.notify_all();
  }

  // ---- controller thread ----

  void Run() {
    spdlog::info("controller: starting (prefix {}, lease TTL {}s{})", options_.prefix, ttl_seconds_,
                 options_.dry_run ? ", dry run: nothing is written" : "");
    while (WaitForWork()) Step();
    Shutdown();
  }

  // Sleeps until there is something to do; false when stopping.
  bool WaitForWork() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      const MonoTime now = clock_.Now();
      MonoTime wake = now + kMaxSleep;
      if (now < retry_at_) {
        wake = std::min(wake, retry_at_);  // backing off: only Stop() interrupts
      } else {
        if (NeedsEtcdWorkLocked(now)) return true;
        if (timing_.held()) wake = std::min({wake, timing_.next_keepalive(), timing_.deadline()});
        if (synced_) wake = std::min(wake, next_resync_);
        if (dirty_) {
          if (now >= dirty_since_ + tuning_.batch_window) return true;
          wake = std::min(wake, dirty_since_ + tuning_.batch_window);
        }
      }
      cv_.wait_for(lock, std::max<Duration>(wake - now, std::chrono::milliseconds(1)));
    }
    return false;
  }

  bool NeedsEtcdWorkLocked(MonoTime now) const {
    if (!options_.dry_run && !timing_.held()) return true;
    if (timing_.KeepAliveDue(now) || timing_.PresumedLost(now)) return true;
    if (!synced_ || relist_requested_ || observed_.NeedsRelist()) return true;
    return now >= next_resync_;
  }

  void Step() {
    if (!options_.dry_run) {
      const MonoTime now = clock_.Now();
      if ((timing_.KeepAliveDue(now) || timing_.PresumedLost(now)) && !KeepAlive()) return;
      if (!timing_.held() && !GrantLease()) return;
    }
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

  // Renews the lease; false when etcd could not be reached (backing off).
  bool KeepAlive() {
    if (!keepalive_) {
      auto stream = client_.OpenKeepAlive(lease_id_);
      if (!stream.ok()) return KeepAliveFailed(stream.status());
      std::lock_guard lock(stream_mu_);
      keepalive_ = std::move(*stream);
    }
    auto ttl = keepalive_->KeepAliveOnce();
    if (ttl.ok()) {
      timing_.Renewed(clock_.Now(), seconds(*ttl));
      return true;
    }
    return KeepAliveFailed(ttl.status());
  }

  bool KeepAliveFailed(const absl::Status& status) {
    if (observer_) observer_->OnKeepAliveFailure();
    ResetKeepAlive();
    if (status.code() == absl::StatusCode::kNotFound) {
      LeaseLost(status);
      return true;  // etcd answered: grant a new lease right away
    }
    return Fail("keepalive", status);
  }

  void LeaseLost(const absl::Status& why) {
    spdlog::warn("controller: lease {:x} lost ({}); granting a new one and registering again",
                 lease_id_, std::string(why.message()));
    observed_.ForgetLease(lease_id_);
    written_.clear();  // gone with the lease; rewriting them is not a drift repair
    lease_id_ = 0;
    timing_.Clear();
    if (observer_) observer_->OnLease(0, 0);
    std::lock_guard lock(mu_);
    relist_requested_ = true;
    snapshot_.lease_id = 0;
    snapshot_.ready = false;
  }

  bool GrantLease() {
    auto lease = client_.LeaseGrant(ttl_seconds_);
    if (!lease.ok()) return Fail("lease grant", lease.status());
    lease_id_ = lease->id;
    timing_.Granted(clock_.Now(), seconds(lease->ttl_seconds));
    spdlog::info("controller: {} lease {:x} (TTL {}s)",
                 had_lease_ ? "regained with new" : "holding", lease_id_, lease->ttl_seconds);
    if (observer_) {
      observer_->OnLease(lease_id_, lease->ttl_seconds);
      if (had_lease_) observer_->OnLeaseRegrant();
    }
    had_lease_ = true;
    std::lock_guard lock(mu_);
    snapshot_.lease_id = lease_id_;
    snapshot_.lease_ttl_seconds = lease->ttl_seconds;
    relist_requested_ = true;
    MarkDirtyLocked(true);
    return true;
  }

  // Re-reads every watched prefix and restarts the watch from there.
  bool Resync() {
    auto status = observed_.Relist(client_, Groups(), tuning_.range_page, tuning_.watch_poll);
    std::lock_guard lock(mu_);
    if (!status.ok()) {
      relist_requested_ = true;
      return Fail("list", status, /*locked=*/true);
    }
    synced_ = true;
    next_resync_ = clock_.Now() + std::max<Duration>(options_.resync_period, kMinResync);
    MarkDirtyLocked(true);
    return true;
  }

  std::vector<std::string> Groups() const {
    std::vector<std::string> prefixes = {options_.prefix};
    {
      std::lock_guard lock(mu_);
      for (const auto& [name, s] : services_) {
        if (s.format == ValueFormat::kSkyDns) {
          prefixes.push_back(PrefixFor(ValueFormat::kSkyDns, options_));
          break;
        }
      }
    }
    return ObservedState::DisjointPrefixes(prefixes);
  }

  Desired BuildDesired(const std::vector<std::string>& groups) const {
    Desired d;
    for (const auto& g : groups) d.by_group[g];
    std::lock_guard lock(mu_);
    for (const auto& [id, entry] : targets_) {
      if (!entry.healthy) continue;
      auto it = services_.find(entry.target.service);
      ServiceRegistration fallback;
      fallback.service = entry.target.service;
      const ServiceRegistration& svc = it != services_.end() ? it->second : fallback;
      std::string key = RegistrationKey(entry.target, svc, options_);
      for (const auto& g : groups) {
        if (key.starts_with(g)) {
          d.by_group[g][key] = RegistrationValue(entry.target, svc, entry.registered_at);
          break;
        }
      }
      d.keys_by_target[id] = std::move(key);
    }
    return d;
  }

  bool ReconcileOnce() {
    const MonoTime start = clock_.Now();
    const std::vector<std::string> groups = observed_.prefixes();
    Desired desired = BuildDesired(groups);
    ObservedMap observed = observed_.Copy();
    Plan plan;
    for (const auto& [prefix, keys] : desired.by_group) {
      ObservedMap in_group;
      for (auto it = observed.lower_bound(prefix);
           it != observed.end() && it->first.starts_with(prefix); ++it) {
        in_group.insert(*it);
      }
      Merge(plan, Reconcile(keys, in_group, lease_id_,
                            options_.owns_prefix && prefix == options_.prefix));
    }
    size_t repaired = 0;
    for (const auto& [key, value] : plan.puts) {
      auto it = written_.find(key);
      if (it != written_.end() && it->second == value) ++repaired;
    }
    for (const auto& key : plan.deletes) {
      auto it = observed.find(key);
      if (it != observed.end() && it->second.lease != lease_id_) ++repaired;
    }

    if (plan.empty() || options_.dry_run) {
      if (options_.dry_run && !plan.empty() && plan.size() != last_dry_run_size_) {
        spdlog::info("controller: dry run: would write {} puts and {} deletes: {}",
                     plan.puts.size(), plan.deletes.size(), KeysForLog(plan));
      }
      if (options_.dry_run) last_dry_run_size_ = plan.size();
      Published(desired, observed, plan.empty() ? "noop" : "dry-run", clock_.Now() - start);
      return true;
    }

    size_t done_puts = 0;
    size_t done_deletes = 0;
    for (const auto& batch : ToTxnBatches(plan, lease_id_)) {
      auto result = client_.Txn({}, batch);
      if (!result.ok()) {
        Plan done = Prefix(plan, done_puts, done_deletes);
        observed_.Apply(done, lease_id_, last_txn_revision_);
        Remember(done);
        {
          std::lock_guard lock(mu_);
          MarkDirtyLocked(true);
        }
        if (observer_) observer_->OnReconcile("error", clock_.Now() - start);
        if (result.status().code() == absl::StatusCode::kNotFound) {
          LeaseLost(result.status());  // "requested lease not found": grant a new one now
          return false;
        }
        return Fail("txn", result.status());
      }
      last_txn_revision_ = result->revision;
      for (const auto& op : batch) ++(op.type == etcd::Op::Type::kPut ? done_puts : done_deletes);
      observed_.Apply(Prefix(plan, done_puts, done_deletes), lease_id_, result->revision);
      if (observer_) observer_->OnTxn(batch.size());
    }
    Remember(plan);
    if (repaired > 0) {
      spdlog::info("controller: repaired {} keys changed by someone else", repaired);
      if (observer_) observer_->OnDriftRepair(repaired);
    }
    spdlog::info("controller: registered {} and removed {} keys under lease {:x}{}",
                 plan.puts.size(), plan.deletes.size(), lease_id_,
                 plan.size() <= kKeysLogged ? " (" + KeysForLog(plan) + ")" : "");
    Published(desired, observed_.Copy(), "ok", clock_.Now() - start);
    return true;
  }

  // The first `puts` puts and `deletes` deletes of `plan`, in ToTxnBatches order.
  static Plan Prefix(const Plan& plan, size_t puts, size_t deletes) {
    Plan p;
    p.puts.assign(plan.puts.begin(), plan.puts.begin() + static_cast<std::ptrdiff_t>(puts));
    p.deletes.assign(plan.deletes.begin(),
                     plan.deletes.begin() + static_cast<std::ptrdiff_t>(deletes));
    return p;
  }

  void Remember(const Plan& done) {
    for (const auto& [key, value] : done.puts) written_[key] = value;
    for (const auto& key : done.deletes) written_.erase(key);
  }

  void Published(const Desired& desired, const ObservedMap& observed, std::string_view result,
                 Duration took) {
    size_t ours = 0;
    if (options_.dry_run) {
      for (const auto& [g, keys] : desired.by_group) ours += keys.size();
    } else {
      for (const auto& [key, kv] : observed) ours += kv.lease == lease_id_ ? 1 : 0;
    }
    if (observer_) {
      observer_->OnReconcile(result == "dry-run" ? "noop" : result, took);
      observer_->OnRegisteredKeys(ours);
    }
    std::lock_guard lock(mu_);
    snapshot_.registered_keys = ours;
    snapshot_.keys_by_target = desired.keys_by_target;
    snapshot_.ready = options_.dry_run ? synced_ : timing_.held();
  }

  void Succeeded() {
    backoff_.Reset();
    std::lock_guard lock(mu_);
    if (!snapshot_.etcd_connected && !snapshot_.last_error.empty()) {
      spdlog::info("controller: etcd reachable again");
    }
    snapshot_.etcd_connected = true;
    snapshot_.last_error.clear();
  }

  bool Fail(std::string_view what, const absl::Status& status, bool locked = false) {
    const Duration wait = backoff_.Next();
    auto update = [&] {
      retry_at_ = clock_.Now() + wait;
      relist_requested_ = true;  // the watch may have missed events meanwhile
      snapshot_.etcd_connected = false;
      snapshot_.last_error = std::string(what) + ": " + std::string(status.message());
    };
    if (locked) {
      update();
    } else {
      std::lock_guard lock(mu_);
      update();
    }
    spdlog::warn("controller: etcd {} failed ({}); retry #{} in {}ms", what, status.ToString(),
                 backoff_.failures(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
    return false;
  }

  void ResetKeepAlive() {
    std::lock_guard lock(stream_mu_);
    keepalive_.reset();
  }

  void Shutdown() {
    observed_.StopWatching();
    ResetKeepAlive();
    bool revoke;
    {
      std::lock_guard lock(mu_);
      revoke = revoke_on_stop_;
    }
    if (revoke && lease_id_ != 0) {
      absl::Status s = client_.LeaseRevoke(lease_id_);
      if (s.ok()) {
        spdlog::info("controller: revoked lease {:x}; every key of ours is gone", lease_id_);
      } else {
        spdlog::warn("controller: revoking lease {:x} failed ({}); keys expire within {}s",
                     lease_id_, s.ToString(), ttl_seconds_);
      }
    }
    if (observer_ && lease_id_ != 0) observer_->OnLease(0, 0);
    std::lock_guard lock(mu_);
    snapshot_.ready = false;
    snapshot_.lease_id = 0;
  }

  // Constant after construction.
  etcd::Client& client_;
  Clock& clock_;
  const RegistrationOptions options_;
  ControllerObserver* const observer_;
  const ControllerTuning tuning_;
  const int64_t ttl_seconds_;

  // Owned by the controller thread.
  Backoff backoff_;
  LeaseTiming timing_;
  int64_t lease_id_ = 0;
  bool had_lease_ = false;
  int64_t last_txn_revision_ = 0;
  std::map<std::string, std::string> written_;  // key → value we last put
  size_t last_dry_run_size_ = 0;
  int64_t resync_ticks_ = 0;
  std::thread thread_;

  // The keepalive stream: replaced by the controller thread, cancelled by Stop().
  std::mutex stream_mu_;
  std::unique_ptr<etcd::KeepAliveStream> keepalive_;  // guarded by stream_mu_ (pointer only)

  // Observed keys and the watch that keeps them current (own locking).
  ObservedState observed_;

  // Guarded by mu_.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, TargetEntry> targets_;  // by Target::Id()
  std::map<std::string, ServiceRegistration> services_;
  bool dirty_ = false;
  MonoTime dirty_since_{};
  bool relist_requested_ = false;
  bool synced_ = false;
  MonoTime next_resync_{};
  MonoTime retry_at_{};
  bool started_ = false;
  bool stop_ = false;
  bool revoke_on_stop_ = false;
  ControllerSnapshot snapshot_;
};

Controller::Controller(etcd::Client& client, Clock& clock, Random& random,
                       RegistrationOptions options, std::vector<ServiceRegistration> services,
                       ControllerObserver* observer, ControllerTuning tuning)
    : impl_(std::make_unique<Impl>(client, clock, random, std::move(options), std::move(services),
                                   observer, tuning)) {}

Controller::~Controller() = default;

void Controller::SetServices(std::vector<ServiceRegistration> services) {
  impl_->SetServices(std::move(services));
}
void Controller::SetHealthy(const probes::Target& target, bool healthy) {
  impl_->SetHealthy(target, healthy);
}
void Controller::RemoveTarget(const std::string& target_id) { impl_->RemoveTarget(target_id); }
void Controller::Start() { impl_->Start(); }
void Controller::Stop(bool revoke) { impl_->Stop(revoke); }
ControllerSnapshot Controller::Snapshot() const { return impl_->Snapshot(); }
bool Controller::Ready() const { return impl_->Ready(); }

}  // namespace registrar::controller
