#include "etcd/failover_streams.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "etcd/convert.h"
#include "etcd/streams.h"

namespace registrar::etcd::internal {
namespace {

StreamTarget TargetOn(const Cluster& cluster, Connection& c, const std::string& token,
                      Duration cap = Duration::zero()) {
  const Duration timeout = cluster.StreamTimeout();
  return StreamTarget{c.channel, c.endpoint, token,
                      cap > Duration::zero() ? std::min(timeout, cap) : timeout};
}

class FailoverKeepAlive final : public KeepAliveStream {
 public:
  FailoverKeepAlive(std::shared_ptr<Cluster> cluster, int64_t lease_id, Duration answer_within)
      : cluster_(std::move(cluster)), lease_id_(lease_id), answer_within_(answer_within) {}

  // Opens the stream on the first member that accepts it.
  absl::Status Open() {
    std::unique_ptr<KeepAliveStream> opened;
    size_t used = 0;
    const CallName name{"lease_keepalive", "KeepAlive"};
    absl::Status status = cluster_->Run(
        name, Retry::kIdempotent,
        [&](Connection& c, const std::string& token) {
          // The stream would only fail at its first keepalive: fail over now.
          // Run() already waited for the connection: do not wait twice.
          if (!cluster_->Connected(c)) {
            return absl::UnavailableError(
                absl::StrCat(Describe(name.text, absl::StrCat("lease ", lease_id_), c.endpoint),
                             ": not connected"));
          }
          absl::StatusOr<std::unique_ptr<KeepAliveStream>> stream = OpenKeepAliveStream(
              *c.lease, TargetOn(*cluster_, c, token, answer_within_), lease_id_);
          if (!stream.ok()) return stream.status();
          opened = *std::move(stream);
          return absl::OkStatus();
        },
        &used, answer_within_);
    if (!status.ok()) return status;
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) opened->Cancel();
    inner_ = std::move(opened);
    index_ = used;
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> KeepAliveOnce() override {
    absl::Status last;
    // One try per member: a hung or broken member costs at most
    // StreamTimeout() before the next member is asked.
    for (size_t attempt = 0; attempt < cluster_->size(); ++attempt) {
      KeepAliveStream* inner = nullptr;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (cancelled_) {
          return absl::UnavailableError(
              absl::StrCat("etcd KeepAlive lease ", lease_id_, ": stream cancelled"));
        }
        inner = inner_.get();
      }
      if (inner == nullptr) {
        if (absl::Status opened = Open(); !opened.ok()) return opened;
        std::lock_guard<std::mutex> lock(mu_);
        inner = inner_.get();
      }
      if (RequestObserver* observer = cluster_->options().observer) {
        observer->OnStreamMessage("lease_keepalive");
      }
      absl::StatusOr<int64_t> ttl = inner->KeepAliveOnce();
      if (ttl.ok() || ttl.status().code() == absl::StatusCode::kNotFound) return ttl;
      last = ttl.status();
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (cancelled_) return last;
        cluster_->StreamFailed(index_, last);
        inner_.reset();
      }
    }
    return last;
  }

  void Cancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    if (inner_) inner_->Cancel();
  }

 private:
  const std::shared_ptr<Cluster> cluster_;
  const int64_t lease_id_;
  const Duration answer_within_;  // zero: the cluster's own timeouts
  std::mutex mu_;                 // guards the three below; never held across a network wait
  std::unique_ptr<KeepAliveStream> inner_;
  size_t index_ = 0;  // the member inner_ is on
  bool cancelled_ = false;
};

class FailoverWatch final : public WatchStream {
 public:
  FailoverWatch(std::shared_ptr<Cluster> cluster, const WatchOptions& options)
      : cluster_(std::move(cluster)), options_(options) {}

