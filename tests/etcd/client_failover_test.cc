// Option validation, failover between endpoints, error values and the request
// observer.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/etcd/test_util.h"
#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace registrar::etcd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

absl::StatusCode CreateCode(ClientOptions options) {
  return Client::Create(std::move(options)).status().code();
}

TEST(ClientCreate, AcceptsHostPortAndHttpUrlsWithoutDialing) {
  EXPECT_EQ(CreateCode({.endpoints = {"127.0.0.1:2379"}}), absl::StatusCode::kOk);
  EXPECT_EQ(CreateCode({.endpoints = {"http://localhost:2379", "[::1]:2379"}}),
            absl::StatusCode::kOk);
  EXPECT_EQ(CreateCode({.endpoints = {"https://127.0.0.1:2379"}}), absl::StatusCode::kOk);
}

TEST(ClientCreate, RejectsBadEndpointsAndUnreadableTlsFiles) {
  EXPECT_EQ(CreateCode({}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateCode({.endpoints = {"127.0.0.1"}}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateCode({.endpoints = {"127.0.0.1:notaport"}}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateCode({.endpoints = {"unix://etcd.sock:1"}}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateCode({.endpoints = {"127.0.0.1:2379"},
                        .tls = TlsConfig{.ca_file = "/nonexistent/ca.pem"}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateCode({.endpoints = {"127.0.0.1:2379"},
                        .tls = TlsConfig{.cert_file = "/nonexistent/cert.pem"}}),
            absl::StatusCode::kInvalidArgument);
}

// Records every observed request.
class RecordingObserver final : public RequestObserver {
 public:
  struct Call {
    std::string op;
    absl::StatusCode code;
  };
  void OnRequest(std::string_view op, absl::StatusCode code, Duration latency) override {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_GE(latency, Duration::zero());
    calls_.push_back({std::string(op), code});
  }
  void OnStreamMessage(std::string_view op) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++messages_[std::string(op)];
  }
  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  int Messages(const std::string& op) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = messages_.find(op);
    return it == messages_.end() ? 0 : it->second;
  }
  int Count(std::string_view op) const {
    int n = 0;
    for (const Call& call : calls()) n += call.op == op;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::map<std::string, int> messages_;
};

class FailoverTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start().ok()) << server_.log(); }
  // Starts `other`, connects a client to server_ then `other` with short
  // timeouts, and stops (SIGSTOP) server_.
  std::unique_ptr<Client> ClientWithFirstEndpointHung(testing::EtcdServer& other) {
    if (absl::Status started = other.Start(); !started.ok()) {
      ADD_FAILURE() << started << other.log();
      return nullptr;
    }
    std::unique_ptr<Client> client = NewClient({.endpoints = {server_.endpoint(), other.endpoint()},
                                                .dial_timeout = milliseconds(500),
                                                .request_timeout = milliseconds(500)});
    ValueOrDie(client->Put("/t/a", "v"));
    server_.Pause();
    return client;
  }
  // An address where nothing listens.
  std::string DeadEndpoint() const { return "127.0.0.1:" + std::to_string(testing::FreePort()); }

  testing::EtcdServer server_;
  RecordingObserver observer_;
};

TEST_F(FailoverTest, CallsMoveToTheNextEndpointWhenTheFirstIsDead) {
  std::unique_ptr<Client> client = NewClient({.endpoints = {DeadEndpoint(), server_.endpoint()},
                                              .dial_timeout = milliseconds(500),
                                              .observer = &observer_});
  ValueOrDie(client->Put("/t/a", "v"));
  EXPECT_EQ(client->CurrentEndpoint(), server_.endpoint());
  EXPECT_EQ(ValueOrDie(client->Range("/t/a", {})).kvs.size(), 1u);
  // Streams fail over too.
  ValueOrDie(client->OpenWatch({.key = "/t/a"}));
  ASSERT_EQ(observer_.calls().size(), 3u);
  EXPECT_EQ(observer_.calls()[0].op, "put");
  EXPECT_EQ(observer_.calls()[0].code, absl::StatusCode::kOk);
  EXPECT_EQ(observer_.calls()[2].op, "watch");
}

TEST_F(FailoverTest, CallsMoveBackWhenTheCurrentEndpointDies) {
  testing::EtcdServer other;
  ASSERT_TRUE(other.Start().ok()) << other.log();
  std::unique_ptr<Client> client = NewClient(
      {.endpoints = {server_.endpoint(), other.endpoint()}, .dial_timeout = milliseconds(500)});
  ValueOrDie(client->Put("/t/a", "first"));
  EXPECT_EQ(client->CurrentEndpoint(), server_.endpoint());
  server_.Kill();
  ValueOrDie(client->Put("/t/a", "second"));
  EXPECT_EQ(client->CurrentEndpoint(), other.endpoint());
}

// A refused connection is an answer: the next member is asked at once, not
// after the dial timeout, whether the dead member was never up or was current.
TEST_F(FailoverTest, ADeadMemberCostsNoDialTimeout) {
  testing::EtcdServer other;
  ASSERT_TRUE(other.Start().ok()) << other.log();
  constexpr auto kDial = seconds(20);
  std::unique_ptr<Client> client = NewClient(
      {.endpoints = {DeadEndpoint(), server_.endpoint(), other.endpoint()}, .dial_timeout = kDial});
  auto start = std::chrono::steady_clock::now();
  ValueOrDie(client->Put("/t/a", "first"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, kDial / 2);
  ASSERT_EQ(client->CurrentEndpoint(), server_.endpoint());

  server_.Kill();
  start = std::chrono::steady_clock::now();
  ValueOrDie(client->Put("/t/a", "second"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, kDial / 2);
  EXPECT_EQ(client->CurrentEndpoint(), other.endpoint());
}

TEST_F(FailoverTest, AHungEndpointTimesOutAWriteOnceThenCallsGoToTheNext) {
  testing::EtcdServer other;
  std::unique_ptr<Client> client = ClientWithFirstEndpointHung(other);
  ASSERT_NE(client, nullptr);
  // SIGSTOP lands asynchronously: a call may still be answered just after it.
  // A write is not repeated on another member after its deadline.
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return client->Put("/t/a", "v").status().code() == absl::StatusCode::kDeadlineExceeded;
      },
      seconds(10)));
  absl::StatusOr<int64_t> next = client->Put("/t/a", "w");
  server_.Resume();
  EXPECT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(client->CurrentEndpoint(), other.endpoint());
}

TEST_F(FailoverTest, AReadOnAHungEndpointIsAnsweredByTheNextInTheSameCall) {
  testing::EtcdServer other;
  std::unique_ptr<Client> client = ClientWithFirstEndpointHung(other);
  ASSERT_NE(client, nullptr);
  // Every read succeeds: the one that meets the stopped member is repeated on
  // the other (the other is not written to: these are the other's own keys).
  bool all_ok = true;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        all_ok = all_ok && client->Range("/t/a", {}).ok();
        return client->CurrentEndpoint() == other.endpoint();
      },
      seconds(10)));
  server_.Resume();
  EXPECT_TRUE(all_ok);
}

