// Private to the etcd module: the KeepAliveStream and WatchStream of client.h
// over etcd's Lease.LeaseKeepAlive and Watch.Watch bidirectional streams.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "etcd/client.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace registrar::etcd::internal {

// Where a stream goes and how: shared by both stream kinds.
struct StreamTarget {
  std::shared_ptr<grpc::Channel> channel;  // kept alive by the stream
  std::string endpoint;                    // for messages
  std::string token;                       // auth token; empty: none
  Duration request_timeout;                // per keepalive answer / watch creation
};

// A watch on one member, with what the failover wrapper needs besides.
class MemberWatchStream : public WatchStream {
 public:
  // Asks etcd for a progress report (an empty response); false when the
  // stream is closed. Its answer proves the member is alive.
  virtual bool RequestProgress() = 0;
  // The store revision etcd created the watch at.
  virtual int64_t created_revision() const = 0;
};

absl::StatusOr<std::unique_ptr<KeepAliveStream>> OpenKeepAliveStream(
    etcdserverpb::Lease::Stub& stub, const StreamTarget& target, int64_t lease_id);

// Waits up to request_timeout for etcd to confirm the watch. A watch that etcd
// refuses at creation fails with the cancel reason (kPermissionDenied for
// "permission denied"); one created on a compacted revision opens and its
// first Next() reports the compaction.
absl::StatusOr<std::unique_ptr<MemberWatchStream>> OpenWatchStream(etcdserverpb::Watch::Stub& stub,
                                                                   const StreamTarget& target,
                                                                   const WatchOptions& options);

}  // namespace registrar::etcd::internal
