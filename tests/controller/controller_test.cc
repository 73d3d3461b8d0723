// The controller against a real etcd: registration, drift repair, foreign
// keys, lease loss, shutdown, dry run. Health is fed by calling SetHealthy.
// Logic that needs no real etcd runs in simulated time against the etcd in
// memory instead (simulated_controller_test.cc: a deleted key restored, a
// revoked lease replaced, a crashed controller's keys expiring).
#include "controller/controller.h"

#include <gtest/gtest.h>

#include "registration/observed_state.h"
#include "tests/controller/controller_fixture.h"

namespace registrar::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::WaitFor;

TEST(ValidateRegistrationOptions, RejectsLeaseTtlsEtcdWouldSilentlyRaise) {
  RegistrationOptions options;
  EXPECT_TRUE(ValidateRegistrationOptions(options).ok());
  options.lease_ttl = milliseconds(1500);
  EXPECT_EQ(ValidateRegistrationOptions(options).code(), absl::StatusCode::kInvalidArgument);
  options.lease_ttl = seconds(2);
  EXPECT_TRUE(ValidateRegistrationOptions(options).ok());
  options.lease_ttl = milliseconds(2500);
  EXPECT_FALSE(ValidateRegistrationOptions(options).ok());
  options.lease_ttl = seconds(10);
  options.resync_period = Duration::zero();
  EXPECT_FALSE(ValidateRegistrationOptions(options).ok());
}

TEST_F(ControllerTest, HealthyTargetsAppearUnderOneLease) {
  Controller& c = MakeController();
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.SetHealthy(MakeTarget("web", 8082), true);
  c.SetHealthy(MakeTarget("api", 9090), true);
  c.SetHealthy(MakeTarget("api", 9091), false);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(3) && c.Ready(); }));
  auto keys = Keys();
  ASSERT_TRUE(keys.contains("/services/web/127.0.0.1:8081"));
  EXPECT_EQ(keys["/services/web/127.0.0.1:8081"].value, "127.0.0.1:8081");
  EXPECT_TRUE(keys.contains("/services/web/127.0.0.1:8082"));
  EXPECT_TRUE(keys.contains("/services/api/127.0.0.1:9090"));
  const int64_t lease = c.Snapshot().lease_id;
  EXPECT_NE(lease, 0);
  for (const auto& [key, kv] : keys) EXPECT_EQ(kv.lease, lease) << key;
  auto snapshot = c.Snapshot();
  EXPECT_TRUE(snapshot.etcd_connected);
  EXPECT_EQ(snapshot.registered_keys, 3u);
  EXPECT_EQ(snapshot.keys_by_target.at("web/127.0.0.1:8081"), "/services/web/127.0.0.1:8081");
  EXPECT_EQ(snapshot.etcd_endpoint, etcd_.endpoint());
  EXPECT_EQ(observer_.lease.load(), lease);
}

TEST_F(ControllerTest, UnhealthyTargetLosesItsKeyAndGetsItBackWhenHealthyAgain) {
  Controller& c = MakeController();
  const auto target = MakeTarget("web", 8081);
  c.SetHealthy(target, true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return HasKey("/services/web/127.0.0.1:8081"); }));
  c.SetHealthy(target, false);
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(0); }));
  c.SetHealthy(target, true);
  ASSERT_TRUE(WaitFor([&] { return HasKey("/services/web/127.0.0.1:8081"); }));
  c.SetTargets(std::make_shared<const TargetSet>());  // no longer listed: forgotten
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(0); }));
}

TEST_F(ControllerTest, WritesNothingWhenNothingChanged) {
  options_.resync_period = milliseconds(100);
  Controller& c = MakeController();
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return c.Ready() && HasKey("/services/web/127.0.0.1:8081"); }));
  const int64_t txns = observer_.txns.load();
  const int64_t revision = Keys()["/services/web/127.0.0.1:8081"].mod_revision;
  // The same health again, and several resyncs (each re-reads etcd).
  c.SetHealthy(MakeTarget("web", 8081), true);
  const int64_t reconciles = observer_.reconciles.load();
  ASSERT_TRUE(WaitFor([&] { return observer_.reconciles.load() >= reconciles + 5; }));
  EXPECT_EQ(observer_.txns.load(), txns);
  EXPECT_EQ(Keys()["/services/web/127.0.0.1:8081"].mod_revision, revision);
}

