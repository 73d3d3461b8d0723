// The LeaseKeeper in simulated time against an etcd in memory: its waits are
// the clock's, so minutes of renewals take milliseconds.
#include "cluster/lease_keeper.h"

#include <gtest/gtest.h>

#include <atomic>

#include "tests/support/memory_etcd.h"
#include "tests/support/wait.h"

namespace registrar::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class LeaseKeeperTest : public ::testing::Test {
 protected:
  LeaseKeeperTest()
      : keeper_("test", etcd_, clock_, random_, /*ttl_seconds=*/3, BackoffOptions{},
                LeaseKeeperEvents{
                    .granted = [this](const HeldLease&, bool) { ++granted_; },
                    .lost = [this](int64_t) { ++lost_; },
                    .keepalive_failed = [this](const absl::Status&) { ++failed_; },
                }) {}
  ~LeaseKeeperTest() override { keeper_.Stop(false); }

  // Advances simulated time by `d` in steps the keeper follows: before each
  // step it waits (real time, with a deadline) until the keeper is blocked on
  // the clock again, for a time still to come.
  void Pass(Duration d, Duration step = milliseconds(100)) {
    for (Duration passed{}; passed < d; passed += step) {
      if (!KeeperWaiting()) return;
      clock_.Advance(step);
    }
    KeeperWaiting();
  }
  bool KeeperWaiting() {
    const bool waiting = testing::WaitFor(
        [&] { return clock_.waiters() > 0 && clock_.NextDeadline() > clock_.Now(); }, seconds(10));
    EXPECT_TRUE(waiting) << "the keeper is not waiting on the clock";
    return waiting;
  }

  SimulatedClock clock_;
  testing::MemoryEtcd etcd_{clock_};
  SystemRandom random_{1};
  std::atomic<int> granted_{0};
  std::atomic<int> lost_{0};
  std::atomic<int> failed_{0};
  LeaseKeeper keeper_;
};

TEST_F(LeaseKeeperTest, RenewsEveryThirdOfTheTtlAndKeepsTheLeaseForAMinute) {
  keeper_.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return keeper_.Current().id != 0; }, seconds(10)));
  const int64_t id = keeper_.Current().id;
  Pass(std::chrono::minutes(1), milliseconds(500));
  EXPECT_EQ(keeper_.Current().id, id);
  EXPECT_TRUE(etcd_.LeaseTimeToLive(id).ok());
  // 60 s at one renewal a second (TTL 3 s / 3): about 60.
  EXPECT_GE(etcd_.Calls("lease_keepalive"), 55);
  EXPECT_LE(etcd_.Calls("lease_keepalive"), 65);
  EXPECT_EQ(granted_.load(), 1);
  EXPECT_EQ(lost_.load(), 0);
}

TEST_F(LeaseKeeperTest, ALeaseThatExpiresIsReplacedByExactlyOneNewLease) {
  keeper_.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return keeper_.Current().id != 0; }, seconds(10)));
  const HeldLease first = keeper_.Current();
  ASSERT_TRUE(etcd_.ExpireLease(first.id));
  Pass(seconds(2));
  ASSERT_TRUE(testing::WaitFor([&] { return granted_.load() == 2; }, seconds(10)));
  EXPECT_EQ(lost_.load(), 1);
  EXPECT_NE(keeper_.Current().id, first.id);
  EXPECT_EQ(keeper_.Current().generation, first.generation + 1);
}

TEST_F(LeaseKeeperTest, KeepalivesThatFailKeepTheLeaseWhileRetriesFitInTheTtl) {
  keeper_.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return keeper_.Current().id != 0; }, seconds(10)));
  const int64_t id = keeper_.Current().id;
  etcd_.FailNext(2, absl::UnavailableError("etcd away"), "lease_keepalive");
  Pass(seconds(10));
  EXPECT_EQ(failed_.load(), 2);
  EXPECT_EQ(keeper_.Current().id, id) << "two failed renewals, retried within the TTL";
  EXPECT_EQ(lost_.load(), 0);
}

}  // namespace
}  // namespace registrar::controller
