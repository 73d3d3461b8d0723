#include "registration/observed_state.h"

#include <algorithm>
#include <utility>

#include "spdlog/spdlog.h"

namespace registrar::controller {

ObservedState::ObservedState(std::function<void()> on_change) : on_change_(std::move(on_change)) {}

ObservedState::~ObservedState() { StopWatching(); }

std::vector<std::string> ObservedState::DisjointPrefixes(std::vector<std::string> prefixes) {
  std::sort(prefixes.begin(), prefixes.end());
  std::vector<std::string> out;
  for (auto& p : prefixes) {
    if (!out.empty() && p.starts_with(out.back())) continue;  // also drops duplicates
    out.push_back(std::move(p));
  }
  return out;
}

absl::Status ObservedState::Relist(etcd::Client& client, std::vector<std::string> prefixes,
                                   int64_t page, Duration watch_poll) {
  StopWatcher();
  needs_relist_ = true;
  if (closed_) return absl::CancelledError("controller stopping");
  prefixes = DisjointPrefixes(std::move(prefixes));

  absl::StatusOr<etcd::Listing> listed = etcd::ListPrefixes(client, prefixes, {.page = page});
  if (!listed.ok()) return listed.status();
  ObservedMap keys;
  for (auto& kv : listed->kvs) {
    keys[kv.key] = ObservedKey{std::move(kv.value), kv.lease, kv.mod_revision};
  }
  auto watch = etcd::PrefixWatch::Open(client, {prefixes, listed->revision + 1});
  if (!watch.ok()) return watch.status();

  {
    std::lock_guard lock(mu_);
    keys_ = std::move(keys);
    deleted_at_.clear();
    prefixes_ = prefixes;
  }
  {
    std::lock_guard lock(streams_mu_);
    if (closed_) return absl::CancelledError("controller stopping");
    watch_ = std::move(*watch);
    stop_watch_ = false;
  }
  needs_relist_ = false;
  if (!prefixes.empty()) watcher_ = std::thread([this, watch_poll] { WatchLoop(watch_poll); });
  return absl::OkStatus();
}

absl::StatusOr<bool> ObservedState::CountsMatch(etcd::Client& client) const {
  for (const auto& prefix : prefixes()) {
    etcd::RangeOptions options;
    options.range_end = etcd::PrefixEnd(prefix);
    options.count_only = true;
    auto result = client.Range(prefix, options);
    if (!result.ok()) return result.status();
    int64_t held = 0;
    {
      std::lock_guard lock(mu_);
      for (auto it = keys_.lower_bound(prefix); it != keys_.end() && it->first.starts_with(prefix);
           ++it) {
        ++held;
      }
    }
    if (held != result->count) return false;
  }
  return true;
}

std::vector<std::string> ObservedState::prefixes() const {
  std::lock_guard lock(mu_);
  return prefixes_;
}

ObservedMap ObservedState::Copy() const {
  std::lock_guard lock(mu_);
  return keys_;
}

void ObservedState::Apply(const Plan& done, int64_t lease_id, int64_t revision) {
  std::lock_guard lock(mu_);
  for (const auto& key : ApplyPlan(done, lease_id, revision, keys_)) deleted_at_[key] = revision;
}

void ObservedState::ForgetLease(int64_t lease_id) {
  std::lock_guard lock(mu_);
  std::erase_if(keys_, [&](const auto& kv) { return kv.second.lease == lease_id; });
}

void ObservedState::Interrupt() {
  closed_ = true;
  stop_watch_ = true;
  std::lock_guard lock(streams_mu_);
  if (watch_) watch_->Cancel();
}

void ObservedState::StopWatching() {
  Interrupt();
  StopWatcher();
}

void ObservedState::StopWatcher() {
  stop_watch_ = true;
  {
    std::lock_guard lock(streams_mu_);
    if (watch_) watch_->Cancel();
  }
  if (watcher_.joinable()) watcher_.join();
  std::lock_guard lock(streams_mu_);
  watch_.reset();
}

void ObservedState::WatchLoop(Duration poll) {
  etcd::PrefixWatch* watch;
  {
    std::lock_guard lock(streams_mu_);
    watch = watch_.get();
  }
  while (!stop_watch_) {
    etcd::WatchStep step = watch->Next(poll);
    if (stop_watch_) return;
    if (step.kind == etcd::WatchStep::Kind::kEvents) {
      if (OnEvents(step.events)) on_change_();
      continue;
    }
    if (!step.Ended()) continue;
    if (step.kind == etcd::WatchStep::Kind::kCompacted) {
      spdlog::warn("controller: watch ended (revision compacted at {}); listing again",
                   step.compact_revision);
    } else {
      spdlog::warn("controller: watch ended ({}); listing again", step.status.ToString());
    }
    needs_relist_ = true;
    on_change_();
    return;
  }
}

bool ObservedState::OnEvents(const std::vector<etcd::WatchEvent>& events) {
  bool changed = false;
  std::lock_guard lock(mu_);
  for (const auto& ev : events) {
    const std::string& key = ev.kv.key;
    const int64_t rev = ev.kv.mod_revision;
    auto gone = deleted_at_.find(key);
    if (gone != deleted_at_.end() && gone->second >= rev) continue;
    auto it = keys_.find(key);
    if (it != keys_.end() && it->second.mod_revision >= rev) continue;  // stale echo
    if (ev.type == etcd::WatchEvent::Type::kPut) {
      ObservedKey now{ev.kv.value, ev.kv.lease, rev};
      if (it == keys_.end() || it->second.value != now.value || it->second.lease != now.lease) {
        changed = true;
      }
      keys_[key] = std::move(now);
    } else {
      if (it != keys_.end()) {
        keys_.erase(it);
        changed = true;
      }
      deleted_at_[key] = rev;
    }
  }
  return changed;
}

}  // namespace registrar::controller
