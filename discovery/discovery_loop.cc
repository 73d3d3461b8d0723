// Discovery's background loop: list (paged, one revision), watch from the
// next revision, resume or re-list on failure. Contract in discovery/discovery.h.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "discovery/discovery.h"
#include "discovery/discovery_state.h"
#include "etcd/list_watch.h"
#include "spdlog/spdlog.h"

namespace registrar::etcd {

using discovery_internal::Backoff;
using discovery_internal::EndpointSet;

class Discovery::Impl {
 public:
  Impl(Client& client, DiscoveryOptions options, Callback callback)
      : client_(client),
        options_(std::move(options)),
        clock_(options_.clock != nullptr ? *options_.clock : RealClock()),
        callback_(std::move(callback)),
        random_(options_.seed != 0 ? SystemRandom(options_.seed) : SystemRandom()),
        backoff_(options_.initial_backoff, options_.max_backoff, random_),
        set_(options_.prefix, options_.format) {}

  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      if (stream_ != nullptr) stream_->Cancel();
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::shared_ptr<const DiscoverySnapshot> Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (snapshot_ == nullptr) {
      auto snapshot = std::make_shared<DiscoverySnapshot>();
      snapshot->revision = set_.listed() ? set_.revision() : 0;
      snapshot->endpoints = set_.endpoints();
      snapshot_ = std::move(snapshot);
    }
    return snapshot_;
  }

  bool Synced() const {
    std::lock_guard<std::mutex> lock(mu_);
    return set_.listed();
  }

  bool WaitSynced(Duration timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    return clock_.WaitFor(cv_, lock, timeout, [this] { return set_.listed() || stop_; }) &&
           set_.listed();
  }