TEST_F(ControllerTest, OverwrittenValueIsRestored) {
  Controller& c = MakeController();
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return HasKey("/services/web/127.0.0.1:8081"); }));
  etcd_.EtcdCtl({"put", "/services/web/127.0.0.1:8081", "10.9.9.9:1"});
  ASSERT_TRUE(WaitFor([&] {
    auto keys = Keys();
    auto it = keys.find("/services/web/127.0.0.1:8081");
    return it != keys.end() && it->second.value == "127.0.0.1:8081" &&
           it->second.lease == c.Snapshot().lease_id;
  }));
}

TEST_F(ControllerTest, ForeignKeysUnderThePrefixAreLeftAlone) {
  etcd_.EtcdCtl({"put", "/services/web/10.0.0.1:80", "10.0.0.1:80"});
  Controller& c = MakeController();
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return c.Ready() && HasKey("/services/web/127.0.0.1:8081"); }));
  etcd_.EtcdCtl({"put", "/services/other/x", "y"});
  // A reconcile triggered by that put and by a health change must not touch them.
  c.SetHealthy(MakeTarget("web", 8081), false);
  ASSERT_TRUE(WaitFor([&] { return !HasKey("/services/web/127.0.0.1:8081"); }));
  EXPECT_TRUE(HasKey("/services/web/10.0.0.1:80", "10.0.0.1:80"));
  EXPECT_TRUE(HasKey("/services/other/x", "y"));
}

TEST_F(ControllerTest, ForeignKeysAreDeletedWhenThePrefixIsOwned) {
  etcd_.EtcdCtl({"put", "/services/web/10.0.0.1:80", "10.0.0.1:80"});
  options_.owns_prefix = true;
  Controller& c = MakeController();
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(1) && HasKey("/services/web/127.0.0.1:8081"); }));
}

TEST_F(ControllerTest, SurvivesAnEtcdOutageLongerThanTheTtl) {
  Controller& c = MakeController();
  for (int i = 0; i < 10; ++i) c.SetHealthy(MakeTarget("web", 8000 + i), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(10) && c.Ready(); }));
  etcd_.Stop();
  const MonoTime stopped = RealClock().Now();
  // Noticed by the lease keeper: a renewal is due TTL/3 after the last one and
  // waits at most TTL/3 for a connection or an answer, so within 2/3 of the
  // TTL (the rest of the TTL is slack for a loaded machine). It used to wait
  // for the client's dial timeout twice (10 s).
  ASSERT_TRUE(WaitFor([&] { return !c.Snapshot().etcd_connected; }, options_.lease_ttl));
  std::printf("etcd outage noticed after %.2fs\n", ToSeconds(RealClock().Now() - stopped));
  // Health keeps changing while etcd is away.
  c.SetHealthy(MakeTarget("web", 8000), false);
  c.SetHealthy(MakeTarget("web", 9000), true);
  const MonoTime down = RealClock().Now();
  ASSERT_FALSE(WaitFor([&] { return false; }, options_.lease_ttl + seconds(1)));
  ASSERT_GT(RealClock().Now() - down, options_.lease_ttl);
  EXPECT_LE(observer_.reconciles.load() + observer_.keepalive_failures.load(), 200)
      << "backoff must keep retries sparse";
  ASSERT_TRUE(etcd_.Restart().ok()) << etcd_.log();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto keys = Keys();
        const int64_t lease = c.Snapshot().lease_id;
        if (keys.size() != 10 || keys.contains("/services/web/127.0.0.1:8000")) return false;
        for (const auto& [k, kv] : keys) {
          if (kv.lease != lease) return false;
        }
        return c.Ready() && c.Snapshot().etcd_connected;
      },
      seconds(20)));
  EXPECT_TRUE(HasKey("/services/web/127.0.0.1:9000"));
}

