// The one etcd error classifier over etcd's own errors: each row is a code
// and description exactly as etcd sends it (api/v3rpc/rpctypes/error.go,
// etcd v3.4 and v3.5), as our client hands it on ("etcd <op> on <endpoint>: "
// before the description), and what the registrar must do about it.
#include "etcd/errors.h"

#include <string>

#include <gtest/gtest.h>

namespace registrar::etcd {
namespace {

using Code = absl::StatusCode;

struct Row {
  Code code;
  std::string description;
  EtcdError expected;
};

class EtcdErrorTable : public ::testing::TestWithParam<Row> {};

TEST_P(EtcdErrorTable, ClassifiesEtcdsOwnError) {
  const Row& row = GetParam();
  const absl::Status status(row.code,
                            "etcd Txn (1 compares, 2 ops) on 127.0.0.1:2379: " + row.description);
  EXPECT_EQ(EtcdErrorName(ClassifyEtcdError(status)), EtcdErrorName(row.expected))
      << row.description;
}

INSTANTIATE_TEST_SUITE_P(
    Rpctypes, EtcdErrorTable,
    ::testing::Values(
        Row{Code::kResourceExhausted, "etcdserver: mvcc: database space exceeded",
            EtcdError::kNoSpace},
        Row{Code::kDataLoss, "etcdserver: corrupt cluster", EtcdError::kCorrupt},
        Row{Code::kResourceExhausted, "etcdserver: too many requests", EtcdError::kTooManyRequests},
        Row{Code::kInvalidArgument, "etcdserver: request is too large",
            EtcdError::kRequestTooLarge},
        Row{Code::kResourceExhausted,
            "grpc: received message larger than max (4194400 vs. 2097152)",
            EtcdError::kRequestTooLarge},
        Row{Code::kInvalidArgument, "etcdserver: key is not provided", EtcdError::kInvalidRequest},
        Row{Code::kInvalidArgument, "etcdserver: duplicate key given in txn request",
            EtcdError::kInvalidRequest},
        Row{Code::kInvalidArgument, "etcdserver: too many operations in txn request",
            EtcdError::kInvalidRequest},
        Row{Code::kNotFound, "etcdserver: requested lease not found", EtcdError::kLeaseNotFound},
        Row{Code::kOutOfRange, "etcdserver: mvcc: required revision has been compacted",
            EtcdError::kCompacted},
        Row{Code::kOutOfRange, "etcdserver: mvcc: required revision is a future revision",
            EtcdError::kFutureRevision},
        Row{Code::kUnavailable, "etcdserver: no leader", EtcdError::kNoLeader},
        Row{Code::kUnavailable, "etcdserver: leader changed", EtcdError::kNoLeader},
        Row{Code::kUnavailable, "etcdserver: request timed out", EtcdError::kNoLeader},
        Row{Code::kUnavailable,
            "etcdserver: request timed out, possibly due to previous leader failure",
            EtcdError::kNoLeader},
        Row{Code::kUnavailable, "etcdserver: unhealthy cluster", EtcdError::kNoLeader},
        Row{Code::kUnavailable, "etcdserver: server stopped", EtcdError::kUnreachable},
        Row{Code::kUnavailable, "failed to connect to all addresses", EtcdError::kUnreachable},
        Row{Code::kDeadlineExceeded, "Deadline Exceeded", EtcdError::kUnreachable},
        Row{Code::kUnauthenticated, "etcdserver: invalid auth token", EtcdError::kInvalidToken},
        Row{Code::kFailedPrecondition, "etcdserver: authentication is not enabled",
            EtcdError::kAuthNotEnabled},
        Row{Code::kInvalidArgument,
            "etcdserver: authentication failed, invalid user ID or password",
            EtcdError::kAuthFailed},
        Row{Code::kPermissionDenied, "etcdserver: permission denied", EtcdError::kPermissionDenied},
        Row{Code::kOk, "", EtcdError::kNone}));

TEST(EtcdErrors, OnlyTheRequestsOwnFaultsBlameTheRequest) {
  EXPECT_TRUE(IsRequestsOwnFault(EtcdError::kRequestTooLarge));
  EXPECT_TRUE(IsRequestsOwnFault(EtcdError::kInvalidRequest));
  for (EtcdError e : {EtcdError::kNoSpace, EtcdError::kCorrupt, EtcdError::kTooManyRequests,
                      EtcdError::kUnreachable, EtcdError::kNoLeader, EtcdError::kLeaseNotFound}) {
    EXPECT_FALSE(IsRequestsOwnFault(e)) << EtcdErrorName(e);
  }
  EXPECT_TRUE(IsClusterAlarm(EtcdError::kNoSpace));
  EXPECT_TRUE(IsClusterAlarm(EtcdError::kCorrupt));
  EXPECT_FALSE(IsClusterAlarm(EtcdError::kTooManyRequests));
}

TEST(EtcdErrors, AWatchCancelReasonIsClassifiedByItsText) {
  EXPECT_EQ(ClassifyEtcdErrorText("etcdserver: permission denied"), EtcdError::kPermissionDenied);
  EXPECT_EQ(ClassifyEtcdErrorText("etcdserver: invalid auth token"), EtcdError::kInvalidToken);
  EXPECT_EQ(ClassifyEtcdErrorText("etcdserver: mvcc: required revision has been compacted"),
            EtcdError::kCompacted);
  EXPECT_EQ(ClassifyEtcdErrorText("something else"), EtcdError::kOther);
}

}  // namespace
}  // namespace registrar::etcd
