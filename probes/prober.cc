// The Prober: one thread, one EventLoop, a timer heap of due probes and one
// Session per target, whose probes run on the Transport its kind routes to
// (transport.h). See prober.h for the contract.
#include "probes/prober.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <vector>

#include "common/log_fields.h"
#include "probes/event_loop.h"
#include "probes/in_flight_limit.h"
#include "probes/result_history.h"
#include "probes/schedule.h"
#include "probes/transports/certificate.h"
#include "probes/transports/curl_transport.h"
#include "probes/transports/exec_transport.h"
#include "probes/transports/grpc_probe.h"
#include "probes/transports/http_response.h"
#include "probes/transports/keep_alive.h"
#include "probes/transports/resolver.h"
#include "probes/transports/tls_connection.h"
#include "probes/transports/transport.h"
#include "probes/transports/trust_stores.h"
#include "spdlog/spdlog.h"

namespace registrar::probes {
namespace {

// One target: its spec, schedule, thresholds and history. Owned by the loop
// thread; `target`, `health`, `since` and `recent` are also read by Snapshot()
// and so change only under ProberImpl::mu_.
struct Session : std::enable_shared_from_this<Session> {
  Session(Target t, MonoTime now, WallTime wall_now, Duration phase, size_t history_size)
      : target(std::move(t)),
        schedule(now, target.probe.initial_delay, target.probe.period, phase),
        health(target.probe.success_threshold, target.probe.failure_threshold),
        since(wall_now),
        recent(history_size) {}

  Target target;
  const TransportKind* route = nullptr;  // the routing-table row of `transport`
  std::unique_ptr<Transport> transport;
  Schedule schedule;
  HealthState health;
  WallTime since;
  // The last history_size results (a deque of ProbeResults costs ~1.5 KB per
  // target even when nearly empty; a vector of them 0.9 KB when full).
  ResultHistory recent;

  // A new spec, applied when the probe in flight ends. On the heap: a Target
  // is ~1 KB, and at 100 000 targets an inline empty optional costs 100 MB.
  std::unique_ptr<Target> pending;
  uint64_t probe_seq = 0;  // counts probes; matches deadline timers to theirs
  MonoTime planned{};
  MonoTime started{};
  MonoTime previous_started{};  // the start of the probe before, if any
  // Read by Snapshot(): change only under ProberImpl::mu_.
  Duration interval{};
  uint64_t late_probes = 0;
  WallTime wall_started{};
  uint64_t timer_generation = 0;
  // (The flags together: one word rather than one each with its padding.)
  bool running = false;  // a probe is in flight
  // The last attempt hit a local error: the same planned probe is retried
  // (the schedule stays in flight); `retries` sets the back-off.
  bool retry = false;
  bool queued = false;         // due, waiting for a free in-flight slot
  bool local_waiting = false;  // in ProberImpl::local_waiters_
  bool removed = false;        // dropped by SetTargets; stale heap/queue entries skip it
  int retries = 0;
};

// A session's next probe (or its retry), or (deadline) the end of its probe's
// time.
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
    SizeBudget();
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
    if (auto status = resolver_.Init(); status.ok()) {
      env_.resolver = &resolver_;
    } else {
      spdlog::warn("prober: host names go through libcurl: {}", status.ToString());
    }
    spdlog::info(
        "prober: open-file budget: up to {} probes in flight and {} kept-alive connections "
        "(targets beyond it are probed on fresh connections)",
        in_flight_cap_, keep_capacity_);
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
      out.push_back(TargetStatus{s->target, s->health.health(), s->since, s->recent.Get(),
                                 s->interval, s->late_probes});
    }
    return out;
  }

 private:
  void Run();
  // Splits the open-file limit between probes in flight, kept-alive
  // connections and the rest of the process.
  void SizeBudget();
  void ApplyTargets(std::vector<Target> targets);
  void ApplySpec(Session& s, Target target);
  // (Re)builds the session's transport for its current target.
  void BuildTransport(Session& s);
  void FireDueTimers();
  void StartProbe(const std::shared_ptr<Session>& s, MonoTime now);
  void FinishTransport(const std::shared_ptr<Session>& s);
  // The end of every probe: history, thresholds, the next timer.
  void Complete(const std::shared_ptr<Session>& s, Verdict v, MonoTime now);
  // The attempt could not run for lack of a local resource: no result;
  // counted, logged (rate-limited) and retried soon.
  void LocalError(const std::shared_ptr<Session>& s, const Verdict& v, MonoTime now);
  // Ends the probe in flight without a result.
  void AbortProbe(Session& s);
  void StartQueued();
  // Finishes every completed transfer, then starts queued probes in the
  // slots that freed up.
  void DrainCompleted();
  void Arm(const std::shared_ptr<Session>& s);
  // `late`: the probe ran past its successor's slot (Schedule::End).
  void Record(Session& s, ProbeResult result, Duration lag, bool late);
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
  GrpcDriver grpc_{loop_};  // gRPC calls' queue and thread, started by the first grpc probe
  CurlPool curl_{loop_};    // idle easy handles (connections live in the multi handles)
  KeepAliveBudget keep_alive_{0};
  ExecRunner exec_{loop_, options_.max_exec};
  Resolver resolver_{loop_, clock_, options_.dns_min_ttl, options_.dns_servers};
  ReaderPool readers_;  // the direct path's HTTP readers, lent to probes in flight
  TransportEnv env_{loop_,  trust_,  curl_, keep_alive_, clock_,   options_.direct_sockets,
                    &exec_, nullptr, &tls_, &grpc_,      &readers_};
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
  std::deque<std::shared_ptr<Session>> queue_;  // due, waiting for a slot (FIFO)
  // Sessions whose last attempt hit a local shortage (e.g. the exec limit), in
  // the order they hit it: a probe that ends frees what they wait for, so the
  // first of them gets the next start before the one that just ended. Without
  // this, a session due again at once (its probe outlasted its period) took
  // the freed slot every time and the others starved.
  std::deque<std::shared_ptr<Session>> local_waiters_;
  std::vector<std::shared_ptr<Session>> done_;  // probes ended, to finish
  int in_flight_ = 0;
  InFlightLimit limit_;        // the in-flight bound applied now (<= in_flight_cap_)
  int in_flight_cap_ = 1;      // max_in_flight within the fd budget
  size_t keep_capacity_ = 0;   // kept-alive connections (direct and libcurl) within it
  MonoTime last_local_log_{};  // local errors are logged at most once a second
  uint64_t unlogged_local_errors_ = 0;
};

