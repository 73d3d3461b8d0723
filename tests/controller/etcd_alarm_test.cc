// etcd's NOSPACE alarm against a real etcd with a small backend quota: it is
// a condition of the cluster, not of a key. Keys already registered stay
// (keepalives work), a key that waits is written once the operator clears
// the alarm, and the alarm is visible (snapshot → /readyz, status page,
// registrar_etcd_alarm) while it lasts — also when the lease is lost during
// the alarm, when even the grant of a new one is refused.
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/controller/controller_fixture.h"

namespace registrar::controller {
namespace {

using std::chrono::seconds;

class EtcdAlarmTest : public ControllerTest {
 protected:
  // 4 MiB: a handful of large values fill it.
  EtcdAlarmTest()
      : ControllerTest({.extra_args = {"--quota-backend-bytes=" + std::to_string(4 << 20)}}) {}

  // Another client fills etcd until it raises NOSPACE (bounded: 100 puts).
  void FillUntilNoSpace() {
    const std::string big(300 * 1024, 'x');
    for (int i = 0; i < 100; ++i) {
      auto put = reader_->Put("/fill/" + std::to_string(i), big);
      if (!put.ok()) {
        ASSERT_NE(put.status().message().find("database space exceeded"), std::string::npos)
            << put.status();
        return;
      }
    }
    FAIL() << "etcd never raised NOSPACE";
  }

  // What an operator does: delete, compact, defragment, disarm.
  void ClearTheAlarm() {
    ASSERT_TRUE(reader_->Delete("/fill/", /*prefix=*/true).ok());
    auto now = reader_->Range("/", {.prefix = true, .count_only = true});
    ASSERT_TRUE(now.ok()) << now.status();
    int code = 0;
    etcd_.EtcdCtl({"compact", std::to_string(now->revision)}, &code);
    ASSERT_EQ(code, 0);
    etcd_.EtcdCtl({"defrag"}, &code);
    ASSERT_EQ(code, 0);
    etcd_.EtcdCtl({"alarm", "disarm"}, &code);
    ASSERT_EQ(code, 0);
    ASSERT_EQ(etcd_.EtcdCtl({"alarm", "list"}), "");
  }
};

TEST_F(EtcdAlarmTest, AKeyThatWaitedForNoSpaceIsWrittenOnceTheAlarmIsCleared) {
  options_.lease_ttl = seconds(5);
  Controller& c = MakeController();
  c.Start();
  const probes::Target a = MakeTarget("web", 8001);
  const probes::Target b = MakeTarget("web", 8002);
  c.SetHealthy(a, true);
  ASSERT_TRUE(testing::WaitFor([&] { return HasKey("/services/web/127.0.0.1:8001"); }));

  FillUntilNoSpace();
  c.SetHealthy(b, true);
  ASSERT_TRUE(testing::WaitFor([&] { return c.Snapshot().etcd_alarm == "NOSPACE"; }))
      << c.Snapshot().last_error;
  EXPECT_EQ(observer_.Alarm(), "NOSPACE");
  EXPECT_NE(c.Snapshot().last_error.find("database space exceeded"), std::string::npos);
  EXPECT_FALSE(c.Snapshot().rejected_keys.contains("/services/web/127.0.0.1:8002"))
      << "an alarm is not the key's fault";
  // Over two TTLs of the alarm: the key that was there stays, kept alive.
  const auto until = std::chrono::steady_clock::now() + seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(HasKey("/services/web/127.0.0.1:8001"));
    ASSERT_FALSE(HasKey("/services/web/127.0.0.1:8002"));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }

  ClearTheAlarm();
  const auto cleared = std::chrono::steady_clock::now();
  // The retry backoff is at most 500 ms here (5 s by default): well within a period.
  EXPECT_TRUE(testing::WaitFor([&] { return HasKey("/services/web/127.0.0.1:8002"); }, seconds(5)));
  std::printf("NOSPACE: the waiting key is written %lld ms after the alarm is cleared\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - cleared)
                                         .count()));
  EXPECT_TRUE(testing::WaitFor([&] { return c.Snapshot().etcd_alarm.empty(); }, seconds(5)));
  EXPECT_EQ(observer_.Alarm(), "");
  EXPECT_TRUE(HasKey("/services/web/127.0.0.1:8001"));
}

TEST_F(EtcdAlarmTest, ALeaseLostDuringTheAlarmIsGrantedAgainOnceItIsCleared) {
  options_.lease_ttl = seconds(5);
  Controller& c = MakeController();
  c.Start();
  const probes::Target a = MakeTarget("web", 8001);
  c.SetHealthy(a, true);
  ASSERT_TRUE(testing::WaitFor([&] { return HasKey("/services/web/127.0.0.1:8001"); }));
  const int64_t lease = c.Snapshot().lease_id;
  ASSERT_NE(lease, 0);

  FillUntilNoSpace();
  // Someone revokes our lease while etcd is full: its keys go, and etcd
  // refuses the grant of a new one for the alarm.
  ASSERT_TRUE(reader_->LeaseRevoke(lease).ok());
  ASSERT_TRUE(testing::WaitFor([&] {
    const ControllerSnapshot s = c.Snapshot();
    return s.lease_id == 0 && s.etcd_alarm == "NOSPACE" &&
           s.last_error.find("lease grant") != std::string::npos;
  })) << c.Snapshot().last_error;
  // The grant is retried and refused while the alarm lasts; nothing crashes.
  const auto until = std::chrono::steady_clock::now() + seconds(3);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(c.Snapshot().lease_id, 0);
    ASSERT_FALSE(c.Ready());
    ASSERT_FALSE(HasKey("/services/web/127.0.0.1:8001"));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }

  ClearTheAlarm();
  EXPECT_TRUE(testing::WaitFor([&] { return HasKey("/services/web/127.0.0.1:8001"); }, seconds(8)));
  EXPECT_NE(c.Snapshot().lease_id, lease);
  EXPECT_TRUE(testing::WaitFor([&] { return c.Snapshot().etcd_alarm.empty(); }, seconds(5)));
}

}  // namespace
}  // namespace registrar::controller