TEST_F(FailoverTest, AllEndpointsDeadIsUnavailableNamingOperationAndEndpoints) {
  const std::string dead1 = DeadEndpoint();
  const std::string dead2 = DeadEndpoint();
  std::unique_ptr<Client> client = NewClient(
      {.endpoints = {dead1, dead2}, .dial_timeout = milliseconds(200), .observer = &observer_});
  absl::StatusOr<int64_t> put = client->Put("/services/a", "v");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable);
  const std::string message(put.status().message());
  EXPECT_NE(message.find("etcd Put /services/a on " + dead1), std::string::npos) << message;
  EXPECT_NE(message.find(dead2), std::string::npos) << message;
  ASSERT_EQ(observer_.calls().size(), 1u);
  EXPECT_EQ(observer_.calls()[0].code, absl::StatusCode::kUnavailable);

  EXPECT_EQ(client->OpenWatch({.key = "/t"}).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(client->OpenKeepAlive(1).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(FailoverTest, AnEtcdThatDoesNotAnswerHitsTheRequestDeadline) {
  std::unique_ptr<Client> client = NewClient({.endpoints = {server_.endpoint()},
                                              .dial_timeout = milliseconds(500),
                                              .request_timeout = milliseconds(500)});
  ValueOrDie(client->Put("/t/a", "v"));  // connected
  server_.Pause();
  absl::StatusOr<RangeResult> range;
  Duration elapsed{};
  // SIGSTOP lands asynchronously: a call may still be answered just after it.
  testing::WaitFor(
      [&] {
        const auto start = std::chrono::steady_clock::now();
        range = client->Range("/t/a", {});
        elapsed = std::chrono::steady_clock::now() - start;
        return !range.ok();
      },
      seconds(10));
  server_.Resume();
  EXPECT_EQ(range.status().code(), absl::StatusCode::kDeadlineExceeded) << range.status();
  EXPECT_LT(elapsed, seconds(3));
  EXPECT_NE(range.status().message().find("etcd Range /t/a on " + server_.endpoint()),
            std::string::npos)
      << range.status();
}

TEST_F(FailoverTest, ClientReconnectsAfterEtcdRestarts) {
  std::unique_ptr<Client> client = NewClient({.endpoints = {server_.endpoint()}});
  ValueOrDie(client->Put("/t/a", "v"));
  ASSERT_TRUE(server_.Restart().ok()) << server_.log();
  EXPECT_EQ(ValueOrDie(client->Range("/t/a", {})).kvs.size(), 1u);
  ASSERT_TRUE(server_.Restart().ok()) << server_.log();
  std::unique_ptr<WatchStream> watch = ValueOrDie(client->OpenWatch({.key = "/t/a"}));
  ValueOrDie(client->Delete("/t/a"));
  EXPECT_EQ(ValueOrDie(watch->Next(seconds(5))).events.size(), 1u);
}

// etcd counts each keepalive on a stream as a request: the observer hears of
// each message, not only of the stream's open.
TEST_F(FailoverTest, ObserverHearsOfEveryKeepAliveMessageOnAnOpenStream) {
  std::unique_ptr<Client> client =
      NewClient({.endpoints = {server_.endpoint()}, .observer = &observer_});
  Lease lease = ValueOrDie(client->LeaseGrant(10));
  std::unique_ptr<KeepAliveStream> stream = ValueOrDie(client->OpenKeepAlive(lease.id));
  for (int i = 0; i < 3; ++i) ValueOrDie(stream->KeepAliveOnce());
  EXPECT_EQ(observer_.Count("lease_keepalive"), 1);  // the open
  EXPECT_EQ(observer_.Messages("lease_keepalive"), 3);
}

TEST_F(FailoverTest, ObserverSeesEveryOperationWithItsCode) {
  std::unique_ptr<Client> client =
      NewClient({.endpoints = {server_.endpoint()}, .observer = &observer_});
  ValueOrDie(client->Put("/t/a", "v"));
  ValueOrDie(client->Range("/t/a", {}));
  ValueOrDie(client->Delete("/t/a"));
  ValueOrDie(client->Txn({}, {}));
  Lease lease = ValueOrDie(client->LeaseGrant(10));
  ValueOrDie(client->LeaseTimeToLive(lease.id));
  ValueOrDie(client->OpenKeepAlive(lease.id));
  ASSERT_TRUE(client->LeaseRevoke(lease.id).ok());
  EXPECT_FALSE(client->LeaseRevoke(lease.id).ok());
  ValueOrDie(client->OpenWatch({.key = "/t/a"}));
  for (const char* op :
       {"put", "range", "delete", "txn", "lease_grant", "lease_ttl", "lease_keepalive", "watch"}) {
    EXPECT_EQ(observer_.Count(op), 1) << op;
  }
  EXPECT_EQ(observer_.Count("lease_revoke"), 2);
  EXPECT_EQ(observer_.calls().back().op, "watch");
  EXPECT_EQ(observer_.calls()[observer_.calls().size() - 2].code, absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace registrar::etcd