// Room the rest of the process needs: etcd's channels, the admin server and
// its clients, config files and their watcher, logs, exec pipes — and the
// loop's own (epoll, curl's wake-up pair per multi handle).
size_t ReservedFds(size_t limit) {
  return std::clamp<size_t>(limit / 10, 64, 1024) + 2 * EventLoop::kShards + 8;
}

size_t OpenFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 1 << 20;
  return static_cast<size_t>(rl.rlim_cur);
}

void ProberImpl::SizeBudget() {
  size_t limit = options_.fd_limit > 0 ? options_.fd_limit : OpenFileLimit();
  size_t reserve = ReservedFds(limit);
  size_t usable = limit > reserve + 2 ? limit - reserve : 2;
  in_flight_cap_ = static_cast<int>(
      std::clamp<size_t>(usable / 2, 1, static_cast<size_t>(options_.max_in_flight)));
  keep_capacity_ = usable - static_cast<size_t>(in_flight_cap_);
  limit_ = InFlightLimit(in_flight_cap_);
  keep_alive_.set_capacity(keep_capacity_);
}

void ProberImpl::Run() {
  // OpenSSL writes TLS records with write(), not send(MSG_NOSIGNAL): a peer
  // that closed must be an EPIPE on this thread, not a signal that kills the
  // process (libraries embedding the prober may not ignore SIGPIPE).
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
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
    resolver_.ActOnTimers();
    DrainCompleted();
    Duration wait = std::chrono::seconds(1);
    if (!timers_.empty()) wait = std::min(wait, timers_.top().due - clock_.Now());
    wait = resolver_.NextTimeout(wait);
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
  // By id, pointing into `targets` (the last of a duplicate id wins): a map of
  // copies would be a second ~1 KB per target at the peak, left behind in the
  // allocator's free lists (RSS) once the sessions are built on top of it.
  std::map<std::string, Target*> wanted;
  for (auto& t : targets) wanted.insert_or_assign(t.Id(), &t);
  std::vector<std::shared_ptr<Session>> added;
  {
    std::lock_guard lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto w = wanted.find(it->first);
      if (w != wanted.end()) {
        if (!(*w->second == it->second->target)) ApplySpec(*it->second, std::move(*w->second));
        wanted.erase(w);
        ++it;
        continue;
      }
      Session& s = *it->second;
      s.removed = true;
      AbortProbe(s);        // no result, no transition
      s.transport.reset();  // closes its kept-alive connection
      it = sessions_.erase(it);
    }
    for (auto& [id, t] : wanted) {
      Duration phase = Schedule::RandomPhase(t->probe.period, random_);
      auto s =
          std::make_shared<Session>(std::move(*t), now, wall_now, phase, options_.history_size);
      BuildTransport(*s);
      sessions_.emplace(id, s);
      added.push_back(std::move(s));
    }
  }
  for (const auto& s : added) Arm(s);
  // curl keeps its own connection cache (per shard; its default is sized by
  // the transfers in flight only): up to a connection per curl target, within
  // half the keep-alive budget; the direct path's connections get the rest.
  size_t curl_targets = 0;
  for (const auto& [id, s] : sessions_) curl_targets += s->route->make == &CurlTransport::Make;
  // (A multi handle keeps at least one: curl's share is a whole number per
  // shard.)
  size_t curl_keep = std::min(curl_targets, keep_capacity_ / 2);
  size_t per_shard = std::max<size_t>(1, curl_keep / EventLoop::kShards);
  loop_.SetMaxConnections(static_cast<long>(per_shard));
  size_t curl_share = curl_targets == 0 ? 0 : per_shard * EventLoop::kShards;
  keep_alive_.set_capacity(keep_capacity_ - std::min(curl_share, keep_capacity_));
}

