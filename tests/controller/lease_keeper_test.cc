// LeaseKeeper against a real etcd behind a relay: a lease that went a whole
// TTL without an answered keepalive is asked about (LeaseTimeToLive) before
// it is given up. etcd extends leases across a leader change, so after a slow
// election the lease is often still alive; here a second client keeps it
// alive while the keeper's path is cut, as etcd's new leader would.
#include "cluster/lease_keeper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/controller/test_client.h"
#include "tests/support/etcd_server.h"
#include "tests/support/fault_relay.h"
#include "tests/support/wait.h"

namespace registrar::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LeaseKeeper, ALeaseSilentForATtlButStillAliveInEtcdIsKept) {
  testing::EtcdServer etcd;
  ASSERT_TRUE(etcd.Start().ok()) << etcd.log();
  testing::FaultRelay relay(etcd.port());
  auto client = etcd::Client::Create({.endpoints = {relay.endpoint()},
                                      .dial_timeout = seconds(2),
                                      .request_timeout = seconds(10)});
  ASSERT_TRUE(client.ok()) << client.status();
  auto witness = testing::ConnectTestClient(etcd);
  ASSERT_TRUE(witness.ok()) << witness.status();

  SystemRandom random(7);
  constexpr int64_t kTtl = 6;
  LeaseKeeper keeper("registration", **client, RealClock(), random, kTtl,
                     {.max = milliseconds(500)}, {});
  keeper.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return keeper.Current().id != 0; }));
  const HeldLease held = keeper.Current();

  // The lease stays alive in etcd: someone else renews it every second.
  std::atomic<bool> stop{false};
  std::thread renewer([&] {
    auto stream = (*witness)->OpenKeepAlive(held.id);
    while (!stop.load() && stream.ok()) {
      (void)(*stream)->KeepAliveOnce();
      std::this_thread::sleep_for(seconds(1));
    }
  });

  // The keeper hears nothing for 9 s: its last renewal is at most 2 s before
  // the cut, so the TTL runs out 4 to 6 s into it and the keeper then asks
  // etcd (a 10 s request that is answered once the path heals).
  relay.Partition();
  std::this_thread::sleep_for(seconds(9));
  relay.Heal();
  EXPECT_TRUE(testing::WaitFor([&] { return keeper.lives_confirmed() >= 1; }, seconds(15)));
  EXPECT_EQ(keeper.Current().id, held.id);
  EXPECT_EQ(keeper.Current().generation, held.generation) << "the lease was given up";
  stop = true;
  renewer.join();
  keeper.Stop(true);
}

}  // namespace
}  // namespace registrar::controller
