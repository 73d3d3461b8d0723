#include "cluster/lease_keeper.h"

#include <algorithm>
#include <utility>

#include "spdlog/spdlog.h"

namespace registrar::controller {
namespace {

using std::chrono::seconds;

// Longest a keepalive may wait for a connection or an answer: a third of the
// TTL. A renewal is due a third of the TTL after the last one, so a dead or
// silent etcd is reported (and the stream reopened, on another member if
// there is one) two thirds of the TTL after the last renewal at the latest,
// with a retry still inside the TTL. Without it a stream open waited for the
// client's dial timeout (5 s, longer than short TTLs) before anyone noticed.
Duration AnswerWithin(Duration ttl) {
  return std::max<Duration>(ttl / 3, std::chrono::milliseconds(100));
}

}  // namespace

LeaseKeeper::LeaseKeeper(std::string name, etcd::Client& client, Clock& clock, Random& random,
                         int64_t ttl_seconds, BackoffOptions backoff, LeaseKeeperEvents events)
    : name_(std::move(name)),
      client_(client),
      clock_(clock),
      ttl_seconds_(ttl_seconds),
      events_(std::move(events)),
      backoff_(backoff, random) {}

LeaseKeeper::~LeaseKeeper() { Stop(false); }

void LeaseKeeper::Start() {
  std::lock_guard lock(mu_);
  if (started_ || stop_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

bool LeaseKeeper::Stop(bool revoke) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return false;
    stop_ = true;
    if (stream_) stream_->Cancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  int64_t id;
  {
    std::lock_guard lock(mu_);
    id = held_.id;
    stream_.reset();
  }
  if (!revoke || id == 0) return false;
  if (absl::Status s = client_.LeaseRevoke(id); s.ok()) {
    spdlog::info("{} lease {:x} revoked", name_, id);
    return true;
  } else {
    spdlog::warn("{} lease {:x}: revoke failed ({}); it expires within {}s", name_, id,
                 s.ToString(), ttl_seconds_);
  }
  return false;
}

HeldLease LeaseKeeper::Current() const {
  std::lock_guard lock(mu_);
  return held_;
}

void LeaseKeeper::ReportLost(int64_t lease_id) {
  std::unique_lock lock(mu_);
  if (lease_id == 0 || lease_id != held_.id) return;  // an older loss, already handled
  LostLocked(lock, lease_id, "etcd no longer knows it");
  cv_.notify_all();
}

void LeaseKeeper::LostLocked(std::unique_lock<std::mutex>& lock, int64_t id,
                             const std::string& why) {
  spdlog::warn("{} lease {:x} lost ({}); granting a new one", name_, id, why);
  held_.id = 0;
  timing_.Clear();
  if (stream_) stream_->Cancel();  // dropped by the keeper thread
  lock.unlock();
  if (events_.lost) events_.lost(id);
  lock.lock();
}

void LeaseKeeper::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    const MonoTime now = clock_.Now();
    if (now < retry_at_) {
      clock_.WaitUntil(cv_, lock, retry_at_);
      continue;
    }
    if (held_.id == 0) {
      Grant(lock);
      continue;
    }
    if (timing_.PresumedLost(now)) {
      // No renewal answered for a whole TTL. etcd extends every lease across
      // a leader change, so after an election on a loaded machine the lease
      // is often still alive: ask before giving it (and every key) up.
      switch (AskEtcd(lock)) {
        case Verdict::kAlive:
          break;
        case Verdict::kGone:
          LostLocked(lock, held_.id, "not renewed within its TTL, and etcd no longer holds it");
          break;
        case Verdict::kUnknown:
          // etcd cannot be asked now: its answer, once it can, decides (a
          // lease that expired meanwhile is then replaced at once).
          retry_at_ = clock_.Now() + std::min<Duration>(backoff_.Next(), timing_.ttl() / 6);
          break;
      }
      continue;
    }
    if (timing_.KeepAliveDue(now)) {
      Renew(lock);
      continue;
    }
    // Every change but time (ReportLost, Stop) notifies cv_; on a simulated
    // clock the wait ends when the test advances time to the keepalive.
    clock_.WaitUntil(cv_, lock,
                     std::max(timing_.next_keepalive(), now + std::chrono::milliseconds(1)));
  }
}

