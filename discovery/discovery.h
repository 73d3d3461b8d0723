// Discovery: the live set of endpoints registered under an etcd prefix.
//
// A `Discovery` lists the prefix (paged, every page read at the revision of
// the first one, so the snapshot is consistent at a single revision R), then
// watches from R+1 with progress notifications, and keeps an in-memory map
// key → Endpoint. Consumers either poll `Snapshot()` (cheap: an immutable
// shared map, rebuilt at most once per change) or get a callback per batch of
// changes. Every change after the snapshot revision is reported exactly once
// and in revision order.
//
// Failures: when the watch stream breaks, goes silent for `idle_timeout`
// (neither events nor progress notifications), or is cancelled because its
// start revision was compacted, the Discovery reconnects with jittered
// exponential backoff. A broken or silent stream resumes from the last seen
// revision + 1 (nothing lost, nothing repeated); after a compaction it
// re-lists and reports only the real difference between what the consumer
// already had and the new list: an unchanged key (same mod_revision) produces
// no event, a rewritten one an update, never a remove + add.
//
// Values are parsed in one of the registrar's layouts (plain, json,
// grpc-naming, skydns, go-zero, kratos, go-micro, kitex, dubbo, traefik) or
// auto-detected. A value that does not parse is still
// reported, with `Endpoint::error` set and no address; it never stops the
// Discovery.
//
// Threading: one background thread per Discovery; callbacks run on it, one at
// a time, after the snapshot already reflects the batch. Snapshot(), Synced()
// and WaitSynced() are thread-safe. Do not call Stop() or destroy the
// Discovery from inside a callback.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/value_format.h"
#include "etcd/client.h"

namespace registrar::etcd {

// How values are read: as one registration format, or detected per value.
// The formats are registrar::ValueFormat's, with the same numbers.
enum class EndpointFormat {
  kPlain = static_cast<int>(ValueFormat::kPlain),
  kJson = static_cast<int>(ValueFormat::kJson),
  kGrpcNaming = static_cast<int>(ValueFormat::kGrpcNaming),
  kSkyDns = static_cast<int>(ValueFormat::kSkyDns),
  kGoZero = static_cast<int>(ValueFormat::kGoZero),
  kKratos = static_cast<int>(ValueFormat::kKratos),
  kGoMicro = static_cast<int>(ValueFormat::kGoMicro),
  kKitex = static_cast<int>(ValueFormat::kKitex),
  kDubbo = static_cast<int>(ValueFormat::kDubbo),
  kTraefik = static_cast<int>(ValueFormat::kTraefik),
  kTemplate = static_cast<int>(ValueFormat::kTemplate),  // read as kAuto
  kAuto,  // detect per value: JSON shape, else "host:port" or a URL
};

// "auto" or the format's ValueFormatName.
const char* EndpointFormatName(EndpointFormat format);
// kInvalidArgument for any other name.
absl::StatusOr<EndpointFormat> ParseEndpointFormat(std::string_view name);

// One key under the prefix, with its parsed value.
struct Endpoint {
  std::string key;
  std::string value;  // raw, as stored
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;

  EndpointFormat format = EndpointFormat::kPlain;  // as parsed (never kAuto)
  std::string address;  // "host:port" ("[::1]:8080" for IPv6); empty on error
  std::string host;
  int port = 0;
  // json: "service"; skydns: the DNS name the key serves ("id.svc.domain");
  // otherwise the key's path between the prefix and the last '/'.
  std::string service;
  std::map<std::string, std::string> metadata;  // non-string values as JSON text
  // The weight as the layout carries it (json and skydns "weight",
  // grpc-naming Metadata.weight, kitex "weight", kratos / go-micro / dubbo
  // metadata "weight"); 0 when absent or not a positive integer, whatever the
  // layout.
  int64_t weight = 0;
  int64_t ttl_seconds = 0;  // skydns only
  std::string error;        // non-empty: the value is not in the expected format

