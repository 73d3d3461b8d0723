#include "bench/replicas/key_tracker.h"

#include <algorithm>
#include <stdexcept>

namespace registrar::bench {

KeyTracker::KeyTracker(etcd::Client& client, std::string prefix, size_t want)
    : client_(client), prefix_(std::move(prefix)), want_(want) {
  etcd::RangeOptions range;
  range.prefix = true;
  auto listed = client_.Range(prefix_, range);
  if (!listed.ok()) throw std::runtime_error("KeyTracker: " + listed.status().ToString());
  for (const auto& kv : listed->kvs) {
    lease_of_[kv.key] = kv.lease;
    value_of_[kv.key] = kv.value;
    ++per_lease_[kv.lease];
  }
  revision_ = listed->revision;
  etcd::WatchOptions w;
  w.key = prefix_;
  w.prefix = true;
  w.start_revision = revision_ + 1;
  auto stream = client_.OpenWatch(w);
  if (!stream.ok()) throw std::runtime_error("KeyTracker: " + stream.status().ToString());
  thread_ = std::thread([this, s = std::move(*stream)]() mutable { Run(std::move(s)); });
}

KeyTracker::~KeyTracker() {
  stop_.store(true);
  {
    std::lock_guard lock(mu_);
    if (stream_) stream_->Cancel();
  }
  thread_.join();
}

void KeyTracker::Run(std::unique_ptr<etcd::WatchStream> stream) {
  int reopens = 0;
  while (!stop_.load()) {
    {
      std::lock_guard lock(mu_);
      stream_ = stream.get();
    }
    auto r = stream->Next(std::chrono::milliseconds(200));
    if (r.ok() && !r->canceled) {
      std::lock_guard lock(mu_);
      for (const auto& e : r->events) ApplyLocked(e);
      continue;
    }
    if (!r.ok() && r.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
    if (stop_.load()) break;
    // Broken or cancelled: reopen from the next revision (bounded), unless
    // that history is gone (then the counts would be wrong).
    if ((r.ok() && r->compact_revision > 0) || ++reopens > 10) {
      broken_.store(true);
      break;
    }
    etcd::WatchOptions w;
    w.key = prefix_;
    w.prefix = true;
    {
      std::lock_guard lock(mu_);
      stream_ = nullptr;
      w.start_revision = revision_ + 1;
    }
    auto reopened = client_.OpenWatch(w);
    if (!reopened.ok()) {
      broken_.store(true);
      break;
    }
    stream = std::move(*reopened);
  }
  std::lock_guard lock(mu_);
  stream_ = nullptr;
}

void KeyTracker::ApplyLocked(const etcd::WatchEvent& e) {
  const bool deleted = e.type == etcd::WatchEvent::Type::kDelete;
  auto it = lease_of_.find(e.kv.key);
  if (it != lease_of_.end()) {
    if (--per_lease_[it->second] == 0) per_lease_.erase(it->second);
    if (deleted) lease_of_.erase(it);
  }
  bool value_changed = false;
  if (!deleted) {
    lease_of_[e.kv.key] = e.kv.lease;
    ++per_lease_[e.kv.lease];
    auto [value, added] = value_of_.try_emplace(e.kv.key, e.kv.value);
    value_changed = !added && value->second != e.kv.value;
    value->second = e.kv.value;
  } else {
    value_of_.erase(e.kv.key);
  }
  events_.push_back(
      {e.kv.mod_revision, deleted, value_changed, deleted ? e.kv.key : std::string()});
  revision_ = std::max(revision_, e.kv.mod_revision);
  const MonoTime now = RealClock().Now();
  last_event_at_ = now;
  if (lease_of_.size() < want_) {
    if (!short_) {
      short_ = true;
      short_since_ = now;
    }
    max_absent_ = std::max(max_absent_, want_ - lease_of_.size());
  } else if (short_) {
    short_ = false;
    span_ += now - short_since_;
  }
}

KeyTracker::Events KeyTracker::Since(int64_t after) const {
  std::lock_guard lock(mu_);
  Events out;
  auto it = std::upper_bound(events_.begin(), events_.end(), after,
                             [](int64_t rev, const Event& e) { return rev < e.revision; });
  for (; it != events_.end(); ++it) {
    if (it->deleted) {
      ++out.deletes;
      if (out.deleted.size() < 5) out.deleted.push_back(it->key);
    } else {
      ++out.puts;
      out.value_changes += it->value_changed ? 1 : 0;
    }
  }
  return out;
}

int64_t KeyTracker::revision() const {
  std::lock_guard lock(mu_);
  return revision_;
}

MonoTime KeyTracker::last_event_at() const {
  std::lock_guard lock(mu_);
  return last_event_at_;
}

size_t KeyTracker::size() const {
  std::lock_guard lock(mu_);
  return lease_of_.size();
}

size_t KeyTracker::CountUnder(int64_t lease) const {
  std::lock_guard lock(mu_);
  auto it = per_lease_.find(lease);
  return it == per_lease_.end() ? 0 : it->second;
}

std::map<int64_t, size_t> KeyTracker::PerLease() const {
  std::lock_guard lock(mu_);
  return per_lease_;
}

void KeyTracker::ResetGap() {
  std::lock_guard lock(mu_);
  short_ = lease_of_.size() < want_;
  short_since_ = RealClock().Now();
  max_absent_ = short_ ? want_ - lease_of_.size() : 0;
  span_ = Duration(0);
}

KeyTracker::Gap KeyTracker::gap() const {
  std::lock_guard lock(mu_);
  Gap g;
  g.max_absent = max_absent_;
  g.span = span_ + (short_ ? RealClock().Now() - short_since_ : Duration(0));
  g.still_short = short_;
  return g;
}

}  // namespace registrar::bench