LeaseKeeper::Verdict LeaseKeeper::AskEtcd(std::unique_lock<std::mutex>& lock) {
  const int64_t id = held_.id;
  lock.unlock();
  auto info = client_.LeaseTimeToLive(id);
  lock.lock();
  if (stop_ || held_.id != id) return Verdict::kAlive;  // decided meanwhile
  if (info.status().code() == absl::StatusCode::kNotFound ||
      (info.ok() && info->ttl_seconds <= 0)) {
    return Verdict::kGone;
  }
  if (!info.ok()) {
    if (!asking_) {
      spdlog::warn(
          "{} lease {:x}: no keepalive answered within its TTL and etcd cannot be asked "
          "({}); asking again until it answers",
          name_, id, info.status().ToString());
    }
    asking_ = true;
    return Verdict::kUnknown;
  }
  asking_ = false;
  ++lives_confirmed_;
  timing_.Renewed(clock_.Now(), seconds(info->ttl_seconds));
  spdlog::info(
      "{} lease {:x}: no keepalive answered within its TTL, but etcd still holds it "
      "({}s left); kept",
      name_, id, info->ttl_seconds);
  return Verdict::kAlive;
}

void LeaseKeeper::Grant(std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  auto lease = client_.LeaseGrant(ttl_seconds_);
  lock.lock();
  if (stop_) return;
  if (!lease.ok()) {
    const Duration wait = backoff_.Next();
    retry_at_ = clock_.Now() + wait;
    spdlog::warn("{} lease: grant failed ({}); retry #{} in {}ms", name_, lease.status().ToString(),
                 backoff_.failures(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
    if (events_.grant_failed) {
      lock.unlock();
      events_.grant_failed(lease.status());
      lock.lock();
    }
    return;
  }
  backoff_.Reset();
  const bool regrant = held_.generation > 0;
  held_ = {lease->id, lease->ttl_seconds, held_.generation + 1};
  timing_.Granted(clock_.Now(), seconds(lease->ttl_seconds));
  spdlog::info("{} lease {:x} held (TTL {}s{})", name_, held_.id, lease->ttl_seconds,
               regrant ? ", replacing a lost one" : "");
  const HeldLease now_held = held_;
  lock.unlock();
  if (events_.granted) events_.granted(now_held, regrant);
  lock.lock();
}

void LeaseKeeper::Renew(std::unique_lock<std::mutex>& lock) {
  const int64_t id = held_.id;
  if (!stream_ || stream_lease_ != id) {
    stream_.reset();
    lock.unlock();
    auto stream = client_.OpenKeepAlive(id, AnswerWithin(timing_.ttl()));
    lock.lock();
    if (stop_) return;
    if (!stream.ok()) {
      retry_at_ = clock_.Now() + std::min<Duration>(backoff_.Next(), timing_.ttl() / 6);
      lock.unlock();
      if (events_.keepalive_failed) events_.keepalive_failed(stream.status());
      lock.lock();
      return;
    }
    stream_ = std::move(*stream);
    stream_lease_ = id;
  }
  etcd::KeepAliveStream* stream = stream_.get();
  lock.unlock();
  auto ttl = stream->KeepAliveOnce();  // Stop() and LostLocked() may Cancel() it meanwhile
  lock.lock();
  if (stop_ || held_.id != id) {
    stream_.reset();
    return;
  }
  if (ttl.ok()) {
    backoff_.Reset();
    timing_.Renewed(clock_.Now(), seconds(*ttl));
    return;
  }
  stream_.reset();
  lock.unlock();
  if (events_.keepalive_failed) events_.keepalive_failed(ttl.status());
  lock.lock();
  if (held_.id != id || stop_) return;
  if (ttl.status().code() == absl::StatusCode::kNotFound) {
    LostLocked(lock, id, std::string(ttl.status().message()));
    return;
  }
  // Retry well inside the TTL: several retries fit before the lease could expire.
  retry_at_ = clock_.Now() + std::min<Duration>(backoff_.Next(), timing_.ttl() / 6);
  spdlog::warn("{} lease {:x}: keepalive failed ({}); retrying", name_, id,
               ttl.status().ToString());
}

}  // namespace registrar::controller
