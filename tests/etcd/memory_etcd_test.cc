// The in-memory etcd keeps etcd's semantics: every test here runs twice, the
// same assertions against MemoryEtcd (simulated time) and against a real
// etcd (tests/support/etcd_server.h, real time). What differs is only how
// time passes: PassTime() advances the simulated clock, and on the real etcd
// the waits with deadlines that follow it let real time pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "etcd/client.h"
#include "etcd/list_watch.h"
#include "tests/etcd/test_util.h"
#include "tests/support/etcd_server.h"
#include "tests/support/memory_etcd.h"
#include "tests/support/wait.h"

namespace registrar::etcd {
namespace {

using registrar::testing::WaitFor;
using std::chrono::milliseconds;
using std::chrono::seconds;

// How often etcd (started with this flag) and MemoryEtcd report progress.
constexpr Duration kProgressInterval = milliseconds(500);

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Client& client() = 0;
  virtual absl::Status Compact(int64_t revision) = 0;
  // Lets `d` pass: the simulated clock moves; real time passes on its own.
  virtual void PassTime(Duration d) = 0;
};

class MemoryBackend final : public Backend {
 public:
  MemoryBackend() : etcd_(clock_, {.progress_interval = kProgressInterval}) {}
  Client& client() override { return etcd_; }
  absl::Status Compact(int64_t revision) override { return etcd_.Compact(revision); }
  void PassTime(Duration d) override { clock_.Advance(d); }

 private:
  SimulatedClock clock_;
  registrar::testing::MemoryEtcd etcd_;
};

// One real etcd for the suite; each test works under its own prefix.
class RealBackend final : public Backend {
 public:
  static testing::EtcdServer* server;
  RealBackend() {
    ClientOptions options;
    options.endpoints = {server->endpoint()};
    client_ = NewClient(options);
  }
  Client& client() override { return *client_; }
  absl::Status Compact(int64_t revision) override {
    int code = -1;
    const std::string out = server->EtcdCtl({"compact", std::to_string(revision)}, &code);
    return code == 0 ? absl::OkStatus() : absl::OutOfRangeError(out);
  }
  void PassTime(Duration) override {}

 private:
  std::unique_ptr<Client> client_;
};
testing::EtcdServer* RealBackend::server = nullptr;

class EtcdSemantics : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() {
    delete RealBackend::server;
    RealBackend::server = nullptr;
  }

  void SetUp() override {
    if (GetParam() == "Memory") {
      backend_ = std::make_unique<MemoryBackend>();
    } else {
      if (RealBackend::server == nullptr) {  // started once, for the first real test only
        RealBackend::server = new testing::EtcdServer(testing::EtcdServer::Options{
            .extra_args = {"--experimental-watch-progress-notify-interval=500ms"}});
        absl::Status started = RealBackend::server->Start();
        ASSERT_TRUE(started.ok()) << started << RealBackend::server->log();
      }
      backend_ = std::make_unique<RealBackend>();
    }
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    prefix_ = std::string("/") + info->name() + "/";
  }

  Client& c() { return backend_->client(); }
  std::string K(const std::string& name) const { return prefix_ + name; }
  int64_t Revision() { return ValueOrDie(c().Range(K(""), {})).revision; }
  KeyValue Get(const std::string& key) {
    RangeResult r = ValueOrDie(c().Range(key, {}));
    EXPECT_EQ(r.kvs.size(), 1u) << key;
    return r.kvs.empty() ? KeyValue{} : r.kvs[0];
  }
  size_t Count(const std::string& key, bool prefix) {
    RangeOptions options;
    options.prefix = prefix;
    return ValueOrDie(c().Range(key, options)).kvs.size();
  }
  static Op PutOp(std::string key, std::string value, int64_t lease = 0) {
    return Op{
        .type = Op::Type::kPut, .key = std::move(key), .value = std::move(value), .lease = lease};
  }
  static Op DeleteOp(std::string key, bool prefix = false) {
    return Op{.type = Op::Type::kDelete, .key = std::move(key), .prefix = prefix};
  }
  static Compare Cmp(std::string key, Compare::Target target, Compare::Result result,
                     int64_t number, std::string value = "", std::string range_end = "") {
    return Compare{.key = std::move(key),
                   .range_end = std::move(range_end),
                   .target = target,
                   .result = result,
                   .number = number,
                   .value = std::move(value)};
  }

