// Range / Put / Delete / Txn against a real etcd.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/etcd/test_util.h"

namespace registrar::etcd {
namespace {

TEST(PrefixEnd, IncrementsLastByteAndDropsTrailingFf) {
  EXPECT_EQ(PrefixEnd("/services/"), "/services0");
  EXPECT_EQ(PrefixEnd("a\xff"), "b");
  EXPECT_EQ(PrefixEnd(""), std::string(1, '\0'));
  EXPECT_EQ(PrefixEnd("\xff\xff"), std::string(1, '\0'));
}

using KvTest = EtcdClientTest;

TEST_F(KvTest, PutThenRangeReturnsValueAndRevisions) {
  const int64_t revision = ValueOrDie(client_->Put("/t/a", "1"));
  RangeResult result = ValueOrDie(client_->Range("/t/a", {}));
  ASSERT_EQ(result.kvs.size(), 1u);
  EXPECT_EQ(result.kvs[0].key, "/t/a");
  EXPECT_EQ(result.kvs[0].value, "1");
  EXPECT_EQ(result.kvs[0].mod_revision, revision);
  EXPECT_EQ(result.kvs[0].create_revision, revision);
  EXPECT_EQ(result.kvs[0].version, 1);
  EXPECT_EQ(result.revision, revision);
}

TEST_F(KvTest, RangeOfMissingKeyIsEmptyNotAnError) {
  RangeResult result = ValueOrDie(client_->Range("/t/missing", {}));
  EXPECT_TRUE(result.kvs.empty());
  EXPECT_GT(result.revision, 0);
}

TEST_F(KvTest, RangeWithPrefixAndLimitSaysThereIsMore) {
  for (const char* key : {"/t/a", "/t/b", "/t/c", "/u/x"}) ValueOrDie(client_->Put(key, "v"));
  RangeResult all = ValueOrDie(client_->Range("/t/", {.prefix = true}));
  ASSERT_EQ(all.kvs.size(), 3u);
  EXPECT_EQ(all.kvs[0].key, "/t/a");
  EXPECT_EQ(all.kvs[2].key, "/t/c");
  EXPECT_FALSE(all.more);

  RangeResult page = ValueOrDie(client_->Range("/t/", {.prefix = true, .limit = 2}));
  EXPECT_EQ(page.kvs.size(), 2u);
  EXPECT_TRUE(page.more);
  EXPECT_EQ(page.count, 3);

  RangeResult counted = ValueOrDie(client_->Range("/t/", {.prefix = true, .count_only = true}));
  EXPECT_TRUE(counted.kvs.empty());
  EXPECT_EQ(counted.count, 3);

  RangeResult explicit_end = ValueOrDie(client_->Range("/t/a", {.range_end = "/t/c"}));
  EXPECT_EQ(explicit_end.kvs.size(), 2u);
}

TEST_F(KvTest, RangeAtAnOlderRevisionSeesTheOldValue) {
  const int64_t first = ValueOrDie(client_->Put("/t/a", "old"));
  ValueOrDie(client_->Put("/t/a", "new"));
  RangeResult result = ValueOrDie(client_->Range("/t/a", {.revision = first}));
  ASSERT_EQ(result.kvs.size(), 1u);
  EXPECT_EQ(result.kvs[0].value, "old");
}

TEST_F(KvTest, PutWithLeaseAttachesTheLease) {
  Lease lease = ValueOrDie(client_->LeaseGrant(30));
  ValueOrDie(client_->Put("/t/a", "v", lease.id));
  RangeResult result = ValueOrDie(client_->Range("/t/a", {}));
  ASSERT_EQ(result.kvs.size(), 1u);
  EXPECT_EQ(result.kvs[0].lease, lease.id);
}

TEST_F(KvTest, DeleteRemovesOneKeyOrAWholePrefix) {
  for (const char* key : {"/t/a", "/t/b", "/t/c", "/u/x"}) ValueOrDie(client_->Put(key, "v"));
  DeleteResult one = ValueOrDie(client_->Delete("/t/a"));
  EXPECT_EQ(one.deleted, 1);
  DeleteResult rest = ValueOrDie(client_->Delete("/t/", /*prefix=*/true));
  EXPECT_EQ(rest.deleted, 2);
  EXPECT_GT(rest.revision, one.revision);
  EXPECT_TRUE(ValueOrDie(client_->Range("/t/", {.prefix = true})).kvs.empty());
  EXPECT_EQ(ValueOrDie(client_->Range("/u/x", {})).kvs.size(), 1u);
  EXPECT_EQ(ValueOrDie(client_->Delete("/t/none")).deleted, 0);
}

TEST_F(KvTest, TxnWithPassingCompareAppliesTheSuccessOps) {
  ValueOrDie(client_->Put("/t/old", "v"));
  TxnResult result = ValueOrDie(
      client_->Txn({{.key = "/t/new", .target = Compare::Target::kCreateRevision, .number = 0}},
                   {{.type = Op::Type::kPut, .key = "/t/new", .value = "created"},
                    {.type = Op::Type::kDelete, .key = "/t/old"}}));
  EXPECT_TRUE(result.succeeded);
  RangeResult created = ValueOrDie(client_->Range("/t/new", {}));
  ASSERT_EQ(created.kvs.size(), 1u);
  EXPECT_EQ(created.kvs[0].value, "created");
  EXPECT_EQ(created.kvs[0].mod_revision, result.revision);
  EXPECT_TRUE(ValueOrDie(client_->Range("/t/old", {})).kvs.empty());
}

TEST_F(KvTest, TxnWithFailingCompareAppliesNothingButTheFailureOps) {
  ValueOrDie(client_->Put("/t/a", "current"));
  TxnResult result = ValueOrDie(
      client_->Txn({{.key = "/t/a", .target = Compare::Target::kValue, .value = "expected"},
                    {.key = "/t/a",
                     .target = Compare::Target::kVersion,
                     .result = Compare::Result::kGreater,
                     .number = 0}},
                   {{.type = Op::Type::kPut, .key = "/t/a", .value = "overwritten"},
                    {.type = Op::Type::kPut, .key = "/t/b", .value = "x"}},
                   {{.type = Op::Type::kPut, .key = "/t/failed", .value = "yes"}}));
  EXPECT_FALSE(result.succeeded);
  EXPECT_EQ(ValueOrDie(client_->Range("/t/a", {})).kvs.at(0).value, "current");
  EXPECT_TRUE(ValueOrDie(client_->Range("/t/b", {})).kvs.empty());
  EXPECT_EQ(ValueOrDie(client_->Range("/t/failed", {})).kvs.size(), 1u);
}

TEST_F(KvTest, TxnComparesModRevisionAndLease) {
  Lease lease = ValueOrDie(client_->LeaseGrant(30));
  const int64_t revision = ValueOrDie(client_->Put("/t/a", "v", lease.id));
  TxnResult result = ValueOrDie(
      client_->Txn({{.key = "/t/a", .target = Compare::Target::kModRevision, .number = revision},
                    {.key = "/t/a", .target = Compare::Target::kLease, .number = lease.id},
                    {.key = "/t/a",
                     .target = Compare::Target::kValue,
                     .result = Compare::Result::kNotEqual,
                     .value = "other"}},
                   {{.type = Op::Type::kDelete, .key = "/t/a"}}));
  EXPECT_TRUE(result.succeeded);
  EXPECT_TRUE(ValueOrDie(client_->Range("/t/a", {})).kvs.empty());
}

std::vector<Op> Puts(int count) {
  std::vector<Op> ops;
  for (int i = 0; i < count; ++i) {
    ops.push_back({.type = Op::Type::kPut, .key = "/t/k" + std::to_string(i), .value = "v"});
  }
  return ops;
}

TEST_F(KvTest, TxnWith128OpsIsApplied) {
  TxnResult result = ValueOrDie(client_->Txn({}, Puts(128)));
  EXPECT_TRUE(result.succeeded);
  EXPECT_EQ(ValueOrDie(client_->Range("/t/", {.prefix = true, .count_only = true})).count, 128);
}

TEST_F(KvTest, TxnOverOneHundredTwentyEightOpsIsRejectedAndAppliesNothing) {
  absl::StatusOr<TxnResult> result = client_->Txn({}, Puts(100), Puts(29));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("128"), std::string::npos) << result.status();
  EXPECT_TRUE(ValueOrDie(client_->Range("/t/", {.prefix = true})).kvs.empty());
}

}  // namespace
}  // namespace registrar::etcd
