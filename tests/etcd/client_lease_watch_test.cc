// Leases, keepalive streams and watch streams against a real etcd.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/etcd/test_util.h"
#include "tests/support/wait.h"

namespace registrar::etcd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::WaitFor;

using LeaseTest = EtcdClientTest;

bool KeyExists(Client& client, const std::string& key) {
  absl::StatusOr<RangeResult> result = client.Range(key, {});
  return result.ok() && !result->kvs.empty();
}

TEST_F(LeaseTest, GrantedLeaseReportsItsTtl) {
  Lease lease = ValueOrDie(client_->LeaseGrant(30));
  EXPECT_NE(lease.id, 0);
  EXPECT_EQ(lease.ttl_seconds, 30);
  LeaseInfo info = ValueOrDie(client_->LeaseTimeToLive(lease.id));
  EXPECT_EQ(info.id, lease.id);
  EXPECT_EQ(info.granted_ttl_seconds, 30);
  EXPECT_GT(info.ttl_seconds, 25);
  EXPECT_LE(info.ttl_seconds, 30);
}

TEST_F(LeaseTest, KeyDisappearsWhenItsLeaseIsRevoked) {
  Lease lease = ValueOrDie(client_->LeaseGrant(30));
  ValueOrDie(client_->Put("/t/a", "v", lease.id));
  ASSERT_TRUE(client_->LeaseRevoke(lease.id).ok());
  EXPECT_FALSE(KeyExists(*client_, "/t/a"));
  EXPECT_EQ(client_->LeaseTimeToLive(lease.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->LeaseRevoke(lease.id).code(), absl::StatusCode::kNotFound);
}

TEST_F(LeaseTest, KeyDisappearsWhenItsTtlExpiresWithoutKeepAlive) {
  Lease lease = ValueOrDie(client_->LeaseGrant(2));
  ValueOrDie(client_->Put("/t/a", "v", lease.id));
  ASSERT_TRUE(KeyExists(*client_, "/t/a"));
  EXPECT_TRUE(WaitFor([&] { return !KeyExists(*client_, "/t/a"); }, seconds(10)));
  EXPECT_EQ(client_->LeaseTimeToLive(lease.id).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LeaseTest, KeepAliveKeepsTheKeyPastItsTtl) {
  Lease lease = ValueOrDie(client_->LeaseGrant(2));
  ValueOrDie(client_->Put("/t/a", "v", lease.id));
  std::unique_ptr<KeepAliveStream> stream = ValueOrDie(client_->OpenKeepAlive(lease.id));
  // Keep alive every 500ms for twice the TTL.
  const auto end = std::chrono::steady_clock::now() + seconds(4);
  int keepalives = 0;
  while (std::chrono::steady_clock::now() < end && keepalives < 20) {
    absl::StatusOr<int64_t> ttl = stream->KeepAliveOnce();
    ASSERT_TRUE(ttl.ok()) << ttl.status();
    EXPECT_EQ(*ttl, 2);
    ++keepalives;
    std::this_thread::sleep_for(milliseconds(500));  // pacing, not waiting for a result
  }
  EXPECT_TRUE(KeyExists(*client_, "/t/a"));
  EXPECT_GT(ValueOrDie(client_->LeaseTimeToLive(lease.id)).ttl_seconds, 0);
}

TEST_F(LeaseTest, KeepAliveOfARevokedLeaseIsNotFound) {
  Lease lease = ValueOrDie(client_->LeaseGrant(30));
  std::unique_ptr<KeepAliveStream> stream = ValueOrDie(client_->OpenKeepAlive(lease.id));
  ASSERT_TRUE(stream->KeepAliveOnce().ok());
  ASSERT_TRUE(client_->LeaseRevoke(lease.id).ok());
  EXPECT_EQ(stream->KeepAliveOnce().status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LeaseTest, CancelledKeepAliveStreamReportsUnavailable) {
  Lease lease = ValueOrDie(client_->LeaseGrant(30));
  std::unique_ptr<KeepAliveStream> stream = ValueOrDie(client_->OpenKeepAlive(lease.id));
  stream->Cancel();
  EXPECT_EQ(stream->KeepAliveOnce().status().code(), absl::StatusCode::kUnavailable);
}

using WatchTest = EtcdClientTest;

TEST_F(WatchTest, WatchFromARevisionReceivesTheEventsAfterIt) {
  ValueOrDie(client_->Put("/t/a", "1"));
  const int64_t second = ValueOrDie(client_->Put("/t/a", "2"));
  ValueOrDie(client_->Put("/u/other", "x"));
  const int64_t deleted = ValueOrDie(client_->Delete("/t/a")).revision;

  std::unique_ptr<WatchStream> watch =
      ValueOrDie(client_->OpenWatch({.key = "/t/", .prefix = true, .start_revision = second}));
  std::vector<WatchEvent> events;
  for (int i = 0; i < 5 && events.size() < 2; ++i) {
    WatchResponse response = ValueOrDie(watch->Next(seconds(5)));
    events.insert(events.end(), response.events.begin(), response.events.end());
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(events[0].kv.value, "2");
  EXPECT_EQ(events[0].kv.mod_revision, second);
  EXPECT_EQ(events[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[1].kv.key, "/t/a");
  EXPECT_EQ(events[1].kv.mod_revision, deleted);
}

TEST_F(WatchTest, WatchReportsLiveChangesWithPreviousValues) {
  ValueOrDie(client_->Put("/t/a", "before"));
  std::unique_ptr<WatchStream> watch =
      ValueOrDie(client_->OpenWatch({.key = "/t/a", .prev_kv = true}));
  ValueOrDie(client_->Put("/t/a", "after"));
  ValueOrDie(client_->Put("/t/b", "not watched"));
  ValueOrDie(client_->Delete("/t/a"));
  std::vector<WatchEvent> events;
  for (int i = 0; i < 5 && events.size() < 2; ++i) {
    WatchResponse response = ValueOrDie(watch->Next(seconds(5)));
    EXPECT_FALSE(response.canceled);
    events.insert(events.end(), response.events.begin(), response.events.end());
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kv.value, "after");
  ASSERT_TRUE(events[0].prev_kv.has_value());
  EXPECT_EQ(events[0].prev_kv->value, "before");
  EXPECT_EQ(events[1].type, WatchEvent::Type::kDelete);
  ASSERT_TRUE(events[1].prev_kv.has_value());
  EXPECT_EQ(events[1].prev_kv->value, "after");
}

TEST_F(WatchTest, WatchOnACompactedRevisionReportsTheCompaction) {
  const int64_t first = ValueOrDie(client_->Put("/t/a", "1"));
  ValueOrDie(client_->Put("/t/a", "2"));
  const int64_t last = ValueOrDie(client_->Put("/t/a", "3"));
  int code = -1;
  server_.EtcdCtl({"compact", std::to_string(last)}, &code);
  ASSERT_EQ(code, 0);

  std::unique_ptr<WatchStream> watch =
      ValueOrDie(client_->OpenWatch({.key = "/t/", .prefix = true, .start_revision = first}));
  WatchResponse response = ValueOrDie(watch->Next(seconds(5)));
  EXPECT_TRUE(response.canceled);
  EXPECT_EQ(response.compact_revision, last);
  EXPECT_TRUE(response.events.empty());
  EXPECT_EQ(watch->Next(milliseconds(100)).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(WatchTest, NextTimesOutWhenNothingHappens) {
  std::unique_ptr<WatchStream> watch = ValueOrDie(client_->OpenWatch({.key = "/t/a"}));
  EXPECT_EQ(watch->Next(milliseconds(200)).status().code(), absl::StatusCode::kDeadlineExceeded);
  ValueOrDie(client_->Put("/t/a", "v"));  // the stream still works
  EXPECT_EQ(ValueOrDie(watch->Next(seconds(5))).events.size(), 1u);
}

TEST_F(WatchTest, CancelWakesABlockedNext) {
  std::unique_ptr<WatchStream> watch = ValueOrDie(client_->OpenWatch({.key = "/t/a"}));
  std::atomic<bool> returned{false};
  absl::StatusCode code = absl::StatusCode::kOk;
  std::thread reader([&] {
    code = watch->Next(seconds(30)).status().code();
    returned = true;
  });
  watch->Cancel();
  EXPECT_TRUE(WaitFor([&] { return returned.load(); }, seconds(5)));
  reader.join();
  EXPECT_EQ(code, absl::StatusCode::kUnavailable);
}

class ProgressWatchTest : public EtcdClientTest {
 protected:
  ProgressWatchTest()
      : EtcdClientTest({.extra_args = {"--experimental-watch-progress-notify-interval=200ms"}}) {}
};

TEST_F(ProgressWatchTest, ProgressNotifyReportsTheRevisionWithoutEvents) {
  const int64_t revision = ValueOrDie(client_->Put("/u/other", "x"));
  std::unique_ptr<WatchStream> watch =
      ValueOrDie(client_->OpenWatch({.key = "/t/", .prefix = true, .progress_notify = true}));
  WatchResponse response = ValueOrDie(watch->Next(seconds(5)));
  EXPECT_TRUE(response.events.empty());
  EXPECT_FALSE(response.canceled);
  EXPECT_GE(response.header_revision, revision);
}

TEST_F(WatchTest, StreamsMayOutliveTheirClient) {
  Lease lease = ValueOrDie(client_->LeaseGrant(30));
  std::unique_ptr<KeepAliveStream> keepalive = ValueOrDie(client_->OpenKeepAlive(lease.id));
  std::unique_ptr<WatchStream> watch = ValueOrDie(client_->OpenWatch({.key = "/t/a"}));
  std::unique_ptr<Client> writer = std::move(client_);
  ValueOrDie(writer->Put("/t/a", "v"));
  writer.reset();
  EXPECT_EQ(ValueOrDie(watch->Next(seconds(5))).events.size(), 1u);
  EXPECT_EQ(ValueOrDie(keepalive->KeepAliveOnce()), 30);
}

TEST_F(WatchTest, BrokenStreamReportsUnavailable) {
  std::unique_ptr<WatchStream> watch = ValueOrDie(client_->OpenWatch({.key = "/t/a"}));
  server_.Kill();
  absl::StatusOr<WatchResponse> next = watch->Next(seconds(10));
  EXPECT_EQ(next.status().code(), absl::StatusCode::kUnavailable) << next.status();
}

}  // namespace
}  // namespace registrar::etcd