  // Opens the watch (again) from the first revision not yet delivered.
  absl::Status Open() {
    WatchOptions options = options_;
    if (next_revision_ > 0) options.start_revision = next_revision_;
    std::unique_ptr<MemberWatchStream> opened;
    size_t used = 0;
    absl::Status status = cluster_->Run(
        {"watch", "Watch"}, Retry::kIdempotent,
        [&](Connection& c, const std::string& token) {
          absl::StatusOr<std::unique_ptr<MemberWatchStream>> stream =
              OpenWatchStream(*c.watch, TargetOn(*cluster_, c, token), options);
          if (!stream.ok()) return stream.status();
          opened = *std::move(stream);
          return absl::OkStatus();
        },
        &used);
    if (!status.ok()) return status;
    if (next_revision_ == 0) next_revision_ = opened->created_revision() + 1;
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) opened->Cancel();
    inner_ = std::move(opened);
    index_ = used;
    last_heard_ = RealClock().Now();
    probe_pending_ = false;
    return absl::OkStatus();
  }

  absl::StatusOr<WatchResponse> Next(Duration timeout) override {
    const MonoTime deadline = RealClock().Now() + timeout;
    // Only with somewhere to go: one member keeps the plain stream.
    const bool watch_liveness = cluster_->size() > 1;
    const Duration liveness = cluster_->StreamTimeout();
    // Bounded: each pass waits, probes or reopens, and ends by the deadline
    // or after one reopen per member.
    size_t reopens = 0;
    for (;;) {
      MemberWatchStream* inner = nullptr;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (cancelled_) return absl::UnavailableError(absl::StrCat(What(), ": stream cancelled"));
        inner = inner_.get();
      }
      if (inner == nullptr) {
        if (done_) return absl::UnavailableError(absl::StrCat(What(), ": watch ended"));
        if (reopens++ >= cluster_->size()) {
          return absl::UnavailableError(absl::StrCat(What(), ": no member keeps the stream"));
        }
        if (absl::Status opened = Open(); !opened.ok()) return opened;
        std::lock_guard<std::mutex> lock(mu_);
        inner = inner_.get();
      }
      const MonoTime now = RealClock().Now();
      MonoTime until = deadline;
      if (watch_liveness) {
        until = std::min(until, probe_pending_ ? probe_deadline_ : last_heard_ + liveness);
      }
      absl::StatusOr<WatchResponse> response =
          inner->Next(std::max<Duration>(until - now, Duration::zero()));
      if (response.ok()) {
        last_heard_ = RealClock().Now();
        const bool answers_probe =
            probe_pending_ && response->events.empty() && !response->canceled;
        probe_pending_ = false;
        if (answers_probe && !options_.progress_notify) continue;  // ours, not the caller's
        for (const WatchEvent& event : response->events) {
          next_revision_ = std::max(next_revision_, event.kv.mod_revision + 1);
        }
        if (response->canceled) done_ = true;
        return response;
      }
      if (response.status().code() == absl::StatusCode::kDeadlineExceeded) {
        const MonoTime after = RealClock().Now();
        if (watch_liveness && probe_pending_ && after >= probe_deadline_) {
          Drop(absl::DeadlineExceededError(absl::StrCat(
              What(), " on ", cluster_->endpoint(index_), ": no progress report in ",
              std::chrono::duration_cast<std::chrono::milliseconds>(liveness).count(), "ms")));
          continue;
        }
        if (watch_liveness && !probe_pending_ && after >= last_heard_ + liveness) {
          probe_pending_ = true;
          probe_deadline_ = after + liveness;
          if (!inner->RequestProgress()) Drop(absl::UnavailableError(What() + ": stream closed"));
          continue;
        }
        if (after >= deadline) return response.status();
        continue;
      }
      // Broken (member killed or restarted): reopen where the stream stopped.
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (cancelled_) return response.status();
      }
      if (done_) return response.status();
      Drop(response.status());
    }
  }

  void Cancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    if (inner_) inner_->Cancel();
  }

 private:
  std::string What() const { return Describe("Watch", options_.key, ""); }

  // Leaves the member of the current stream; the next pass reopens.
  void Drop(const absl::Status& why) {
    std::lock_guard<std::mutex> lock(mu_);
    cluster_->StreamFailed(index_, why);
    inner_.reset();
  }

  const std::shared_ptr<Cluster> cluster_;
  const WatchOptions options_;
  // Used by the one reading thread only.
  int64_t next_revision_ = 0;  // first revision not yet delivered (0: not opened)
  bool done_ = false;          // etcd cancelled the watch; nothing more comes
  MonoTime last_heard_{};
  bool probe_pending_ = false;
  MonoTime probe_deadline_{};
  std::mutex mu_;  // guards the three below; never held across a network wait
  std::unique_ptr<MemberWatchStream> inner_;
  size_t index_ = 0;
  bool cancelled_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KeepAliveStream>> OpenFailoverKeepAlive(
    std::shared_ptr<Cluster> cluster, int64_t lease_id, Duration answer_within) {
  auto stream = std::make_unique<FailoverKeepAlive>(std::move(cluster), lease_id, answer_within);
  if (absl::Status opened = stream->Open(); !opened.ok()) return opened;
  return stream;
}

absl::StatusOr<std::unique_ptr<WatchStream>> OpenFailoverWatch(std::shared_ptr<Cluster> cluster,
                                                               const WatchOptions& options) {
  auto stream = std::make_unique<FailoverWatch>(std::move(cluster), options);
  if (absl::Status opened = stream->Open(); !opened.ok()) return opened;
  return stream;
}

}  // namespace registrar::etcd::internal
