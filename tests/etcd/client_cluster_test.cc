// Failover against a real 3-member cluster: a hung (SIGSTOP) member or a
// killed leader costs no lease, no watch event and no more than a TTL.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/etcd/test_util.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/wait.h"

namespace registrar::etcd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int64_t kTtl = 6;

// Records every endpoint change the client reports.
class SwitchObserver final : public RequestObserver {
 public:
  void OnRequest(std::string_view, absl::StatusCode, Duration) override {}
  void OnEndpointChange(std::string_view from, std::string_view to) override {
    std::lock_guard<std::mutex> lock(mu_);
    switches_.emplace_back(std::string(from), std::string(to));
  }
  bool SwitchedFrom(const std::string& endpoint) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [from, to] : switches_) {
      if (from == endpoint) return true;
    }
    return false;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> switches_;
};

class ClusterFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.Start().ok()) << cluster_.log(0); }

  // A client whose first endpoint is member `first`, then the others.
  std::unique_ptr<Client> ClientStartingAt(int first, Duration request_timeout = seconds(5)) {
    std::vector<std::string> endpoints;
    for (int i = 0; i < cluster_.size(); ++i) {
      endpoints.push_back(cluster_.endpoint((first + i) % cluster_.size()));
    }
    return NewClient({.endpoints = endpoints,
                      .dial_timeout = seconds(2),
                      .request_timeout = request_timeout,
                      .stream_timeout = seconds(2),
                      .observer = &observer_});
  }
  // A client of member `member` only: checks from outside the client under test.
  std::unique_ptr<Client> ClientOf(int member) {
    return NewClient({.endpoints = {cluster_.endpoint(member)}});
  }

  // SIGSTOPs the member the client is connected to for 30 s while keeping a
  // lease with a 6 s TTL alive every TTL/3: the lease never expires.
  void KeepsTheLeaseWhileTheConnectedMemberHangs(int connected) {
    std::unique_ptr<Client> client = ClientStartingAt(connected);
    const Lease lease = ValueOrDie(client->LeaseGrant(kTtl));
    ValueOrDie(client->Put("/t/a", "v", lease.id));
    std::unique_ptr<KeepAliveStream> stream = ValueOrDie(client->OpenKeepAlive(lease.id));
    ASSERT_TRUE(stream->KeepAliveOnce().ok());
    ASSERT_EQ(client->CurrentEndpoint(), cluster_.endpoint(connected));
    const int witness = (connected + 1) % cluster_.size();
    std::unique_ptr<Client> other = ClientOf(witness);

    cluster_.Pause(connected);
    const auto end = std::chrono::steady_clock::now() + seconds(30);
    int renewals = 0;
    while (std::chrono::steady_clock::now() < end && renewals < 100) {
      absl::StatusOr<int64_t> ttl = stream->KeepAliveOnce();
      // One keepalive may fall into a leader election; the next must not.
      if (!ttl.ok()) ttl = stream->KeepAliveOnce();
      ASSERT_TRUE(ttl.ok()) << ttl.status();
      ++renewals;
      // The witness may fall into the election too: only its answers count,
      // and "not found" (expired) must never be one.
      absl::StatusOr<LeaseInfo> info = other->LeaseTimeToLive(lease.id);
      ASSERT_NE(info.status().code(), absl::StatusCode::kNotFound) << info.status();
      if (info.ok()) {
        EXPECT_GT(info->ttl_seconds, 0);
      }
      std::this_thread::sleep_for(seconds(kTtl) / 3);  // the registrar's pace
    }
    cluster_.Resume(connected);
    EXPECT_TRUE(observer_.SwitchedFrom(cluster_.endpoint(connected)));
    EXPECT_NE(client->CurrentEndpoint(), cluster_.endpoint(connected));
    EXPECT_EQ(ValueOrDie(other->Range("/t/a", {})).kvs.size(), 1u);
    EXPECT_GT(ValueOrDie(other->LeaseTimeToLive(lease.id)).ttl_seconds, 0);
  }

  testing::EtcdCluster cluster_;
  SwitchObserver observer_;
};

