// Private to the etcd module: conversions between etcd's protobuf messages and
// the value types of client.h, endpoint parsing and error formatting.
#pragma once

#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "etcd/client.h"
#include "etcdserverpb/rpc.pb.h"
#include "mvccpb/kv.pb.h"

namespace registrar::etcd::internal {

struct ParsedEndpoint {
  std::string address;  // "host:port", the gRPC target
  bool https = false;   // the endpoint was given as https://
};

// Accepts "host:port", "http://host:port", "https://host:port" and
// "[v6]:port" forms; kInvalidArgument otherwise.
absl::StatusOr<ParsedEndpoint> ParseEndpoint(absl::string_view endpoint);

// "etcd Put /services/a on 127.0.0.1:2379" (subject may be empty).
std::string Describe(absl::string_view op, absl::string_view subject, absl::string_view endpoint);

// A gRPC status as an absl::Status with the same code, prefixed by Describe().
absl::Status FromGrpc(const grpc::Status& status, absl::string_view op, absl::string_view subject,
                      absl::string_view endpoint);

// True when etcd rejected the request's auth token (expired, invalid, from an
// older auth revision, or missing): authenticating again may fix it.
bool IsTokenRejected(const grpc::Status& status);

KeyValue FromProto(const mvccpb::KeyValue& kv);
WatchResponse FromProto(const etcdserverpb::WatchResponse& response);
etcdserverpb::Compare ToProto(const Compare& compare);
etcdserverpb::RequestOp ToProto(const Op& op);

}  // namespace registrar::etcd::internal
