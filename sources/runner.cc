#include "sources/runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "sources/shrink_guard.h"

namespace registrar::sources {
namespace {

constexpr Duration kFirstRetry = std::chrono::seconds(1);
constexpr Duration kMaxTtl = std::chrono::hours(1);
constexpr Duration kFailureLogEvery = std::chrono::minutes(5);
// SetSpecs waits at most this long for first answers (each source is bounded
// by its own timeout well below it; this only guards against a stuck one).
constexpr Duration kFirstAnswerWait = std::chrono::seconds(60);

}  // namespace

struct Runner::Worker {
  explicit Worker(const SourceSpec& s, std::unique_ptr<Source> src)
      : spec(s), source(std::move(src)), guard(s.max_shrink_percent) {
    state.spec = s;
    state.name = s.Name();
  }
  const SourceSpec spec;
  const std::unique_ptr<Source> source;
  ShrinkGuard guard;               // worker thread only
  std::vector<Endpoint> listed;    // guarded by Runner::mu_: guard.applied() as last published
  SourceState state;               // guarded by Runner::mu_
  bool stop = false;               // guarded by Runner::mu_
  bool attempted = false;          // guarded by Runner::mu_: the first refresh ended
  Duration retry = kFirstRetry;    // worker thread only
  MonoTime last_failure_log{};     // worker thread only
  uint64_t unlogged_failures = 0;  // worker thread only
  std::thread thread;
};

Runner::Runner(Clock& clock, std::function<void()> on_change, Factory factory)
    : clock_(clock), on_change_(std::move(on_change)), factory_(std::move(factory)) {}

Runner::~Runner() { SetSpecs({}); }

void Runner::SetSpecs(const std::vector<SourceSpec>& specs) {
  std::vector<std::unique_ptr<Worker>> stopping;
  std::vector<Worker*> started;
  {
    std::lock_guard lock(mu_);
    std::vector<std::unique_ptr<Worker>> next;
    for (const SourceSpec& spec : specs) {
      auto same = std::find_if(workers_.begin(), workers_.end(),
                               [&](const auto& w) { return w && w->spec == spec; });
      if (same != workers_.end()) {
        next.push_back(std::move(*same));
        continue;
      }
      next.push_back(std::make_unique<Worker>(spec, factory_(spec)));
      Worker& fresh = *next.back();
      started.push_back(&fresh);
      // The same source with other settings: begin from what it listed.
      auto previous = std::find_if(workers_.begin(), workers_.end(), [&](const auto& w) {
        return w && w->spec.service == spec.service && w->state.name == fresh.state.name &&
               w->state.answered;
      });
      if (previous != workers_.end()) {
        fresh.guard.Seed((*previous)->listed);
        fresh.listed = (*previous)->listed;
        fresh.state.targets = fresh.listed.size();
        fresh.state.answered = true;
        fresh.state.last_success = (*previous)->state.last_success;
      }
    }
    for (auto& w : workers_) {
      if (w) stopping.push_back(std::move(w));
    }
    workers_ = std::move(next);
    for (auto& w : stopping) {
      w->stop = true;
      w->source->Cancel();
    }
    for (Worker* w : started) w->thread = std::thread([this, w] { Run(*w); });
  }
  cv_.notify_all();
  for (auto& w : stopping) w->thread.join();
  if (started.empty()) return;
  std::unique_lock lock(mu_);
  clock_.WaitFor(cv_, lock, kFirstAnswerWait, [&] {
    return std::all_of(started.begin(), started.end(), [](Worker* w) { return w->attempted; });
  });
}

std::vector<Runner::Listed> Runner::Endpoints() const {
  std::lock_guard lock(mu_);
  std::vector<Listed> out;
  out.reserve(workers_.size());
  for (const auto& w : workers_) out.push_back({w->spec, w->listed});
  return out;
}

std::vector<SourceState> Runner::States() const {
  std::lock_guard lock(mu_);
  std::vector<SourceState> out;
  out.reserve(workers_.size());
  for (const auto& w : workers_) out.push_back(w->state);
  return out;
}

void Runner::Run(Worker& w) {
  while (true) {
    Refresh(w);
    // Wait for the next refresh, asking the source every poll whether it
    // changed (outside the lock: Changed() may touch the file system).
    while (true) {
      std::unique_lock lock(mu_);
      const MonoTime due = w.state.next_refresh;
      const MonoTime poll = clock_.Now() + kChangePollInterval;
      clock_.WaitUntil(cv_, lock, std::min(due, poll), [&] { return w.stop; });
      if (w.stop) return;
      if (clock_.Now() >= due) break;
      lock.unlock();
      if (w.source->Changed()) break;
    }
  }
}

void Runner::Refresh(Worker& w) {
  Answer answer = w.source->Fetch();
  const MonoTime now = clock_.Now();
  const WallTime wall = clock_.WallNow();
  bool changed = false;
  std::unique_lock lock(mu_);
  if (w.stop) {
    w.attempted = true;
    return;
  }
  SourceState& s = w.state;
  ++s.refreshes;
  if (!answer.ok()) {
    const std::string reason = FailureName(answer.failure);
    ++s.failures[reason];
    s.last_failure = wall;
    s.last_error = answer.error;
    s.next_refresh = now + std::min(w.retry, w.spec.refresh_interval);
    w.retry = std::min(w.retry * 2, w.spec.refresh_interval);
    const bool log = w.unlogged_failures == 0 || now - w.last_failure_log >= kFailureLogEvery;
    ++w.unlogged_failures;
    if (log) {
      spdlog::warn(
          "source {} (service {}): refresh failed ({}{}): {}; keeping the last good "
          "list of {} targets",
          s.name, w.spec.service, reason,
          w.unlogged_failures > 1 ? ", " + std::to_string(w.unlogged_failures) + " failures so far"
                                  : std::string(),
          answer.error, s.targets);
      w.last_failure_log = now;
    }
  } else {
    if (w.unlogged_failures > 0) {
      spdlog::info("source {} (service {}): answering again after {} failed refreshes", s.name,
                   w.spec.service, w.unlogged_failures);
    }
    w.unlogged_failures = 0;
    w.retry = kFirstRetry;
    s.last_success = wall;
    s.last_error.clear();
    s.answered = true;
    Duration wait = w.spec.refresh_interval;
    if (answer.ttl) {
      s.ttl = answer.ttl;
      wait = std::max(wait, std::min(*answer.ttl, kMaxTtl));
    }
    const size_t offered = answer.endpoints.size();
    const bool first = w.guard.first();
    switch (w.guard.Offer(std::move(answer.endpoints))) {
      case ShrinkGuard::Verdict::kUnchanged:
        break;
      case ShrinkGuard::Verdict::kApplied:
        if (!first) ++s.changes_applied;
        break;
      case ShrinkGuard::Verdict::kConfirmed:
        ++s.changes_applied;
        spdlog::info("source {} (service {}): shrink confirmed, {} targets now", s.name,
                     w.spec.service, offered);
        break;
      case ShrinkGuard::Verdict::kHeld:
        ++s.changes_held;
        wait = w.spec.refresh_interval;  // the confirmation comes with the next refresh
        spdlog::warn(
            "source {} (service {}): the answer lists {} targets and would remove {} at "
            "once; kept until the next refresh confirms it",
            s.name, w.spec.service, offered, w.guard.held_removals());
        break;
    }
    s.held_removals = w.guard.held_removals();
    // `listed` is what the guard applied up to now (kept equal below).
    changed = w.guard.applied() != w.listed;
    if (changed) w.listed = w.guard.applied();
    s.targets = w.listed.size();
    s.next_refresh = now + wait;
  }
  // A source being stopped tells nobody (its list is gone already).
  changed = changed && !w.stop;
  lock.unlock();
  // on_change before the first answer counts as given: SetSpecs returns
  // after the callback saw it.
  if (changed && on_change_) on_change_();
  lock.lock();
  w.attempted = true;
  lock.unlock();
  cv_.notify_all();
}

}  // namespace registrar::sources
