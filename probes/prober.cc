// The Prober: one thread, one EventLoop, a timer heap of due probes and one
// Session per target. See prober.h for the contract.
#include "probes/prober.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <vector>

#include "probes/certificate.h"
#include "probes/check.h"
#include "probes/event_loop.h"
#include "probes/grpc_probe.h"
#include "probes/in_flight_limit.h"
#include "probes/schedule.h"
#include "probes/socket_probe.h"
#include "probes/tls_connection.h"
#include "probes/tls_socket_probe.h"
#include "spdlog/spdlog.h"

namespace registrar::probes {
namespace {

// A probe that runs on the loop without libcurl: the direct HTTP/TCP path,
// tlsSocket and gRPC (start, time out, abort → verdict).
class DirectProbe {
 public:
  virtual ~DirectProbe() = default;
  virtual void Start() = 0;
  virtual void TimeOut() = 0;
  virtual void Abort() = 0;
  virtual Verdict TakeVerdict() = 0;
};

template <typename P>
class Direct final : public DirectProbe {
 public:
  template <typename... Args>
  explicit Direct(Args&&... args) : probe_(std::forward<Args>(args)...) {}
  void Start() override { probe_.Start(); }
  void TimeOut() override { probe_.TimeOut(); }
  void Abort() override { probe_.Abort(); }
  Verdict TakeVerdict() override { return probe_.TakeVerdict(); }

 private:
  P probe_;
};

// One target: its spec, schedule, thresholds and history. Owned by the loop
// thread; `target`, `health`, `since` and `recent` are also read by Snapshot()
// and so change only under ProberImpl::mu_.
struct Session : std::enable_shared_from_this<Session> {
  Session(Target t, MonoTime now, WallTime wall_now, Duration phase)
      : target(std::move(t)),
        schedule(now, target.probe.initial_delay, target.probe.period, phase),
        health(target.probe.success_threshold, target.probe.failure_threshold),
        since(wall_now) {}

  Target target;
  std::unique_ptr<Check> check;
  std::unique_ptr<DirectProbe> direct;  // set when the probe runs without libcurl
  Schedule schedule;
  HealthState health;
  WallTime since;
  // The last results, a ring of at most history_size (a deque costs ~1.5 KB
  // per target even when nearly empty); `next` is the oldest once full.
  std::vector<ProbeResult> recent;
  size_t next = 0;

  std::deque<ProbeResult> History() const {
    std::deque<ProbeResult> out(recent.begin() + static_cast<std::ptrdiff_t>(next), recent.end());
    out.insert(out.end(), recent.begin(), recent.begin() + static_cast<std::ptrdiff_t>(next));
    return out;
  }

  int shard = 0;                  // which of the loop's curl multi handles it uses
  std::optional<Target> pending;  // a new spec, applied when the probe in flight ends
  bool running = false;           // a probe is in flight
  uint64_t probe_seq = 0;         // counts probes; matches deadline timers to theirs
  CURL* easy = nullptr;           // while a libcurl probe is in flight
  MonoTime planned{};
  MonoTime started{};
  WallTime wall_started{};
  bool queued = false;   // due, waiting for a free in-flight slot
  bool removed = false;  // dropped by SetTargets; stale heap/queue entries skip it
  uint64_t timer_generation = 0;
};

// A session's next probe, or (deadline) the end of its direct probe's time.
struct TimerEntry {
  MonoTime due;
  uint64_t generation;  // the session's timer_generation, or its probe_seq for a deadline
  std::shared_ptr<Session> session;
  bool deadline = false;
  bool operator>(const TimerEntry& o) const { return due > o.due; }
};

class ProberImpl final : public Prober {
 public:
  ProberImpl(Clock& clock, Random& random, ProberOptions options, ProbeObserver* observer)
      : clock_(clock),
        random_(random),
        options_(options),
        observer_(observer),
        limit_(options.max_in_flight) {
    options_.max_in_flight = std::max(options_.max_in_flight, 1);
  }
  ~ProberImpl() override { Stop(); }

  void SetTargets(std::vector<Target> targets) override {
    {
      std::lock_guard lock(mu_);
      pending_targets_ = std::move(targets);
    }
    loop_.Wake();
  }

