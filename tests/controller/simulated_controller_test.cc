// The controller's logic in simulated time against an etcd in memory: tests
// ported from controller_test.cc (which run them against a real etcd in real
// time), and faults a real etcd seldom shows. Health is fed by SetHealthy.
#include <gtest/gtest.h>

#include "controller/controller.h"
#include "tests/controller/simulated_fixture.h"

namespace registrar::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Ported from ControllerTest.KeyDeletedBySomeoneElseIsRestored.
TEST_F(SimulatedControllerTest, KeyDeletedBySomeoneElseIsRestored) {
  Controller& c = MakeController();
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.Start();
  ASSERT_TRUE(Eventually([&] { return HasKey("/services/web/127.0.0.1:8081"); }));
  ASSERT_TRUE(etcd_.Delete("/services/web/127.0.0.1:8081").ok());
  ASSERT_TRUE(Eventually([&] {
    return HasKey("/services/web/127.0.0.1:8081", "127.0.0.1:8081") &&
           observer_.drift_repairs.load() >= 1;
  }));
  EXPECT_EQ(Keys()["/services/web/127.0.0.1:8081"].lease, c.Snapshot().lease_id);
}

// Ported from ControllerTest.LeaseRevokedBehindItsBackIsReplacedAndEveryKeyWrittenAgain.
TEST_F(SimulatedControllerTest, LeaseRevokedBehindItsBackIsReplacedAndEveryKeyWrittenAgain) {
  Controller& c = MakeController();
  for (int i = 0; i < 5; ++i) c.SetHealthy(MakeTarget("web", 8000 + i), true);
  c.Start();
  ASSERT_TRUE(Eventually([&] { return KeyCountIs(5) && c.Ready(); }));
  const int64_t old_lease = c.Snapshot().lease_id;
  ASSERT_TRUE(etcd_.LeaseRevoke(old_lease).ok());
  ASSERT_TRUE(Eventually([&] {
    auto keys = Keys();
    if (keys.size() != 5) return false;
    for (const auto& [k, kv] : keys) {
      if (kv.lease == old_lease) return false;
    }
    return true;
  }));
  EXPECT_GE(observer_.regrants.load(), 1);
  EXPECT_NE(c.Snapshot().lease_id, old_lease);
}

// Ported from ControllerTest.KeysOfACrashedControllerExpireWithinTheTtl, and
// sharper: in simulated time the keys are there until the TTL has passed
// since the last keepalive, and gone the moment it has.
TEST_F(SimulatedControllerTest, KeysOfACrashedControllerExpireWithinTheTtl) {
  Controller& c = MakeController();
  for (int i = 0; i < 3; ++i) c.SetHealthy(MakeTarget("web", 8000 + i), true);
  c.Start();
  ASSERT_TRUE(Eventually([&] { return KeyCountIs(3); }));
  const int64_t lease = c.Snapshot().lease_id;
  controller_.reset();  // no revoke: like SIGKILL, the keepalives just stop
  auto left = etcd_.LeaseTimeToLive(lease);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_TRUE(KeyCountIs(3));
  // TimeToLive rounds down: the lease ends in [ttl, ttl + 1) seconds.
  clock_.Advance(seconds(left->ttl_seconds) - milliseconds(1));
  EXPECT_TRUE(KeyCountIs(3)) << "not before its TTL";
  clock_.Advance(seconds(1) + milliseconds(1));
  EXPECT_TRUE(KeyCountIs(0)) << "gone once the TTL since the last keepalive has passed";
}

// A Txn that etcd commits but whose answer never arrives (a member that
// applied it and then failed): the controller retries and converges on
// exactly its keys, each once, under its lease.
TEST_F(SimulatedControllerTest, ATxnThatCommitsWhileItsAnswerIsLostConvergesOnTheSameKeys) {
  etcd_.LoseNextAnswers(1, "txn");
  Controller& c = MakeController();
  for (int i = 0; i < 3; ++i) c.SetHealthy(MakeTarget("web", 8000 + i), true);
  c.Start();
  ASSERT_TRUE(Eventually([&] { return KeyCountIs(3) && c.Ready(); }));
  EXPECT_GE(observer_.reconcile_errors.load(), 1) << "the lost answer was an error";
  for (const auto& [key, kv] : Keys()) {
    EXPECT_EQ(kv.lease, c.Snapshot().lease_id) << key;
    EXPECT_EQ(kv.version, 1) << key << ": written once, not again after the lost answer";
  }
}

// The lease expires between two Txns (etcd paused longer than the TTL, as
// seen from the controller): the next write finds it gone, one new lease is
// granted and every key is written under it.
TEST_F(SimulatedControllerTest, ALeaseThatExpiresBetweenTwoTxnsIsReplacedOnce) {
  Controller& c = MakeController();
  const auto a = MakeTarget("web", 8001);
  c.SetHealthy(a, true);
  c.Start();
  ASSERT_TRUE(Eventually([&] { return KeyCountIs(1) && c.Ready(); }));
  const int64_t old_lease = c.Snapshot().lease_id;
  ASSERT_TRUE(etcd_.ExpireLease(old_lease));
  c.SetHealthy(MakeTarget("web", 8002), true);
  ASSERT_TRUE(Eventually([&] {
    auto keys = Keys();
    return keys.size() == 2 && keys.begin()->second.lease != old_lease &&
           keys.rbegin()->second.lease == keys.begin()->second.lease;
  }));
  EXPECT_EQ(observer_.regrants.load(), 1);
}

// Targets from a source (dnsSd, fileSd, httpSd) come and go with every
// answer: a new list keeps every target still in it as it was (owned,
// healthy, registered), so an addition never costs the others their keys.
TEST_F(SimulatedControllerTest, ANewSourceListKeepsTheTargetsStillInIt) {
  Controller& c = MakeController();
  auto source_target = [](int port) {
    probes::Target t = MakeTarget("web", port);
    t.source = "dnsSd _http._tcp.web.example";
    t.dynamic = true;
    return t;
  };
  std::vector<probes::Target> first;
  for (int i = 0; i < 20; ++i) first.push_back(source_target(8000 + i));
  c.SetTargets(std::make_shared<const TargetSet>(first));
  for (const auto& t : first) c.SetHealthy(t, true);
  c.Start();
  ASSERT_TRUE(Eventually([&] { return KeyCountIs(20); }));
  const std::map<std::string, etcd::KeyValue> before = Keys();

  std::vector<probes::Target> second = first;
  second.push_back(source_target(9000));
  c.SetTargets(std::make_shared<const TargetSet>(second));
  c.SetHealthy(second.back(), true);
  ASSERT_TRUE(Eventually([&] { return HasKey("/services/web/127.0.0.1:9000"); }));
  // A few resyncs later every earlier key is still the one first written.
  int checks = 0;
  ASSERT_TRUE(Eventually([&] { return ++checks > 300; }));  // 3 s in 10 ms steps
  ASSERT_TRUE(Eventually([&] { return c.Snapshot().registered_keys == 21; }));
  const std::map<std::string, etcd::KeyValue> after = Keys();
  for (const auto& [key, kv] : before) {
    ASSERT_TRUE(after.contains(key)) << key << " was deleted";
    EXPECT_EQ(after.at(key).create_revision, kv.create_revision) << key << " was rewritten";
  }
  // And each is still known healthy (not "unknown, key adopted as it is").
  EXPECT_EQ(c.Snapshot().keys_by_target.size(), 21u);
}

}  // namespace
}  // namespace registrar::controller