  Stats stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  absl::Status LastError() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_error_;
  }

 private:
  enum class WatchEnd { kStopped, kCompacted, kCanceled, kBroken, kIdle };

  void Run() {
    bool need_list = true;
    while (!Stopping()) {
      if (need_list) {
        if (!ListAndApply()) {
          Sleep(backoff_.Next());
          continue;
        }
        need_list = false;
      }
      const int64_t from = Revision() + 1;
      absl::StatusOr<std::unique_ptr<PrefixWatch>> stream =
          PrefixWatch::Open(client_, {{options_.prefix}, from, /*progress_notify=*/true});
      if (!stream.ok()) {
        CountError(stream.status());
        spdlog::warn("discovery {}: watch from revision {} failed: {}", options_.prefix, from,
                     stream.status().ToString());
        Sleep(backoff_.Next());
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) break;
        stream_ = stream->get();
        ++stats_.watch_opens;
      }
      WatchEnd end = Watch(**stream);
      {
        std::lock_guard<std::mutex> lock(mu_);
        stream_ = nullptr;
      }
      switch (end) {
        case WatchEnd::kStopped:
          return;
        case WatchEnd::kCompacted:
          need_list = true;  // at once: the data is there, only the history is gone
          break;
        case WatchEnd::kCanceled:
          need_list = true;
          Sleep(backoff_.Next());
          break;
        case WatchEnd::kBroken:
          Sleep(backoff_.Next());
          break;
        case WatchEnd::kIdle:
          break;  // reopen at once; a dead etcd makes OpenWatch fail and back off
      }
    }
  }

  // Reads the whole prefix at one revision and applies it; false on failure.
  bool ListAndApply() {
    absl::StatusOr<Listing> listed =
        ListPrefixes(client_, {options_.prefix},
                     {.page = options_.page_size, .stopping = [this] { return Stopping(); }});
    if (!listed.ok()) {
      if (Stopping()) return false;
      CountError(listed.status());
      spdlog::warn("discovery {}: list failed: {}", options_.prefix, listed.status().ToString());
      return false;
    }
    std::vector<KeyValue>& kvs = listed->kvs;
    const int64_t revision = listed->revision;

    DiscoveryUpdate update;
    {
      std::lock_guard<std::mutex> lock(mu_);
      update.kind =
          set_.listed() ? DiscoveryUpdate::Kind::kResync : DiscoveryUpdate::Kind::kSnapshot;
      update.events = set_.Reset(kvs, revision);
      update.revision = revision;
      snapshot_ = nullptr;
      ++stats_.lists;
      last_error_ = absl::OkStatus();
    }
    cv_.notify_all();
    backoff_.Reset();
    if (update.kind == DiscoveryUpdate::Kind::kSnapshot) {
      spdlog::info("discovery {}: {} endpoints at revision {}", options_.prefix, kvs.size(),
                   revision);
    } else {
      spdlog::info("discovery {}: re-listed {} endpoints at revision {}, {} changes",
                   options_.prefix, kvs.size(), revision, update.events.size());
    }
    if (callback_ && (update.kind == DiscoveryUpdate::Kind::kSnapshot || !update.events.empty())) {
      callback_(update);
    }
    return true;
  }

  WatchEnd Watch(PrefixWatch& stream) {
    MonoTime last_heard = clock_.Now();
    while (true) {
      if (Stopping()) return WatchEnd::kStopped;
      const Duration quiet = clock_.Now() - last_heard;
      if (quiet >= options_.idle_timeout) {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.idle_reopens;
        spdlog::info("discovery {}: watch silent for {:.1f}s, reopening", options_.prefix,
                     ToSeconds(quiet));
        return WatchEnd::kIdle;
      }
      WatchStep step =
          stream.Next(std::min<Duration>(options_.idle_timeout - quiet, std::chrono::seconds(1)));
      switch (step.kind) {
        case WatchStep::Kind::kQuiet:
          continue;
        case WatchStep::Kind::kBroken:
          if (Stopping()) return WatchEnd::kStopped;
          CountError(step.status);
          spdlog::warn("discovery {}: watch broke at revision {}: {}", options_.prefix, Revision(),
                       step.status.ToString());
          return WatchEnd::kBroken;
        case WatchStep::Kind::kCompacted: {
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.compactions;
          spdlog::info("discovery {}: revision {} compacted (at {}), re-listing", options_.prefix,
                       set_.revision() + 1, step.compact_revision);
          return WatchEnd::kCompacted;
        }
        case WatchStep::Kind::kCanceled: {
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.errors;
          last_error_ = step.status;
          spdlog::warn("discovery {}: {}", options_.prefix, std::string(step.status.message()));
          return WatchEnd::kCanceled;
        }
        case WatchStep::Kind::kEvents:
        case WatchStep::Kind::kProgress:
          break;
      }
      last_heard = clock_.Now();
      backoff_.Reset();
      DiscoveryUpdate update;
      update.kind = DiscoveryUpdate::Kind::kWatch;
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_error_ = absl::OkStatus();
        if (step.kind == WatchStep::Kind::kProgress) {
          // A progress notification: etcd sent every event up to this revision.
          set_.AdvanceTo(step.revision);
        } else {
          update.events = set_.Apply(step.events);
        }
        update.revision = set_.revision();
        snapshot_ = nullptr;
      }
      if (callback_ && !update.events.empty()) callback_(update);
    }
  }

  bool Stopping() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stop_;
  }

  int64_t Revision() const {
    std::lock_guard<std::mutex> lock(mu_);
    return set_.revision();
  }

  void CountError(absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.errors;
    last_error_ = std::move(status);
  }

  void Sleep(Duration d) {
    std::unique_lock<std::mutex> lock(mu_);
    const MonoTime until = clock_.Now() + d;
    while (!stop_ && clock_.Now() < until) clock_.WaitUntil(cv_, lock, until);
  }

  Client& client_;                  // not owned
  const DiscoveryOptions options_;  // constant after construction
  Clock& clock_;
  const Callback callback_;
  SystemRandom random_;  // used by the loop thread only
  Backoff backoff_;      // used by the loop thread only

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // stop_ or first list
  EndpointSet set_;                     // guarded by mu_; written by the loop thread
  // Guarded by mu_; null when stale (rebuilt by the next Snapshot()).
  mutable std::shared_ptr<const DiscoverySnapshot> snapshot_;
  bool stop_ = false;              // guarded by mu_
  PrefixWatch* stream_ = nullptr;  // guarded by mu_; the open watch, for Stop()
  Stats stats_;                    // guarded by mu_
  absl::Status last_error_;        // guarded by mu_
  std::thread thread_;
};

absl::StatusOr<std::unique_ptr<Discovery>> Discovery::Start(Client& client,
                                                            DiscoveryOptions options,
                                                            Callback callback) {
  if (options.prefix.empty()) {
    return absl::InvalidArgumentError("discovery: empty prefix (would watch all of etcd)");
  }
  if (options.page_size < 1) {
    return absl::InvalidArgumentError("discovery: page_size must be at least 1");
  }
  if (options.idle_timeout <= Duration::zero()) {
    return absl::InvalidArgumentError("discovery: idle_timeout must be positive");
  }
  auto impl = std::make_unique<Impl>(client, std::move(options), std::move(callback));
  impl->StartThread();
  return std::unique_ptr<Discovery>(new Discovery(std::move(impl)));
}

Discovery::Discovery(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Discovery::~Discovery() { Stop(); }

std::shared_ptr<const DiscoverySnapshot> Discovery::Snapshot() const { return impl_->Snapshot(); }
bool Discovery::Synced() const { return impl_->Synced(); }
bool Discovery::WaitSynced(Duration timeout) const { return impl_->WaitSynced(timeout); }
void Discovery::Stop() { impl_->Stop(); }
Discovery::Stats Discovery::stats() const { return impl_->stats(); }
absl::Status Discovery::LastError() const { return impl_->LastError(); }

}  // namespace registrar::etcd
