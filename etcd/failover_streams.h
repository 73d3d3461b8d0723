// Private to the etcd module: the KeepAliveStream and WatchStream that
// GrpcClient hands out. Each wraps a stream on one member and moves to the
// next member (through Cluster::Run) when that member breaks the stream or
// leaves a request unanswered for Cluster::StreamTimeout(); see client.h
// "Streams and hung members".
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "etcd/client.h"
#include "etcd/cluster.h"

namespace registrar::etcd::internal {

// `answer_within` > 0 caps the connection wait and each answer's wait.
absl::StatusOr<std::unique_ptr<KeepAliveStream>> OpenFailoverKeepAlive(
    std::shared_ptr<Cluster> cluster, int64_t lease_id, Duration answer_within);

absl::StatusOr<std::unique_ptr<WatchStream>> OpenFailoverWatch(std::shared_ptr<Cluster> cluster,
                                                               const WatchOptions& options);

}  // namespace registrar::etcd::internal
