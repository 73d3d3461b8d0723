// Discovery's background loop: list (paged, one revision), watch from the
// next revision, resume or re-list on failure. Contract in etcd/discovery.h.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "etcd/discovery.h"
#include "etcd/discovery_state.h"
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
    return cv_.wait_for(lock, timeout, [this] { return set_.listed() || stop_; }) && set_.listed();
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
      WatchOptions watch;
      watch.key = options_.prefix;
      watch.prefix = true;
      watch.start_revision = from;
      watch.progress_notify = true;
      absl::StatusOr<std::unique_ptr<WatchStream>> stream = client_.OpenWatch(watch);
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
    std::vector<KeyValue> kvs;
    RangeOptions range;
    range.range_end = PrefixEnd(options_.prefix);
    range.limit = options_.page_size;
    std::string key = options_.prefix;
    int64_t revision = 0;
    while (true) {
      absl::StatusOr<RangeResult> page = client_.Range(key, range);
      if (!page.ok()) {
        CountError(page.status());
        spdlog::warn("discovery {}: list failed: {}", options_.prefix, page.status().ToString());
        return false;
      }
      if (revision == 0) {
        revision = page->revision;
        range.revision = revision;  // every later page at the first page's revision
      }
      for (KeyValue& kv : page->kvs) kvs.push_back(std::move(kv));
      if (!page->more || page->kvs.empty()) break;
      key = kvs.back().key;
      key.push_back('\0');
      if (Stopping()) return false;
    }

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

  WatchEnd Watch(WatchStream& stream) {
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
      absl::StatusOr<WatchResponse> response =
          stream.Next(std::min<Duration>(options_.idle_timeout - quiet, std::chrono::seconds(1)));
      if (!response.ok()) {
        if (response.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
        if (Stopping()) return WatchEnd::kStopped;
        CountError(response.status());
        spdlog::warn("discovery {}: watch broke at revision {}: {}", options_.prefix, Revision(),
                     response.status().ToString());
        return WatchEnd::kBroken;
      }
      last_heard = clock_.Now();
      if (response->canceled) {
        std::lock_guard<std::mutex> lock(mu_);
        if (response->compact_revision > 0) {
          ++stats_.compactions;
          spdlog::info("discovery {}: revision {} compacted (at {}), re-listing", options_.prefix,
                       set_.revision() + 1, response->compact_revision);
          return WatchEnd::kCompacted;
        }
        ++stats_.errors;
        last_error_ =
            absl::FailedPreconditionError("etcd cancelled the watch: " + response->cancel_reason);
        spdlog::warn("discovery {}: watch cancelled by etcd: {}", options_.prefix,
                     response->cancel_reason);
        return WatchEnd::kCanceled;
      }
      backoff_.Reset();
      DiscoveryUpdate update;
      update.kind = DiscoveryUpdate::Kind::kWatch;
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_error_ = absl::OkStatus();
        if (response->events.empty()) {
          // A progress notification: etcd sent every event up to this revision.
          set_.AdvanceTo(response->header_revision);
        } else {
          update.events = set_.Apply(response->events);
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
    cv_.wait_for(lock, d, [this] { return stop_; });
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
  WatchStream* stream_ = nullptr;  // guarded by mu_; the open watch, for Stop()
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
