#include "etcd/list_watch.h"

#include <algorithm>
#include <utility>

namespace registrar::etcd {

absl::StatusOr<Listing> ListPrefixes(Client& client, const std::vector<std::string>& prefixes,
                                     const ListOptions& options) {
  Listing listing;
  for (const std::string& prefix : prefixes) {
    RangeOptions range;
    range.range_end = PrefixEnd(prefix);
    range.limit = options.page;
    range.keys_only = options.keys_only;
    std::string from = prefix;
    while (true) {
      if (options.stopping && options.stopping()) return absl::CancelledError("stopping");
      range.revision = listing.revision;  // 0 the first time: latest, then pinned
      absl::StatusOr<RangeResult> result = client.Range(from, range);
      if (!result.ok()) return result.status();
      // A Range at a pinned revision answers with etcd's current revision in
      // its header: only the first one names the listing's revision.
      if (listing.revision == 0) listing.revision = result->revision;
      const bool more = result->more && !result->kvs.empty();
      if (more) from = result->kvs.back().key + std::string(1, '\0');
      for (KeyValue& kv : result->kvs) listing.kvs.push_back(std::move(kv));
      if (!more) break;
    }
  }
  return listing;
}

absl::StatusOr<std::unique_ptr<PrefixWatch>> PrefixWatch::Open(Client& client, Options options) {
  std::vector<std::unique_ptr<WatchStream>> streams;
  for (const std::string& prefix : options.prefixes) {
    WatchOptions watch;
    watch.key = prefix;
    watch.prefix = true;
    watch.start_revision = options.from_revision;
    watch.progress_notify = options.progress_notify;
    absl::StatusOr<std::unique_ptr<WatchStream>> stream = client.OpenWatch(watch);
    if (!stream.ok()) return stream.status();
    streams.push_back(std::move(*stream));
  }
  return std::unique_ptr<PrefixWatch>(new PrefixWatch(std::move(streams)));
}

WatchStep PrefixWatch::Next(Duration wait) {
  WatchStep step;
  if (streams_.empty()) return step;
  const Duration each = std::max<Duration>(wait / static_cast<int64_t>(streams_.size()),
                                           std::chrono::milliseconds(1));
  for (size_t tried = 0; tried < streams_.size(); ++tried) {
    WatchStream& stream = *streams_[turn_];
    turn_ = (turn_ + 1) % streams_.size();
    absl::StatusOr<WatchResponse> response = stream.Next(each);
    if (canceled_) {
      step.kind = WatchStep::Kind::kBroken;
      step.status = absl::CancelledError("watch cancelled");
      return step;
    }
    if (!response.ok()) {
      if (response.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
      step.kind = WatchStep::Kind::kBroken;
      step.status = response.status();
      return step;
    }
    step.revision = response->header_revision;
    if (response->compact_revision > 0) {
      step.kind = WatchStep::Kind::kCompacted;
      step.compact_revision = response->compact_revision;
    } else if (response->canceled) {
      step.kind = WatchStep::Kind::kCanceled;
      step.status =
          absl::FailedPreconditionError("etcd cancelled the watch: " + response->cancel_reason);
    } else if (response->events.empty()) {
      step.kind = WatchStep::Kind::kProgress;
    } else {
      step.kind = WatchStep::Kind::kEvents;
      step.events = std::move(response->events);
    }
    return step;
  }
  return step;  // kQuiet
}

void PrefixWatch::Cancel() {
  canceled_ = true;
  for (auto& stream : streams_) stream->Cancel();
}

}  // namespace registrar::etcd
