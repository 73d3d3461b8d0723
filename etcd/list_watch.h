// Listing a prefix, then following it: the one way the registrar's readers of
// etcd (observed keys, membership, drains, discovery) keep a copy of a part
// of the keyspace.
//
// ListPrefixes reads every key under each prefix at ONE revision: the first
// Range at the latest revision, every later page (and later prefix) pinned to
// it, `page` keys at a time (0: no limit). A PrefixWatch then follows the
// same prefixes from that revision + 1 and sorts what etcd sends into steps:
//  - kEvents: changes, in revision order per prefix;
//  - kProgress: a progress report (nothing missed up to `revision`);
//  - kQuiet: nothing within the wait (the watch is fine);
//  - kCompacted: the revision to start from is compacted (list again now:
//    the data is there, only the history is gone);
//  - kCanceled: etcd ended the watch for another reason (list again);
//  - kBroken: the stream failed or no member could reopen it (list again
//    after a backoff; `status` says why).
// After kCompacted, kCanceled or kBroken the watch is done: list again and
// open a new one. Failover between members is the Client's (a stream moves
// to another member by itself, from its last revision + 1).
//
// Thread-safety: one thread calls Next(); Cancel() may come from any thread
// and wakes a Next() in progress (which then returns kBroken, Cancelled).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "etcd/client.h"

namespace registrar::etcd {

struct Listing {
  int64_t revision = 0;       // every key as of this revision
  std::vector<KeyValue> kvs;  // prefix by prefix, each in key order
};

struct ListOptions {
  int64_t page = 0;        // keys per Range; 0: no limit
  bool keys_only = false;  // values left empty
  // Asked before each page (optional): true ends the listing with kCancelled.
  std::function<bool()> stopping;
};
absl::StatusOr<Listing> ListPrefixes(Client& client, const std::vector<std::string>& prefixes,
                                     const ListOptions& options = {});

struct WatchStep {
  enum class Kind { kEvents, kProgress, kQuiet, kCompacted, kCanceled, kBroken };
  Kind kind = Kind::kQuiet;
  std::vector<WatchEvent> events;  // kEvents
  int64_t revision = 0;            // kEvents, kProgress: the response's header revision
  int64_t compact_revision = 0;    // kCompacted
  absl::Status status;             // kCanceled (etcd's reason), kBroken
  // The watch is over: list again (after a backoff when kBroken).
  bool Ended() const {
    return kind == Kind::kCompacted || kind == Kind::kCanceled || kind == Kind::kBroken;
  }
};

class PrefixWatch {
 public:
  struct Options {
    std::vector<std::string> prefixes;
    int64_t from_revision = 0;  // a listing's revision + 1
    bool progress_notify = false;
  };
  static absl::StatusOr<std::unique_ptr<PrefixWatch>> Open(Client& client, Options options);

  // Waits up to `wait` (shared among the prefixes' streams, in turn).
  WatchStep Next(Duration wait);
  // Ends the watch; any thread.
  void Cancel();

 private:
  explicit PrefixWatch(std::vector<std::unique_ptr<WatchStream>> streams)
      : streams_(std::move(streams)) {}

  std::vector<std::unique_ptr<WatchStream>> streams_;
  size_t turn_ = 0;
  std::atomic<bool> canceled_{false};
};

}  // namespace registrar::etcd
