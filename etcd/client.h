// etcd v3 client over gRPC, built from etcd's own .proto definitions.
//
// A `Client` talks to one etcd cluster through a list of endpoints. Every call
// has a deadline (`request_timeout`) and returns its result as a value
// (absl::Status / absl::StatusOr), never an exception. Messages name the
// operation and the endpoint: "etcd Put /services/a on 127.0.0.1:2379: ...".
// Codes follow gRPC: kUnavailable / kDeadlineExceeded = retry with backoff;
// kNotFound = the lease (or key) is gone; kUnauthenticated / kPermissionDenied
// = credentials are wrong, do not retry until they change.
//
// Failover: one path decides for every unary call and stream open. A call
// that fails with UNAVAILABLE on the current endpoint is retried once on each
// other endpoint, and the first that answers becomes current; a member whose
// connection fails (refused: killed or not started) is passed over at once,
// not after a dial timeout, while there is another to ask. A call that
// hits its deadline (a hung member: SIGSTOP, dropped packets) moves the
// current endpoint to the next one; reads and lease calls that cannot do
// anything twice (Range, LeaseTimeToLive, LeaseRevoke, stream opens) are then
// repeated there within the same call, writes (Put, Delete, Txn, LeaseGrant)
// return kDeadlineExceeded and the next call goes to the next endpoint.
//
// Streams and hung members: with more than one endpoint, a member may leave a
// request on a stream unanswered for at most `stream_timeout` (default 2 s,
// capped by request_timeout). A KeepAliveOnce() whose answer does not come in
// that time drops the stream and sends the keepalive again on the next member
// within the same call, so one hung member costs at most stream_timeout +
// connect time of one keepalive — well inside any lease TTL >= 3 *
// stream_timeout — and never the lease. A watch that has been silent for
// stream_timeout is asked for a progress report; no answer within another
// stream_timeout (or a broken stream) reopens it on the next member from the
// first revision not yet delivered, so the caller sees neither a gap nor a
// duplicate. Each switch is logged and reported to
// RequestObserver::OnEndpointChange. With one endpoint, streams wait only for
// request_timeout (there is nowhere to move to). gRPC's transport keepalive
// (6 s + 2 s) is a second line for idle connections.
//
// Auth: with a username, the client calls
// Auth.Authenticate, sends the token as "token" metadata, and re-authenticates
// once when etcd answers that the token is invalid or expired.
//
// Thread-safety: a Client is thread-safe. A KeepAliveStream or WatchStream is
// used by one thread at a time, except Cancel(), which any thread may call;
// streams may outlive the Client that opened them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"

namespace registrar::etcd {

// The most operations (and compares) one Txn may carry: etcd's default
// --max-txn-ops.
inline constexpr size_t kMaxTxnOps = 128;

struct TlsConfig {
  std::string ca_file;      // PEM; empty: system roots
  std::string cert_file;    // client certificate, optional
  std::string key_file;     // client key, optional
  std::string server_name;  // overrides the name checked in the server cert
};

// Told about every unary call and stream (re)open; used for metrics.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // op: "range", "put", "delete", "txn", "lease_grant", "lease_revoke",
  // "lease_ttl", "lease_keepalive", "watch", "authenticate".
  virtual void OnRequest(std::string_view op, absl::StatusCode code, Duration latency) = 0;
  // One message sent on an open stream (op "lease_keepalive": one keepalive;
  // etcd counts each as a request, OnRequest counts only the stream's open).
  virtual void OnStreamMessage(std::string_view op) { (void)op; }
  // Calls and streams moved from endpoint `from` to `to` ("host:port").
  virtual void OnEndpointChange(std::string_view from, std::string_view to) {
    (void)from;
    (void)to;
  }
};

struct ClientOptions {
  std::vector<std::string> endpoints;  // "host:port" or "http(s)://host:port"
  Duration dial_timeout = std::chrono::seconds(5);
  Duration request_timeout = std::chrono::seconds(5);
  // Longest silence of a member on a stream request before the stream moves
  // to the next member (see "Streams and hung members"); <= TTL / 3.
  Duration stream_timeout = std::chrono::seconds(2);
  std::optional<TlsConfig> tls;  // also implied by an https:// endpoint
  std::string username;          // empty: no auth
  std::string password;
  RequestObserver* observer = nullptr;  // not owned; may be null
};

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

struct RangeOptions {
  std::string range_end;  // explicit end; ignored when prefix is true
  bool prefix = false;    // [key, PrefixEnd(key))
  int64_t limit = 0;      // 0: no limit
  int64_t revision = 0;   // 0: latest
  bool keys_only = false;
  bool count_only = false;
};

struct RangeResult {
  int64_t revision = 0;  // store revision the read was served at
  std::vector<KeyValue> kvs;
  bool more = false;  // more keys exist beyond `limit`
  int64_t count = 0;
};

struct DeleteResult {
  int64_t revision = 0;
  int64_t deleted = 0;
};