  std::unique_ptr<Backend> backend_;
  std::string prefix_;
};

TEST_P(EtcdSemantics, EveryWriteRaisesTheRevisionOnceAndKeysKeepCreateModAndVersion) {
  const int64_t start = Revision();
  const int64_t r1 = ValueOrDie(c().Put(K("a"), "1"));
  EXPECT_EQ(r1, start + 1);
  KeyValue a = Get(K("a"));
  EXPECT_EQ(a.create_revision, r1);
  EXPECT_EQ(a.mod_revision, r1);
  EXPECT_EQ(a.version, 1);
  const int64_t r2 = ValueOrDie(c().Put(K("a"), "2"));
  a = Get(K("a"));
  EXPECT_EQ(a.create_revision, r1);
  EXPECT_EQ(a.mod_revision, r2);
  EXPECT_EQ(a.version, 2);
  EXPECT_EQ(a.value, "2");
  // A Txn's writes share one revision.
  TxnResult txn = ValueOrDie(c().Txn({}, {PutOp(K("b"), "x"), PutOp(K("c"), "y")}));
  EXPECT_EQ(txn.revision, r2 + 1);
  EXPECT_EQ(Get(K("b")).mod_revision, txn.revision);
  EXPECT_EQ(Get(K("c")).mod_revision, txn.revision);
  // Deleting starts the key's life over.
  DeleteResult del = ValueOrDie(c().Delete(K("a")));
  EXPECT_EQ(del.deleted, 1);
  EXPECT_EQ(del.revision, txn.revision + 1);
  const int64_t r5 = ValueOrDie(c().Put(K("a"), "3"));
  a = Get(K("a"));
  EXPECT_EQ(a.create_revision, r5);
  EXPECT_EQ(a.version, 1);
  // A request that changes nothing does not raise the revision.
  EXPECT_EQ(ValueOrDie(c().Delete(K("missing"))).deleted, 0);
  EXPECT_EQ(ValueOrDie(c().Txn({}, {DeleteOp(K("missing"))})).revision, r5);
  EXPECT_EQ(Revision(), r5);
}