TEST_F(ControllerTest, SurvivesAnEtcdThatStopsAnsweringLongerThanTheTtl) {
  Controller& c = MakeController();
  for (int i = 0; i < 10; ++i) c.SetHealthy(MakeTarget("web", 8000 + i), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(10) && c.Ready(); }));
  etcd_.Pause();  // connections stay open, nothing answers: calls time out
  ASSERT_TRUE(WaitFor([&] { return !c.Snapshot().etcd_connected; }, seconds(20)));
  const MonoTime paused = RealClock().Now();
  ASSERT_FALSE(WaitFor([&] { return false; }, options_.lease_ttl + seconds(1)));
  ASSERT_GT(RealClock().Now() - paused, options_.lease_ttl);
  etcd_.Resume();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto keys = Keys();
        const int64_t lease = c.Snapshot().lease_id;
        if (keys.size() != 10) return false;
        for (const auto& [k, kv] : keys) {
          if (kv.lease != lease) return false;
        }
        return c.Ready() && c.Snapshot().etcd_connected;
      },
      seconds(30)));
}

TEST_F(ControllerTest, StopWithRevokeRemovesEveryKeyAtOnce) {
  Controller& c = MakeController();
  for (int i = 0; i < 20; ++i) c.SetHealthy(MakeTarget("web", 8000 + i), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(20); }));
  c.Stop(true);
  EXPECT_TRUE(KeyCountIs(0));  // no waiting: the revoke is done when Stop returns
}

TEST_F(ControllerTest, ColdStartOfAThousandTargetsTakesAtMostEightTxns) {
  options_.lease_ttl = seconds(10);
  Controller& c = MakeController();
  for (int i = 0; i < 1000; ++i) {
    c.SetHealthy(MakeTarget("web", 10000 + i % 500, i < 500 ? "127.0.0.1" : "127.0.0.2"), true);
  }
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(1000) && c.Ready(); }, seconds(30)));
  EXPECT_LE(observer_.txns.load(), 8);  // ceil(1000 / 128)
  EXPECT_EQ(observer_.txn_ops.load(), 1000);
  EXPECT_EQ(c.Snapshot().registered_keys, 1000u);
}

TEST_F(ControllerTest, DryRunWritesNothingAndGrantsNoLease) {
  options_.dry_run = true;
  Controller& c = MakeController();
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return c.Ready(); }));
  auto snapshot = c.Snapshot();
  EXPECT_TRUE(snapshot.dry_run);
  EXPECT_EQ(snapshot.lease_id, 0);
  EXPECT_EQ(snapshot.registered_keys, 1u);
  EXPECT_EQ(snapshot.keys_by_target.at("web/127.0.0.1:8081"), "/services/web/127.0.0.1:8081");
  EXPECT_TRUE(KeyCountIs(0));
  EXPECT_EQ(observer_.txns.load(), 0);
  EXPECT_EQ(etcd_.EtcdCtl({"lease", "list"}).find("found 0 leases") != std::string::npos, true)
      << etcd_.EtcdCtl({"lease", "list"});
}

}  // namespace
}  // namespace registrar::controller

namespace registrar::controller {
namespace {

TEST_F(ControllerTest, ObservedStateCountCheckNoticesWhatTheWatchDidNotReport) {
  etcd_.EtcdCtl({"put", "/services/a/1", "x"});
  std::atomic<int> changes{0};
  ObservedState observed([&] { ++changes; });
  ASSERT_TRUE(observed.Relist(*client_, {"/services/"}, 1000, milliseconds(100)).ok());
  EXPECT_EQ(observed.Copy().size(), 1u);
  EXPECT_EQ(*observed.CountsMatch(*client_), true);
  etcd_.EtcdCtl({"put", "/services/a/2", "y"});  // the watch reports it
  ASSERT_TRUE(WaitFor([&] { return observed.Copy().size() == 2 && changes.load() > 0; }));
  EXPECT_EQ(*observed.CountsMatch(*client_), true);
  // A change the map holds but etcd does not (as if an event had been missed).
  Plan phantom;
  phantom.puts.emplace_back("/services/a/3", "z");
  observed.Apply(phantom, 0, 1'000'000);
  EXPECT_EQ(*observed.CountsMatch(*client_), false);
  observed.StopWatching();
}

}  // namespace
}  // namespace registrar::controller