struct Compare {
  enum class Target { kVersion, kCreateRevision, kModRevision, kValue, kLease };
  enum class Result { kEqual, kGreater, kLess, kNotEqual };
  std::string key;
  // Non-empty: the compare holds for every key in [key, range_end) (etcd's
  // Compare.range_end), e.g. "no key under a prefix was created after rev".
  std::string range_end;
  Target target = Target::kVersion;
  Result result = Result::kEqual;
  int64_t number = 0;  // for every target but kValue
  std::string value;   // for kValue
};

struct Op {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  std::string key;
  std::string value;    // put only
  int64_t lease = 0;    // put only
  bool prefix = false;  // delete only
};

struct TxnResult {
  bool succeeded = false;  // which branch ran
  int64_t revision = 0;
};

struct Lease {
  int64_t id = 0;
  int64_t ttl_seconds = 0;  // as granted (etcd may raise it to its minimum)
};

struct LeaseInfo {
  int64_t id = 0;
  int64_t ttl_seconds = 0;  // remaining
  int64_t granted_ttl_seconds = 0;
};

// The smallest key greater than every key starting with `prefix`.
std::string PrefixEnd(std::string_view prefix);

// Keeps one lease alive over one LeaseKeepAlive stream.
class KeepAliveStream {
 public:
  virtual ~KeepAliveStream() = default;
  // Sends one keepalive and waits for its answer, moving to the next member
  // when the current one does not answer within stream_timeout (see above).
  // Returns the remaining TTL; kNotFound when etcd answers TTL <= 0 (lease
  // gone); kUnavailable / kDeadlineExceeded when no member answered (the next
  // call tries again; opening a new stream also works).
  virtual absl::StatusOr<int64_t> KeepAliveOnce() = 0;
  // Ends the stream; any thread.
  virtual void Cancel() = 0;
};

struct WatchOptions {
  std::string key;
  bool prefix = false;
  int64_t start_revision = 0;  // 0: from now
  bool progress_notify = false;
  bool prev_kv = false;
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;                      // for kDelete: key and mod_revision only
  std::optional<KeyValue> prev_kv;  // when asked for and available
};

struct WatchResponse {
  int64_t header_revision = 0;
  std::vector<WatchEvent> events;  // empty with progress_notify: a progress report
  bool canceled = false;           // the watch ended; see compact_revision / reason
  int64_t compact_revision = 0;    // > 0: start_revision was compacted; re-list
  std::string cancel_reason;
};

class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // Waits up to `timeout` for the next response (longer by one reopen when
  // it moves to another member). kDeadlineExceeded when none came in time
  // (the stream is still fine); kUnavailable when it was cancelled, etcd
  // ended the watch, or no member could reopen it (open a new one from the
  // last seen revision + 1).
  virtual absl::StatusOr<WatchResponse> Next(Duration timeout) = 0;
  // Ends the stream and wakes a blocked Next(); any thread.
  virtual void Cancel() = 0;
};

class Client {
 public:
  virtual ~Client() = default;

  // Connects lazily: only validates options (bad endpoint, unreadable TLS file
  // → kInvalidArgument). The first call dials.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);

  virtual absl::StatusOr<RangeResult> Range(const std::string& key,
                                            const RangeOptions& options) = 0;
  // Returns the revision of the put.
  virtual absl::StatusOr<int64_t> Put(const std::string& key, const std::string& value,
                                      int64_t lease = 0) = 0;
  virtual absl::StatusOr<DeleteResult> Delete(const std::string& key, bool prefix = false) = 0;
  // Up to kMaxTxnOps operations in total; kInvalidArgument beyond that.
  virtual absl::StatusOr<TxnResult> Txn(const std::vector<Compare>& compares,
                                        const std::vector<Op>& success,
                                        const std::vector<Op>& failure = {}) = 0;

  virtual absl::StatusOr<Lease> LeaseGrant(int64_t ttl_seconds) = 0;
  virtual absl::Status LeaseRevoke(int64_t lease_id) = 0;
  // kNotFound when the lease does not exist (expired or revoked).
  virtual absl::StatusOr<LeaseInfo> LeaseTimeToLive(int64_t lease_id) = 0;
  // `answer_within` (> 0) caps every wait of the stream, for a lease keeper
  // that must notice a dead etcd well inside the TTL: the wait for a member's
  // connection when opening (else dial_timeout) and for each keepalive's
  // answer (else stream_timeout, or request_timeout with one member).
  virtual absl::StatusOr<std::unique_ptr<KeepAliveStream>> OpenKeepAlive(
      int64_t lease_id, Duration answer_within) = 0;
  absl::StatusOr<std::unique_ptr<KeepAliveStream>> OpenKeepAlive(int64_t lease_id) {
    return OpenKeepAlive(lease_id, Duration::zero());
  }

  // Opens a watch and waits for etcd to confirm it was created.
  virtual absl::StatusOr<std::unique_ptr<WatchStream>> OpenWatch(const WatchOptions& options) = 0;

  // The endpoint calls currently go to ("127.0.0.1:2379").
  virtual std::string CurrentEndpoint() const = 0;
};

}  // namespace registrar::etcd