  bool ok() const { return error.empty(); }
  bool operator==(const Endpoint&) const = default;
};

// Parses `kv` (found under `prefix`) as `format`.
Endpoint ParseEndpoint(const KeyValue& kv, std::string_view prefix, EndpointFormat format);

struct EndpointEvent {
  enum class Type { kAdded, kUpdated, kRemoved };
  Type type = Type::kAdded;
  // The new state; for kRemoved, the last state the consumer had.
  Endpoint endpoint;
  // The etcd revision of the change: the put's mod_revision, the delete's
  // revision; for a removal found by a re-list, the re-list revision.
  int64_t revision = 0;
};

// "added" | "updated" | "removed".
const char* EventTypeName(EndpointEvent::Type type);

// One batch of changes, delivered to the callback.
struct DiscoveryUpdate {
  enum class Kind {
    kSnapshot,  // the first list: every endpoint as kAdded (possibly none)
    kWatch,     // events of one watch response, in revision order
    kResync,    // the difference found by a re-list after compaction
  };
  Kind kind = Kind::kSnapshot;
  int64_t revision = 0;  // the state now reflects etcd up to this revision
  std::vector<EndpointEvent> events;
};

// An immutable view of the set at one revision.
struct DiscoverySnapshot {
  int64_t revision = 0;                       // 0 until the first list succeeded
  std::map<std::string, Endpoint> endpoints;  // by key
};

struct DiscoveryOptions {
  std::string prefix;  // e.g. "/services/orders/"
  EndpointFormat format = EndpointFormat::kAuto;
  int64_t page_size = 1000;  // keys per Range page
  // Reopen the watch when nothing (not even a progress notification) came for
  // this long. etcd sends progress notifications on a quiet watch every
  // --experimental-watch-progress-notify-interval (10 min by default), so the
  // default sits just above it: a healthy quiet watch is never reopened. A dead
  // connection is found sooner by the client's gRPC keepalive; this catches a
  // stream that is connected but silent. Reopening loses nothing.
  Duration idle_timeout = std::chrono::minutes(11);
  Duration initial_backoff = std::chrono::milliseconds(100);
  Duration max_backoff = std::chrono::seconds(5);
  Clock* clock = nullptr;  // not owned; null: RealClock()
  uint64_t seed = 0;       // backoff jitter; 0: random
};

class Discovery final {
 public:
  using Callback = std::function<void(const DiscoveryUpdate&)>;

  // Starts the background thread. `client` must outlive the Discovery.
  // `callback` may be empty (poll Snapshot() instead).
  // kInvalidArgument for an empty prefix or page_size < 1.
  static absl::StatusOr<std::unique_ptr<Discovery>> Start(Client& client, DiscoveryOptions options,
                                                          Callback callback = {});
  ~Discovery();  // Stop()
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  // The current set; the same object until the next change.
  std::shared_ptr<const DiscoverySnapshot> Snapshot() const;
  // True once the first list succeeded.
  bool Synced() const;
  // Waits until Synced() or the timeout passed; returns Synced().
  bool WaitSynced(Duration timeout) const;
  // Stops the thread; no callback runs after it returns. Idempotent.
  void Stop();

  // The error of the last failed call or broken stream; OK once a later list
  // or watch response succeeded. Lets a caller give up on errors that retrying
  // cannot fix (kUnauthenticated, kPermissionDenied) while the Discovery
  // itself keeps retrying with backoff.
  absl::Status LastError() const;

  struct Stats {
    int64_t lists = 0;         // successful full lists (first + re-lists)
    int64_t watch_opens = 0;   // successful watch opens
    int64_t compactions = 0;   // watches cancelled for compaction
    int64_t idle_reopens = 0;  // watches reopened after idle_timeout
    int64_t errors = 0;        // failed calls / broken streams
  };
  Stats stats() const;

  class Impl;

 private:
  explicit Discovery(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace registrar::etcd
