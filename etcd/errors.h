// What an etcd error means for the caller: the one place that reads etcd's
// error codes and messages.
//
// etcd reports its conditions as gRPC statuses whose message is one of a
// fixed set of descriptions (etcd's api/v3rpc/rpctypes/error.go; clientv3
// itself recognises them by that text). Every module that must act on an
// etcd error asks ClassifyEtcdError instead of matching text itself.
//
// The classes answer "whose fault, and what now":
//   - the cluster's condition (unreachable, no leader, overloaded, an alarm
//     such as NOSPACE or CORRUPT): retry with backoff; no key is to blame;
//   - the request's own content (too large, invalid): only that request is
//     refused, retrying it unchanged fails again;
//   - state the caller must rebuild (lease gone, revision compacted, token
//     expired) or credentials to fix (permission denied, wrong password).
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace registrar::etcd {

enum class EtcdError {
  kNone,              // OK
  kUnreachable,       // no member answered (connection, deadline, shutting down)
  kNoLeader,          // election, leader changed, request timed out in raft
  kTooManyRequests,   // etcd sheds load ("too many requests")
  kNoSpace,           // alarm NOSPACE: "mvcc: database space exceeded"
  kCorrupt,           // alarm CORRUPT: "corrupt cluster"
  kRequestTooLarge,   // this request is over etcd's or gRPC's size limit
  kInvalidRequest,    // this request is malformed (empty key, duplicate key, ...)
  kLeaseNotFound,     // the lease expired or was revoked
  kCompacted,         // the revision asked for was compacted away
  kFutureRevision,    // the revision asked for does not exist yet
  kInvalidToken,      // the auth token expired or the auth store changed
  kPermissionDenied,  // the user may not do this
  kAuthFailed,        // wrong user name or password
  kAuthNotEnabled,    // Authenticate on a cluster without auth: no token needed
  kOther,             // anything else (kept as its gRPC code says)
};

// The class of `status` (a status from etcd::Client, or a raw gRPC status
// converted to absl::Status). Reads the code first and etcd's description
// only where one code carries several meanings.
EtcdError ClassifyEtcdError(const absl::Status& status);

// The class of an error known only by its text: a watch's cancel_reason,
// which is the text of the etcd error that ended it.
EtcdError ClassifyEtcdErrorText(std::string_view text);

// A stable lower-case name for metrics, logs and /readyz ("no_space", ...).
std::string_view EtcdErrorName(EtcdError error);

// The request itself is refused: sending it unchanged fails again, and no
// other request is to blame. Everything else is about the cluster or the
// caller's state and is retried.
bool IsRequestsOwnFault(EtcdError error);

// A condition of the whole cluster that its operator must clear (an alarm):
// writes fail for every key until then; reads, deletes and keepalives work.
bool IsClusterAlarm(EtcdError error);

}  // namespace registrar::etcd
