#include "controller/observed_state.h"

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

  ObservedMap keys;
  int64_t revision = 0;
  for (const auto& prefix : prefixes) {
    std::string from = prefix;
    while (true) {
      etcd::RangeOptions options;
      options.range_end = etcd::PrefixEnd(prefix);
      options.limit = page;
      options.revision = revision;  // 0 the first time: latest, then pinned
      auto result = client.Range(from, options);
      if (!result.ok()) return result.status();
      revision = result->revision;
      for (auto& kv : result->kvs) {
        keys[kv.key] = ObservedKey{std::move(kv.value), kv.lease, kv.mod_revision};
      }
      if (!result->more || result->kvs.empty()) break;
      from = result->kvs.back().key + std::string(1, '\0');
    }
  }

  std::vector<std::unique_ptr<etcd::WatchStream>> streams;
  for (const auto& prefix : prefixes) {
    etcd::WatchOptions options;
    options.key = prefix;
    options.prefix = true;
    options.start_revision = revision + 1;
    auto stream = client.OpenWatch(options);
    if (!stream.ok()) return stream.status();
    streams.push_back(std::move(*stream));
  }

  {
    std::lock_guard lock(mu_);
    keys_ = std::move(keys);
    deleted_at_.clear();
    prefixes_ = prefixes;
  }
  {
    std::lock_guard lock(streams_mu_);
    if (closed_) return absl::CancelledError("controller stopping");
    streams_ = std::move(streams);
    stop_watch_ = false;
  }
  needs_relist_ = false;
  watcher_ = std::thread([this, watch_poll] { WatchLoop(watch_poll); });
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
  for (auto& s : streams_) s->Cancel();
}

void ObservedState::StopWatching() {
  Interrupt();
  StopWatcher();
}

void ObservedState::StopWatcher() {
  stop_watch_ = true;
  {
    std::lock_guard lock(streams_mu_);
    for (auto& s : streams_) s->Cancel();
  }
  if (watcher_.joinable()) watcher_.join();
  std::lock_guard lock(streams_mu_);
  streams_.clear();
}

void ObservedState::WatchLoop(Duration poll) {
  std::vector<etcd::WatchStream*> streams;
  {
    std::lock_guard lock(streams_mu_);
    for (auto& s : streams_) streams.push_back(s.get());
  }
  if (streams.empty()) return;
  const Duration each = poll / static_cast<int64_t>(streams.size());
  while (!stop_watch_) {
    for (etcd::WatchStream* stream : streams) {
      auto response = stream->Next(each);
      if (stop_watch_) return;
      if (!response.ok()) {
        if (response.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
        spdlog::warn("controller: watch broke ({}); listing again", response.status().ToString());
      } else if (response->canceled || response->compact_revision > 0) {
        spdlog::warn("controller: watch ended (compacted at {}: {}); listing again",
                     response->compact_revision, response->cancel_reason);
      } else {
        if (OnEvents(response->events)) on_change_();
        continue;
      }
      needs_relist_ = true;
      on_change_();
      return;
    }
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