  void Start() override {
    std::lock_guard lock(start_mu_);
    if (started_) return;
    started_ = true;
    if (auto status = loop_.Init(); !status.ok()) {
      spdlog::error("prober: cannot start: {}", status.ToString());
      return;
    }
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() override {
    std::lock_guard lock(start_mu_);
    if (stopped_) return;
    stopped_ = true;
    stop_.store(true);
    if (thread_.joinable()) {
      loop_.Wake();
      thread_.join();
    }
  }

  std::vector<TargetStatus> Snapshot() const override {
    std::lock_guard lock(mu_);
    std::vector<TargetStatus> out;
    out.reserve(sessions_.size());
    for (const auto& [id, s] : sessions_) {
      out.push_back(TargetStatus{s->target, s->health.health(), s->since, s->History()});
    }
    return out;
  }

 private:
  void Run();
  void ApplyTargets(std::vector<Target> targets);
  void ApplySpec(Session& s, Target target);
  // (Re)builds the session's check (and direct probe) for its current target.
  void BuildCheck(Session& s);
  void FireDueTimers();
  void StartProbe(const std::shared_ptr<Session>& s, MonoTime now);
  void FinishProbe(int shard, CURL* easy, CURLcode code);
  void FinishDirect(const std::shared_ptr<Session>& s);
  // The end of every probe: history, thresholds, the next timer.
  void Complete(const std::shared_ptr<Session>& s, Verdict v, MonoTime now);
  // Ends the probe in flight without a result.
  void AbortProbe(Session& s);
  void StartQueued();
  // Finishes every completed transfer, then starts queued probes in the
  // slots that freed up.
  void DrainCompleted();
  void Arm(const std::shared_ptr<Session>& s);
  void Record(Session& s, ProbeResult result, Duration lag);
  CURL* TakeHandle();
  void ReturnHandle(CURL* easy);
  void Shutdown();

  Clock& clock_;
  Random& random_;  // prober thread only
  ProberOptions options_;
  ProbeObserver* const observer_;

  std::mutex start_mu_;  // serializes Start/Stop
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;

  mutable std::mutex mu_;
  std::optional<std::vector<Target>> pending_targets_;        // guarded by mu_
  std::map<std::string, std::shared_ptr<Session>> sessions_;  // guarded by mu_ (written by loop)

  // Loop thread only.
  TrustStores trust_;  // stores are refcounted: connections keep their own reference
  TlsContexts tls_{trust_};
  EventLoop loop_;
  std::unique_ptr<GrpcDriver> grpc_;  // gRPC calls' queue and thread, from the first grpc target
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
  std::deque<std::shared_ptr<Session>> queue_;         // due, waiting for a slot (FIFO)
  std::vector<std::shared_ptr<Session>> direct_done_;  // direct probes ended, to finish
  int in_flight_ = 0;
  InFlightLimit limit_;      // the in-flight bound applied now (<= max_in_flight)
  std::vector<CURL*> pool_;  // idle easy handles (connections live in the multi handle)
};

void ProberImpl::Run() {
  while (!stop_.load()) {
    std::optional<std::vector<Target>> targets;
    {
      std::lock_guard lock(mu_);
      targets.swap(pending_targets_);
    }
    if (targets) ApplyTargets(std::move(*targets));

    FireDueTimers();
    // Transfers just added may finish inside curl's timer run; collect them
    // (which may free slots and arm timers) before deciding how long to wait.
    loop_.ActOnDueTimers();
    DrainCompleted();
    Duration wait = std::chrono::seconds(1);
    if (!timers_.empty()) wait = std::min(wait, timers_.top().due - clock_.Now());
    loop_.Poll(wait);
    DrainCompleted();
  }
  Shutdown();
}

void ProberImpl::ApplyTargets(std::vector<Target> targets) {
  // Parse CA bundles before taking `now`, so new schedules start after the
  // (one-time, possibly 100+ ms) load rather than already late.
  for (const auto& t : targets) {
    const auto& http = t.probe.http_get;
    if (t.probe.kind == ProbeKind::kHttpGet && !http.tls.insecure_skip_verify &&
        (http.scheme == "HTTPS" || http.scheme == "https")) {
      trust_.Get(http.tls.ca_file);
    }
    const auto& tls = t.probe.tls_socket.tls;
    if (t.probe.kind == ProbeKind::kTlsSocket && !tls.insecure_skip_verify) trust_.Get(tls.ca_file);
  }
  MonoTime now = clock_.Now();
  WallTime wall_now = clock_.WallNow();
  std::map<std::string, Target> wanted;
  for (auto& t : targets) {
    std::string id = t.Id();
    wanted.insert_or_assign(std::move(id), std::move(t));
  }
  std::vector<std::shared_ptr<Session>> added;
  {
    std::lock_guard lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto w = wanted.find(it->first);
      if (w != wanted.end()) {
        if (!(w->second == it->second->target)) ApplySpec(*it->second, std::move(w->second));
        wanted.erase(w);
        ++it;
        continue;
      }
      Session& s = *it->second;
      s.removed = true;
      AbortProbe(s);     // no result, no transition
      s.direct.reset();  // closes its kept-alive connection
      it = sessions_.erase(it);
    }
    for (auto& [id, t] : wanted) {
      Duration phase = Schedule::RandomPhase(t.probe.period, random_);
      auto s = std::make_shared<Session>(std::move(t), now, wall_now, phase);
      BuildCheck(*s);
      s->shard = static_cast<int>(std::hash<std::string>{}(id) % EventLoop::kShards);
      sessions_.emplace(id, s);
      added.push_back(std::move(s));
    }
  }
  for (const auto& s : added) Arm(s);
  // Keep a kept-alive connection per target (curl's default cache is sized by
  // the handles currently added, which is only the probes in flight).
  loop_.SetMaxConnections(static_cast<long>(sessions_.size() + options_.max_in_flight));
}

// Under mu_. Thresholds change now; the check and period from the next probe.
void ProberImpl::ApplySpec(Session& s, Target target) {
  if (s.running) {
    s.pending = std::move(target);
    return;
  }
  bool period_changed = target.probe.period != s.target.probe.period;
  s.target = std::move(target);
  BuildCheck(s);
  s.health.SetThresholds(s.target.probe.success_threshold, s.target.probe.failure_threshold);
  if (period_changed) {
    s.schedule.SetPeriod(s.target.probe.period, clock_.Now());
    // The session's armed timer is now stale: re-arm at the new due time.
    Arm(s.shared_from_this());
  }
}

void ProberImpl::BuildCheck(Session& s) {
  s.direct.reset();  // it refers to the old check
  s.check = std::make_unique<Check>(s.target, trust_);
  Session* session = &s;
  auto done = [this, session] { direct_done_.push_back(session->shared_from_this()); };
  if (s.target.probe.kind == ProbeKind::kGrpc) {  // gRPC always runs on its own queue
    if (!grpc_) grpc_ = std::make_unique<GrpcDriver>(loop_);
    s.direct = std::make_unique<Direct<GrpcProbe>>(s.target, *s.check, *grpc_, done);
    return;
  }
  if (!options_.direct_sockets) return;
  if (TlsSocketProbe::Supports(s.target)) {
    s.direct = std::make_unique<Direct<TlsSocketProbe>>(s.target, *s.check, tls_, loop_, done);
  } else if (SocketProbe::Supports(s.target)) {
    s.direct = std::make_unique<Direct<SocketProbe>>(s.target, *s.check, loop_, done);
  }
}

void ProberImpl::AbortProbe(Session& s) {
  if (!s.running) return;
  if (s.easy != nullptr) {
    curl_multi_remove_handle(loop_.multi(s.shard), s.easy);
    ReturnHandle(s.easy);
    s.easy = nullptr;
  } else if (s.direct) {
    s.direct->Abort();
  }
  s.running = false;
  --in_flight_;
}

void ProberImpl::Arm(const std::shared_ptr<Session>& s) {
  timers_.push(TimerEntry{s->schedule.next_due(), ++s->timer_generation, s});
}

void ProberImpl::FireDueTimers() {
  MonoTime now = clock_.Now();
  // How late the loop is: the oldest due timer's delay (queued probes are
  // popped on time whatever the bound, so this measures the loop alone).
  if (!timers_.empty() && timers_.top().due <= now) {
    limit_.Update(now - timers_.top().due, in_flight_);
  }
  while (!timers_.empty() && timers_.top().due <= now) {
    TimerEntry entry = timers_.top();
    timers_.pop();
    auto& s = entry.session;
    if (entry.deadline) {
      if (!s->removed && s->running && s->probe_seq == entry.generation) s->direct->TimeOut();
      continue;
    }
    if (s->removed || entry.generation != s->timer_generation || s->running || s->queued) {
      continue;
    }
    if (!s->schedule.IsDue(now)) {  // e.g. the period changed: wait for the new slot
      Arm(s);
      continue;
    }
    if (in_flight_ < limit_.value()) {
      StartProbe(s, now);
    } else {
      s->queued = true;
      queue_.push_back(s);
    }
  }
}

void ProberImpl::DrainCompleted() {
  loop_.DrainCompleted(
      [this](int shard, CURL* easy, CURLcode code) { FinishProbe(shard, easy, code); });
  // Finishing starts no probe, so nothing is added to the list meanwhile.
  for (const auto& s : direct_done_) FinishDirect(s);
  direct_done_.clear();
  StartQueued();
}

void ProberImpl::StartQueued() {
  while (!queue_.empty() && in_flight_ < limit_.value()) {
    auto s = std::move(queue_.front());
    queue_.pop_front();
    s->queued = false;
    if (s->removed) continue;
    StartProbe(s, clock_.Now());
  }
}

void ProberImpl::StartProbe(const std::shared_ptr<Session>& s, MonoTime now) {
  s->planned = s->schedule.Begin(now);
  s->started = now;
  s->wall_started = clock_.WallNow();
  if (s->direct) {
    s->running = true;
    ++s->probe_seq;
    ++in_flight_;
    timers_.push(TimerEntry{now + s->target.probe.timeout, s->probe_seq, s, true});
    s->direct->Start();  // may end at once (e.g. refused): finished in DrainCompleted
    return;
  }
  CURL* easy = TakeHandle();
  s->check->Configure(easy, s.get());
  loop_.Attach(easy);
  CURLMcode rc = curl_multi_add_handle(loop_.multi(s->shard), easy);
  if (rc != CURLM_OK) {
    ReturnHandle(easy);
    s->schedule.End(now);
    ProbeResult r{now,
                  s->wall_started,
                  false,
                  std::string("cannot start probe: ") + curl_multi_strerror(rc),
                  Duration::zero(),
                  0};
    Record(*s, std::move(r), now - s->planned);
    Arm(s);
    return;
  }
  s->easy = easy;
  s->running = true;
  ++in_flight_;
}

void ProberImpl::FinishProbe(int shard, CURL* easy, CURLcode code) {
  // Only live sessions have handles in the multi (removal takes the handle
  // out), so the owner is alive.
  void* owner = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &owner);
  curl_multi_remove_handle(loop_.multi(shard), easy);
  std::shared_ptr<Session> s = static_cast<Session*>(owner)->shared_from_this();