TEST_P(EtcdSemantics, RangeReadsPrefixesEndsLimitsCountsAndOldRevisions) {
  for (const char* k : {"a", "b", "c", "d"}) ValueOrDie(c().Put(K(k), std::string("v") + k));
  const int64_t before = ValueOrDie(c().Put(K("e"), "old"));
  ValueOrDie(c().Put(K("e"), "new"));

  RangeOptions prefix{.prefix = true};
  RangeResult all = ValueOrDie(c().Range(K(""), prefix));
  ASSERT_EQ(all.kvs.size(), 5u);
  EXPECT_EQ(all.kvs[0].key, K("a"));
  EXPECT_EQ(all.kvs[4].key, K("e"));
  EXPECT_EQ(all.count, 5);
  EXPECT_FALSE(all.more);

  RangeResult explicit_end = ValueOrDie(c().Range(K("b"), {.range_end = K("d")}));
  ASSERT_EQ(explicit_end.kvs.size(), 2u);
  EXPECT_EQ(explicit_end.kvs[1].key, K("c"));

  RangeResult limited = ValueOrDie(c().Range(K(""), {.prefix = true, .limit = 2}));
  EXPECT_EQ(limited.kvs.size(), 2u);
  EXPECT_TRUE(limited.more);
  EXPECT_EQ(limited.count, 5);

  RangeResult counted = ValueOrDie(c().Range(K(""), {.prefix = true, .count_only = true}));
  EXPECT_TRUE(counted.kvs.empty());
  EXPECT_EQ(counted.count, 5);

  RangeResult keys = ValueOrDie(c().Range(K(""), {.prefix = true, .keys_only = true}));
  ASSERT_EQ(keys.kvs.size(), 5u);
  EXPECT_EQ(keys.kvs[0].value, "");
  EXPECT_GT(keys.kvs[0].mod_revision, 0);

  RangeResult old = ValueOrDie(c().Range(K("e"), {.revision = before}));
  ASSERT_EQ(old.kvs.size(), 1u);
  EXPECT_EQ(old.kvs[0].value, "old");
  EXPECT_EQ(old.revision, Revision());

  // "\0" as range_end: every key from the start key on.
  RangeResult from = ValueOrDie(c().Range(K("d"), {.range_end = std::string(1, '\0')}));
  ASSERT_GE(from.kvs.size(), 2u);
  EXPECT_EQ(from.kvs[0].key, K("d"));
  EXPECT_EQ(from.kvs[1].key, K("e"));

  EXPECT_EQ(c().Range(K("a"), {.revision = Revision() + 10}).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST_P(EtcdSemantics, TxnComparesEveryTargetAndAMissingKeyIsZerosWithNoValue) {
  const int64_t lease = ValueOrDie(c().LeaseGrant(30)).id;
  const int64_t rev = ValueOrDie(c().Put(K("k"), "v", lease));
  using T = Compare::Target;
  using R = Compare::Result;
  auto holds = [&](const Compare& cmp) { return ValueOrDie(c().Txn({cmp}, {}, {})).succeeded; };
  EXPECT_TRUE(holds(Cmp(K("k"), T::kVersion, R::kEqual, 1)));
  EXPECT_TRUE(holds(Cmp(K("k"), T::kCreateRevision, R::kEqual, rev)));
  EXPECT_TRUE(holds(Cmp(K("k"), T::kModRevision, R::kLess, rev + 1)));
  EXPECT_FALSE(holds(Cmp(K("k"), T::kModRevision, R::kGreater, rev)));
  EXPECT_TRUE(holds(Cmp(K("k"), T::kValue, R::kEqual, 0, "v")));
  EXPECT_TRUE(holds(Cmp(K("k"), T::kValue, R::kGreater, 0, "u")));
  EXPECT_TRUE(holds(Cmp(K("k"), T::kValue, R::kNotEqual, 0, "w")));
  EXPECT_TRUE(holds(Cmp(K("k"), T::kLease, R::kEqual, lease)));
  EXPECT_FALSE(holds(Cmp(K("k"), T::kLease, R::kEqual, 0)));
  // A key that does not exist: version/create/mod/lease compare as 0 ...
  EXPECT_TRUE(holds(Cmp(K("none"), T::kVersion, R::kEqual, 0)));
  EXPECT_TRUE(holds(Cmp(K("none"), T::kCreateRevision, R::kEqual, 0)));
  EXPECT_TRUE(holds(Cmp(K("none"), T::kLease, R::kEqual, 0)));
  // ... and any compare of its value fails.
  EXPECT_FALSE(holds(Cmp(K("none"), T::kValue, R::kEqual, 0, "")));
  EXPECT_FALSE(holds(Cmp(K("none"), T::kValue, R::kNotEqual, 0, "x")));
}

TEST_P(EtcdSemantics, TxnRunsTheBranchItsComparesChoose) {
  using T = Compare::Target;
  using R = Compare::Result;
  // Create-if-absent, twice: the second runs the failure branch.
  for (int i = 0; i < 2; ++i) {
    TxnResult r = ValueOrDie(c().Txn({Cmp(K("lock"), T::kCreateRevision, R::kEqual, 0)},
                                     {PutOp(K("lock"), "mine")}, {PutOp(K("lost"), "yes")}));
    EXPECT_EQ(r.succeeded, i == 0);
  }
  EXPECT_EQ(Get(K("lock")).version, 1);
  EXPECT_EQ(Get(K("lost")).value, "yes");
  // A delete with prefix in a branch.
  TxnResult r = ValueOrDie(c().Txn({}, {DeleteOp(K(""), /*prefix=*/true)}));
  EXPECT_TRUE(r.succeeded);
  EXPECT_EQ(Count(K(""), true), 0u);
  // One key put twice in one branch is refused, and nothing is written.
  EXPECT_EQ(c().Txn({}, {PutOp(K("x"), "1"), PutOp(K("x"), "2")}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Count(K("x"), false), 0u);
}

// etcd's Compare.range_end: the compare holds when it holds for every key in
// the range (the fencing of registration writes relies on it).
TEST_P(EtcdSemantics, ACompareWithRangeEndHoldsOnlyWhenItHoldsForEveryKey) {
  using T = Compare::Target;
  using R = Compare::Result;
  const std::string members = K("members/");
  const std::string end = PrefixEnd(members);
  auto holds = [&](const Compare& cmp) { return ValueOrDie(c().Txn({cmp}, {}, {})).succeeded; };
  // No key in the range: a revision compare sees zeros, a value compare fails.
  EXPECT_TRUE(holds(Cmp(members, T::kCreateRevision, R::kLess, 1, "", end)));
  EXPECT_FALSE(holds(Cmp(members, T::kValue, R::kEqual, 0, "", end)));
  const int64_t first = ValueOrDie(c().Put(members + "a", "1"));
  const int64_t second = ValueOrDie(c().Put(members + "b", "1"));
  // "No member joined after my view": every create revision < view + 1.
  EXPECT_TRUE(holds(Cmp(members, T::kCreateRevision, R::kLess, second + 1, "", end)));
  EXPECT_FALSE(holds(Cmp(members, T::kCreateRevision, R::kLess, first + 1, "", end)));
  EXPECT_TRUE(holds(Cmp(members, T::kValue, R::kEqual, 0, "1", end)));
  ValueOrDie(c().Put(members + "c", "2"));
  EXPECT_FALSE(holds(Cmp(members, T::kValue, R::kEqual, 0, "1", end)));
  // Keys outside the range do not count.
  ValueOrDie(c().Put(K("members0"), "9"));
  EXPECT_TRUE(holds(Cmp(members, T::kVersion, R::kEqual, 1, "", end)));
}

TEST_P(EtcdSemantics, LeasesAttachKeysAndRevokingDeletesThemAtOneRevision) {
  Lease lease = ValueOrDie(c().LeaseGrant(1));
  EXPECT_EQ(lease.ttl_seconds, 2) << "etcd raises a TTL to its minimum";
  lease = ValueOrDie(c().LeaseGrant(30));
  EXPECT_EQ(lease.ttl_seconds, 30);
  ValueOrDie(c().Put(K("a"), "1", lease.id));
  ValueOrDie(c().Txn({}, {PutOp(K("b"), "1", lease.id)}));
  ValueOrDie(c().Put(K("kept"), "1"));
  EXPECT_EQ(Get(K("a")).lease, lease.id);
  LeaseInfo info = ValueOrDie(c().LeaseTimeToLive(lease.id));
  EXPECT_EQ(info.granted_ttl_seconds, 30);
  EXPECT_GT(info.ttl_seconds, 0);
  EXPECT_LE(info.ttl_seconds, 30);
  std::unique_ptr<KeepAliveStream> keepalive = ValueOrDie(c().OpenKeepAlive(lease.id));
  EXPECT_EQ(ValueOrDie(keepalive->KeepAliveOnce()), 30);

  const int64_t before = Revision();
  ASSERT_TRUE(c().LeaseRevoke(lease.id).ok());
  EXPECT_EQ(Revision(), before + 1) << "both keys go at one revision";
  EXPECT_EQ(Count(K("a"), false), 0u);
  EXPECT_EQ(Count(K("b"), false), 0u);
  EXPECT_EQ(Count(K("kept"), false), 1u);
  EXPECT_EQ(c().LeaseTimeToLive(lease.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c().LeaseRevoke(lease.id).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(keepalive->KeepAliveOnce().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c().Put(K("c"), "1", lease.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Count(K("c"), false), 0u);
}

TEST_P(EtcdSemantics, ALeaseNotKeptAliveExpiresWithItsKeys) {
  Lease lease = ValueOrDie(c().LeaseGrant(2));
  ValueOrDie(c().Put(K("a"), "1", lease.id));
  backend_->PassTime(seconds(1));
  EXPECT_EQ(Count(K("a"), false), 1u);
  backend_->PassTime(seconds(2));
  EXPECT_TRUE(WaitFor([&] { return Count(K("a"), false) == 0; }, seconds(10)));
  EXPECT_EQ(c().LeaseTimeToLive(lease.id).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(EtcdSemantics, AWatchFromARevisionSeesEveryEventInOrderWithPrevKv) {
  const int64_t first = ValueOrDie(c().Put(K("a"), "1"));
  ValueOrDie(c().Put(K("a"), "2"));
  ValueOrDie(c().Put(K("other"), "x"));
  const int64_t deleted = ValueOrDie(c().Delete(K("a"))).revision;
  std::unique_ptr<WatchStream> watch = ValueOrDie(
      c().OpenWatch({.key = K("a"), .prefix = false, .start_revision = first, .prev_kv = true}));
  std::vector<WatchEvent> events;
  ASSERT_TRUE(WaitFor([&] {
    auto r = watch->Next(seconds(5));
    if (r.ok()) {
      EXPECT_GE(r->header_revision, r->events.empty() ? 0 : r->events.back().kv.mod_revision);
      events.insert(events.end(), r->events.begin(), r->events.end());
    }
    return events.size() >= 3;
  }));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(events[0].kv.value, "1");
  EXPECT_FALSE(events[0].prev_kv.has_value());
  EXPECT_EQ(events[1].kv.value, "2");
  ASSERT_TRUE(events[1].prev_kv.has_value());
  EXPECT_EQ(events[1].prev_kv->value, "1");
  EXPECT_EQ(events[1].kv.version, 2);
  EXPECT_EQ(events[2].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[2].kv.key, K("a"));
  EXPECT_EQ(events[2].kv.mod_revision, deleted);
  ASSERT_TRUE(events[2].prev_kv.has_value());
  EXPECT_EQ(events[2].prev_kv->value, "2");
  // A new write after the history arrives on the same watch.
  const int64_t later = ValueOrDie(c().Put(K("a"), "3"));
  WatchResponse next = ValueOrDie(watch->Next(seconds(5)));
  ASSERT_EQ(next.events.size(), 1u);
  EXPECT_EQ(next.events[0].kv.mod_revision, later);
  EXPECT_EQ(next.events[0].kv.create_revision, later);
}

TEST_P(EtcdSemantics, AWatchFromACompactedRevisionIsCanceledWithTheCompactRevision) {
  const int64_t first = ValueOrDie(c().Put(K("a"), "1"));
  ValueOrDie(c().Put(K("a"), "2"));
  const int64_t last = ValueOrDie(c().Put(K("a"), "3"));
  ASSERT_TRUE(backend_->Compact(last).ok());
  EXPECT_FALSE(backend_->Compact(last).ok()) << "compacted already";
  EXPECT_EQ(c().Range(K("a"), {.revision = first}).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ValueOrDie(c().Range(K("a"), {.revision = last})).kvs.at(0).value, "3");

  std::unique_ptr<WatchStream> watch =
      ValueOrDie(c().OpenWatch({.key = K(""), .prefix = true, .start_revision = first}));
  WatchResponse response = ValueOrDie(watch->Next(seconds(5)));
  EXPECT_TRUE(response.canceled);
  EXPECT_EQ(response.compact_revision, last);
  EXPECT_TRUE(response.events.empty());
  EXPECT_EQ(watch->Next(milliseconds(100)).status().code(), absl::StatusCode::kUnavailable);
  // From the compact revision itself, the history is still there.
  std::unique_ptr<WatchStream> from_last =
      ValueOrDie(c().OpenWatch({.key = K(""), .prefix = true, .start_revision = last}));
  WatchResponse at_last = ValueOrDie(from_last->Next(seconds(5)));
  EXPECT_FALSE(at_last.canceled);
  ASSERT_EQ(at_last.events.size(), 1u);
  EXPECT_EQ(at_last.events[0].kv.value, "3");
}

TEST_P(EtcdSemantics, AQuietWatchWithProgressNotifyGetsAProgressReportAtTheCurrentRevision) {
  std::unique_ptr<WatchStream> watch =
      ValueOrDie(c().OpenWatch({.key = K(""), .prefix = true, .progress_notify = true}));
  ValueOrDie(c().Put(K("a"), "1"));
  WatchResponse put = ValueOrDie(watch->Next(seconds(5)));
  ASSERT_EQ(put.events.size(), 1u);
  const int64_t now = Revision();
  backend_->PassTime(kProgressInterval * 3);
  WatchResponse progress = ValueOrDie(watch->Next(seconds(5)));
  EXPECT_TRUE(progress.events.empty());
  EXPECT_FALSE(progress.canceled);
  EXPECT_EQ(progress.header_revision, now);
}

// etcd/list_watch.h on both backends: a listing is one revision, however
// many pages and prefixes; the watch that follows it misses nothing and says
// when it must be listed again.
TEST_P(EtcdSemantics, AListingIsOneRevisionAcrossPagesAndPrefixes) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(c().Put(K("a/") + std::to_string(i), "v", 0).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c().Put(K("b/") + std::to_string(i), "v", 0).ok());
  int pages = 0;
  // Between pages someone writes under both prefixes: the listing must not see it.
  auto listed =
      ListPrefixes(c(), {K("a/"), K("b/")}, {.page = 2, .stopping = [&] {
                                               if (++pages == 2) {
                                                 EXPECT_TRUE(c().Put(K("a/late"), "v", 0).ok());
                                                 EXPECT_TRUE(c().Put(K("b/late"), "v", 0).ok());
                                               }
                                               return false;
                                             }});
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_GE(pages, 6);  // 4 pages of a/, 2 of b/
  ASSERT_EQ(listed->kvs.size(), 10u);
  for (const auto& kv : listed->kvs) EXPECT_FALSE(kv.key.ends_with("late")) << kv.key;
  EXPECT_EQ(listed->revision, Revision() - 2);

  // Watching from the next revision delivers exactly what the listing missed.
  auto watch = PrefixWatch::Open(c(), {{K("a/"), K("b/")}, listed->revision + 1});
  ASSERT_TRUE(watch.ok()) << watch.status();
  std::vector<std::string> seen;
  ASSERT_TRUE(WaitFor([&] {
    WatchStep step = (*watch)->Next(milliseconds(100));
    EXPECT_FALSE(step.Ended()) << step.status;
    for (const auto& e : step.events) seen.push_back(e.kv.key);
    backend_->PassTime(milliseconds(100));
    return seen.size() >= 2;
  }));
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{K("a/late"), K("b/late")}));
}

TEST_P(EtcdSemantics, AWatchFromACompactedRevisionSaysListAgain) {
  ASSERT_TRUE(c().Put(K("k"), "1", 0).ok());
  const int64_t old = Revision();
  ASSERT_TRUE(c().Put(K("k"), "2", 0).ok());
  ASSERT_TRUE(c().Put(K("k"), "3", 0).ok());
  ASSERT_TRUE(backend_->Compact(Revision()).ok());
  auto watch = PrefixWatch::Open(c(), {{K("")}, old});
  ASSERT_TRUE(watch.ok()) << watch.status();
  WatchStep step;
  ASSERT_TRUE(WaitFor([&] {
    step = (*watch)->Next(milliseconds(100));
    backend_->PassTime(milliseconds(100));
    return step.Ended();
  }));
  EXPECT_EQ(step.kind, WatchStep::Kind::kCompacted) << step.status;
  EXPECT_GE(step.compact_revision, old);
}

TEST_P(EtcdSemantics, CancellingAWatchEndsTheNextInProgress) {
  auto watch = PrefixWatch::Open(c(), {{K("")}, 0});
  ASSERT_TRUE(watch.ok()) << watch.status();
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(50));  // let Next() start waiting
    (*watch)->Cancel();
  });
  const WatchStep step = (*watch)->Next(seconds(30));
  canceller.join();
  EXPECT_EQ(step.kind, WatchStep::Kind::kBroken);
  EXPECT_TRUE(step.Ended());
}

INSTANTIATE_TEST_SUITE_P(Backends, EtcdSemantics, ::testing::Values("Memory", "Etcd"),
                         [](const auto& info) { return info.param; });

// The fault hooks, which a real etcd has no twin of.
TEST(MemoryEtcdFaults, FailNextFailsThatManyCallsOfItsOpAndChangesNothing) {
  SimulatedClock clock;
  registrar::testing::MemoryEtcd etcd(clock);
  etcd.FailNext(2, absl::UnavailableError("down"), "put");
  EXPECT_EQ(etcd.Put("/a", "1").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(etcd.Range("/a", {}).ok()) << "other operations are not failed";
  EXPECT_EQ(etcd.Put("/a", "1").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ValueOrDie(etcd.Range("/a", {})).count, 0);
  EXPECT_TRUE(etcd.Put("/a", "1").ok());
  EXPECT_EQ(etcd.Calls("put"), 3);
}

TEST(MemoryEtcdFaults, ALostAnswerStillCommits) {
  SimulatedClock clock;
  registrar::testing::MemoryEtcd etcd(clock);
  etcd.LoseNextAnswers(1, "txn");
  const Op put{.type = Op::Type::kPut, .key = "/a", .value = "1"};
  EXPECT_EQ(etcd.Txn({}, {put}).status().code(), absl::StatusCode::kDeadlineExceeded);
  RangeResult after = ValueOrDie(etcd.Range("/a", {}));
  ASSERT_EQ(after.kvs.size(), 1u);
  EXPECT_EQ(after.kvs[0].value, "1");
  EXPECT_TRUE(etcd.Txn({}, {put}).ok()) << "only the next answer was lost";
}

TEST(MemoryEtcdFaults, ExpireLeaseEndsALeaseNowWithItsKeys) {
  SimulatedClock clock;
  registrar::testing::MemoryEtcd etcd(clock);
  const int64_t id = ValueOrDie(etcd.LeaseGrant(60)).id;
  ValueOrDie(etcd.Put("/a", "1", id));
  EXPECT_TRUE(etcd.ExpireLease(id));
  EXPECT_EQ(ValueOrDie(etcd.Range("/a", {})).count, 0);
  EXPECT_EQ(etcd.LeaseTimeToLive(id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(etcd.ExpireLease(id));
}

// A watch blocked in Next() on the simulated clock wakes for a write, and
// for a lease that expires as time is advanced.
TEST(MemoryEtcdTime, ABlockedWatchWakesForAnExpiryWhenTimeIsAdvanced) {
  SimulatedClock clock;
  registrar::testing::MemoryEtcd etcd(clock);
  const int64_t id = ValueOrDie(etcd.LeaseGrant(5)).id;
  ValueOrDie(etcd.Put("/a", "1", id));
  std::unique_ptr<WatchStream> watch = ValueOrDie(etcd.OpenWatch({.key = "/a"}));
  absl::StatusOr<WatchResponse> got = absl::UnknownError("not yet");
  std::thread reader([&] { got = watch->Next(std::chrono::hours(1)); });
  ASSERT_TRUE(WaitFor([&] { return clock.waiters() == 1; }));
  clock.Advance(seconds(4));
  ASSERT_TRUE(WaitFor([&] { return clock.waiters() == 1 && clock.NextDeadline() > clock.Now(); }));
  clock.Advance(seconds(1));
  reader.join();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->events.size(), 1u);
  EXPECT_EQ(got->events[0].type, WatchEvent::Type::kDelete);
}

}  // namespace
}  // namespace registrar::etcd