// Under mu_. Thresholds change now; the check and period from the next probe.
void ProberImpl::ApplySpec(Session& s, Target target) {
  if (s.running) {
    s.pending = std::make_unique<Target>(std::move(target));
    return;
  }
  bool period_changed = target.probe.period != s.target.probe.period;
  s.target = std::move(target);
  BuildTransport(s);
  s.health.SetThresholds(s.target.probe.success_threshold, s.target.probe.failure_threshold);
  if (period_changed && !s.retry) {  // a retry's timer is armed already
    s.schedule.SetPeriod(s.target.probe.period, clock_.Now());
    // The session's armed timer is now stale: re-arm at the new due time.
    Arm(s.shared_from_this());
  }
}

void ProberImpl::BuildTransport(Session& s) {
  s.transport.reset();  // it refers to the old target
  s.route = &RouteFor(s.target, env_);
  Session* session = &s;
  s.transport = s.route->make(s.target, env_,
                              [this, session] { done_.push_back(session->shared_from_this()); });
}

void ProberImpl::AbortProbe(Session& s) {
  if (!s.running) return;
  s.transport->Abort();
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
      if (!s->removed && s->running && s->probe_seq == entry.generation) s->transport->TimeOut();
      continue;
    }
    if (s->removed || entry.generation != s->timer_generation || s->running || s->queued) {
      continue;
    }
    if (!s->retry && !s->schedule.IsDue(now)) {  // e.g. the period changed: wait for the new slot
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
  curl_.DrainCompleted();  // adds to done_
  // Finishing starts no probe, so nothing is added to the list meanwhile.
  for (const auto& s : done_) FinishTransport(s);
  done_.clear();
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
  if (s->retry) {
    s->retry = false;  // the same planned probe, so its lag shows the wait
  } else {
    s->planned = s->schedule.Begin(now);
  }
  s->started = now;
  s->wall_started = clock_.WallNow();
  s->running = true;
  ++s->probe_seq;
  ++in_flight_;
  timers_.push(TimerEntry{now + s->target.probe.timeout, s->probe_seq, s, true});
  s->transport->Start();  // may end at once (e.g. refused): finished in DrainCompleted
}

void ProberImpl::FinishTransport(const std::shared_ptr<Session>& s) {
  if (s->removed || !s->running) return;
  Complete(s, s->transport->TakeVerdict(), clock_.Now());
}