  MonoTime now = clock_.Now();
  Verdict v = s->check->Judge(easy, code);
  ReturnHandle(easy);
  s->easy = nullptr;
  Complete(s, std::move(v), now);
}

void ProberImpl::FinishDirect(const std::shared_ptr<Session>& s) {
  if (s->removed || !s->running) return;
  Complete(s, s->direct->TakeVerdict(), clock_.Now());
}

void ProberImpl::Complete(const std::shared_ptr<Session>& s, Verdict v, MonoTime now) {
  s->running = false;
  --in_flight_;
  s->schedule.End(now);
  // Every TLS kind: a leaf that runs out within minCertValidity fails.
  ApplyCertValidity(v, v.cert_not_after, clock_.WallNow(), s->target.probe.min_cert_validity);
  ProbeResult r{s->started,    s->wall_started, v.ok, std::move(v.reason), now - s->started,
                v.http_status, v.cert_not_after};
  Record(*s, std::move(r), s->started - s->planned);
  if (s->pending) {
    std::lock_guard lock(mu_);
    Target t = std::move(*s->pending);
    s->pending.reset();
    ApplySpec(*s, std::move(t));
  }
  Arm(s);
}

void ProberImpl::Record(Session& s, ProbeResult result, Duration lag) {
  std::optional<Transition> transition;
  {
    std::lock_guard lock(mu_);
    transition = s.health.Observe(result);
    if (transition) s.since = clock_.WallNow();
    size_t limit = std::max<size_t>(options_.history_size, 1);
    if (s.recent.size() < limit) {
      if (s.recent.empty()) s.recent.reserve(limit);
      s.recent.push_back(result);
    } else {
      s.recent[s.next] = result;
      s.next = (s.next + 1) % limit;
    }
  }
  if (transition) {
    // A first verdict of healthy is routine (10k lines at a 10k-target start);
    // everything else is news.
    bool routine = transition->from == Health::kUnknown && transition->to == Health::kHealthy;
    spdlog::log(routine ? spdlog::level::debug : spdlog::level::info, "probe {}: {} -> {} ({})",
                s.target.Id(), HealthName(transition->from), HealthName(transition->to),
                transition->cause.reason);
  }
  if (observer_ == nullptr) return;
  observer_->OnResult(s.target, result, lag);
  if (transition) observer_->OnTransition(s.target, *transition);
}

CURL* ProberImpl::TakeHandle() {
  if (pool_.empty()) return curl_easy_init();
  CURL* easy = pool_.back();
  pool_.pop_back();
  curl_easy_reset(easy);
  return easy;
}

void ProberImpl::ReturnHandle(CURL* easy) { pool_.push_back(easy); }

void ProberImpl::Shutdown() {
  std::lock_guard lock(mu_);
  for (const auto& [id, s] : sessions_) {
    AbortProbe(*s);
    s->direct.reset();  // closes its connection while the loop still exists
  }
  grpc_.reset();  // after every call was cancelled: waits for the queue to hand them back
  loop_.Close();  // closes kept-alive connections too
  for (CURL* easy : pool_) curl_easy_cleanup(easy);
  pool_.clear();
}

}  // namespace

std::unique_ptr<Prober> Prober::Create(Clock& clock, Random& random, ProberOptions options,
                                       ProbeObserver* observer) {
  curl_global_init(CURL_GLOBAL_DEFAULT);  // idempotent after the first call
  return std::make_unique<ProberImpl>(clock, random, options, observer);
}

}  // namespace registrar::probes