TEST_F(ClusterFailoverTest, AHungFollowerCostsNoLease) {
  const int leader = ValueOrDie(cluster_.Leader());
  KeepsTheLeaseWhileTheConnectedMemberHangs((leader + 1) % cluster_.size());
}

TEST_F(ClusterFailoverTest, AHungLeaderCostsNoLease) {
  KeepsTheLeaseWhileTheConnectedMemberHangs(ValueOrDie(cluster_.Leader()));
}

TEST_F(ClusterFailoverTest, AWatchOnAHungMemberMovesAndMissesNoEvent) {
  const int leader = ValueOrDie(cluster_.Leader());
  const int connected = (leader + 1) % cluster_.size();
  std::unique_ptr<Client> client = ClientStartingAt(connected);
  std::unique_ptr<WatchStream> watch =
      ValueOrDie(client->OpenWatch({.key = "/t/", .prefix = true}));
  std::unique_ptr<Client> writer = ClientOf(leader);
  ValueOrDie(writer->Put("/t/before", "1"));
  ASSERT_EQ(ValueOrDie(watch->Next(seconds(10))).events.size(), 1u);

  cluster_.Pause(connected);
  ValueOrDie(writer->Put("/t/during", "2"));
  // Without liveness checks the stream on the stopped member looks fine and
  // delivers nothing until gRPC's transport keepalive gives up.
  absl::StatusOr<WatchResponse> next = watch->Next(seconds(8));
  cluster_.Resume(connected);
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_EQ(next->events.size(), 1u);
  EXPECT_EQ(next->events[0].kv.key, "/t/during");
  EXPECT_TRUE(observer_.SwitchedFrom(cluster_.endpoint(connected)));
  // The reopened stream carries on, without duplicates.
  ValueOrDie(writer->Put("/t/after", "3"));
  absl::StatusOr<WatchResponse> after = watch->Next(seconds(10));
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->events.size(), 1u);
  EXPECT_EQ(after->events[0].kv.key, "/t/after");
}

TEST_F(ClusterFailoverTest, KillingTheLeaderCostsLessThanATtl) {
  const int leader = ValueOrDie(cluster_.Leader());
  // A write that a follower forwards to the dead leader before it notices the
  // loss is dropped by etcd and costs the request timeout; with it at 2 s, two
  // calls fit in the TTL.
  std::unique_ptr<Client> client = ClientStartingAt(leader, seconds(2));
  const Lease lease = ValueOrDie(client->LeaseGrant(kTtl));
  ValueOrDie(client->Put("/t/a", "v", lease.id));
  std::unique_ptr<KeepAliveStream> stream = ValueOrDie(client->OpenKeepAlive(lease.id));
  ASSERT_TRUE(stream->KeepAliveOnce().ok());

  cluster_.Kill(leader);
  const auto killed = std::chrono::steady_clock::now();
  const auto left = [&] { return seconds(kTtl) - (std::chrono::steady_clock::now() - killed); };
  // Calls may fail during the election, but recover inside the TTL.
  EXPECT_TRUE(testing::WaitFor([&] { return client->Put("/t/b", "v", lease.id).ok(); }, left()));
  EXPECT_TRUE(testing::WaitFor([&] { return stream->KeepAliveOnce().ok(); }, left()));
  EXPECT_LT(std::chrono::steady_clock::now() - killed, seconds(kTtl));
  EXPECT_NE(client->CurrentEndpoint(), cluster_.endpoint(leader));
  std::unique_ptr<Client> other = ClientOf((leader + 1) % cluster_.size());
  EXPECT_GT(ValueOrDie(other->LeaseTimeToLive(lease.id)).ttl_seconds, 0);
  EXPECT_EQ(ValueOrDie(other->Range("/t/", {.prefix = true})).kvs.size(), 2u);
}

}  // namespace
}  // namespace registrar::etcd