void ProberImpl::LocalError(const std::shared_ptr<Session>& s, const Verdict& v, MonoTime now) {
  s->running = false;
  --in_flight_;
  if (observer_ != nullptr) observer_->OnLocalError(s->target, v.local_error);
  ++unlogged_local_errors_;
  if (last_local_log_ == MonoTime{} || now - last_local_log_ >= std::chrono::seconds(1)) {
    spdlog::warn(
        "prober: {} probe(s) could not run for lack of local resources (last: {}: {}); "
        "retried, not counted against their targets",
        unlogged_local_errors_, s->target.Id(), v.reason);
    unlogged_local_errors_ = 0;
    last_local_log_ = now;
  }
  // Soon, backing off while the shortage lasts: 10 ms, 20 ms, … up to 1 s.
  s->retry = true;
  if (!s->local_waiting) {
    s->local_waiting = true;
    local_waiters_.push_back(s);
  }
  Duration wait = std::chrono::milliseconds(10) * (1 << std::min(s->retries, 7));
  ++s->retries;
  timers_.push(TimerEntry{now + std::min<Duration>(wait, std::chrono::seconds(1)),
                          ++s->timer_generation, s});
}

void ProberImpl::Complete(const std::shared_ptr<Session>& s, Verdict v, MonoTime now) {
  if (!v.local_error.empty()) {
    LocalError(s, v, now);
    return;
  }
  s->retries = 0;
  s->running = false;
  --in_flight_;
  const bool late = s->schedule.End(now);
  // Every TLS kind: a leaf that runs out within minCertValidity fails.
  ApplyCertValidity(v, v.cert_not_after, clock_.WallNow(), s->target.probe.min_cert_validity);
  // Every failure has a class; a transport that left it unset is "other".
  if (!v.ok && v.failure == FailureClass::kNone) v.failure = FailureClass::kOther;
  if (v.ok) v.failure = FailureClass::kNone;
  ProbeResult r{s->started,    s->wall_started,  v.ok,     std::move(v.reason), now - s->started,
                v.http_status, v.cert_not_after, v.failure};
  Record(*s, std::move(r), s->started - s->planned, late);
  if (s->pending) {
    std::lock_guard lock(mu_);
    Target t = std::move(*s->pending);
    s->pending.reset();
    ApplySpec(*s, std::move(t));
  }
  // A probe ended, so whatever a waiter lacked may be free now: the longest
  // waiting one starts first, and this session not before it.
  while (!local_waiters_.empty()) {
    std::shared_ptr<Session> w = std::move(local_waiters_.front());
    local_waiters_.pop_front();
    w->local_waiting = false;
    if (w->removed || !w->retry || w->running) continue;  // no longer waiting
    timers_.push(TimerEntry{now, ++w->timer_generation, w});
    timers_.push(TimerEntry{std::max(s->schedule.next_due(), now + std::chrono::milliseconds(1)),
                            ++s->timer_generation, s});
    return;
  }
  Arm(s);
}

void ProberImpl::Record(Session& s, ProbeResult result, Duration lag, bool late) {
  std::optional<Transition> transition;
  {
    std::lock_guard lock(mu_);
    if (s.previous_started != MonoTime{}) s.interval = s.started - s.previous_started;
    s.previous_started = s.started;
    s.late_probes += late ? 1 : 0;
    transition = s.health.Observe(result);
    if (transition) s.since = clock_.WallNow();
    s.recent.Add(result);
  }
  if (transition) {
    // A first verdict of healthy is routine (10k lines at a 10k-target start);
    // everything else is news.
    bool routine = transition->from == Health::kUnknown && transition->to == Health::kHealthy;
    const std::string id = s.target.Id();
    const LogFields fields(s.target.service, id);
    spdlog::log(routine ? spdlog::level::debug : spdlog::level::info, "probe {}: {} -> {} ({})", id,
                HealthName(transition->from), HealthName(transition->to), transition->cause.reason);
  }
  if (observer_ == nullptr) return;
  observer_->OnResult(s.target, result, lag);
  if (transition) observer_->OnTransition(s.target, *transition);
}

void ProberImpl::Shutdown() {
  std::lock_guard lock(mu_);
  for (const auto& [id, s] : sessions_) {
    AbortProbe(*s);
    s->transport.reset();  // closes its connection while the loop still exists
  }
  grpc_.Stop();  // every call was cancelled: waits for the queue to hand them back
  exec_.KillAll();
  loop_.Close();  // closes kept-alive connections too
}

}  // namespace

std::unique_ptr<Prober> Prober::Create(Clock& clock, Random& random, ProberOptions options,
                                       ProbeObserver* observer) {
  curl_global_init(CURL_GLOBAL_DEFAULT);  // idempotent after the first call
  return std::make_unique<ProberImpl>(clock, random, options, observer);
}

}  // namespace registrar::probes
