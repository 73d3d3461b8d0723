// Discovery against a real etcd: consistency under concurrent writers,
// compaction while disconnected, a paused etcd, an etcd restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "discovery/discovery.h"
#include "tests/support/etcd_server.h"
#include "tests/support/fault_relay.h"
#include "tests/support/wait.h"

namespace registrar::etcd {
namespace {

using registrar::testing::EtcdServer;
using registrar::testing::FaultRelay;
using registrar::testing::WaitFor;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPrefix[] = "/services/orders/";

// Every update the callback saw, in delivery order.
class Recorder {
 public:
  Discovery::Callback callback() {
    return [this](const DiscoveryUpdate& u) {
      std::lock_guard<std::mutex> lock(mu_);
      updates_.push_back(u);
    };
  }
  std::vector<DiscoveryUpdate> updates() const {
    std::lock_guard<std::mutex> lock(mu_);
    return updates_;
  }
  // Events of every update after the first (the snapshot), as "type key@rev".
  std::vector<std::string> ChangesAfterSnapshot() const {
    std::vector<std::string> out;
    auto all = updates();
    for (size_t i = 1; i < all.size(); ++i) {
      for (const auto& e : all[i].events) {
        out.push_back(std::string(EventTypeName(e.type)) + " " + e.endpoint.key);
      }
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<DiscoveryUpdate> updates_;
};

std::unique_ptr<Client> NewClient(const std::string& endpoint) {
  ClientOptions options;
  options.endpoints = {endpoint};
  options.dial_timeout = seconds(2);
  options.request_timeout = seconds(2);
  auto client = Client::Create(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return std::move(*client);
}

DiscoveryOptions FastOptions() {
  DiscoveryOptions options;
  options.prefix = kPrefix;
  options.format = EndpointFormat::kPlain;
  options.idle_timeout = seconds(2);
  options.initial_backoff = milliseconds(50);
  options.max_backoff = milliseconds(300);
  options.seed = 1;
  return options;
}

// key → value as `etcdctl get --prefix` prints it (key and value lines).
std::map<std::string, std::string> EtcdctlGet(const EtcdServer& etcd, const std::string& prefix) {
  std::istringstream in(etcd.EtcdCtl({"get", "--prefix", prefix}));
  std::map<std::string, std::string> out;
  std::string key;
  std::string value;
  while (std::getline(in, key) && std::getline(in, value)) out[key] = value;
  return out;
}

std::map<std::string, std::string> Values(const DiscoverySnapshot& snapshot) {
  std::map<std::string, std::string> out;
  for (const auto& [key, endpoint] : snapshot.endpoints) out[key] = endpoint.value;
  return out;
}

std::string Key(const std::string& addr) { return std::string(kPrefix) + addr; }

class DiscoveryEtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EtcdServer::Options options;
    // Progress notifications often enough that a healthy quiet watch is
    // never taken for a silent one (idle_timeout is 2 s in these tests).
    options.extra_args = {"--experimental-watch-progress-notify-interval=500ms"};
    etcd_ = std::make_unique<EtcdServer>(options);
    ASSERT_TRUE(etcd_->Start().ok());
    writer_ = NewClient(etcd_->endpoint());
  }

  void Put(const std::string& addr) { ASSERT_TRUE(writer_->Put(Key(addr), addr).ok()); }
  void Put(const std::string& addr, const std::string& value) {
    ASSERT_TRUE(writer_->Put(Key(addr), value).ok());
  }
  void Delete(const std::string& addr) { ASSERT_TRUE(writer_->Delete(Key(addr)).ok()); }
  int64_t CurrentRevision() {
    auto r = writer_->Range("/", {.count_only = true});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->revision : 0;
  }
  bool Converged(const Discovery& discovery) {
    return Values(*discovery.Snapshot()) == EtcdctlGet(*etcd_, kPrefix);
  }

  std::unique_ptr<EtcdServer> etcd_;
  std::unique_ptr<Client> writer_;
};

TEST_F(DiscoveryEtcdTest, InitialSnapshotReadsEveryPageAtOneRevision) {
  for (int i = 0; i < 23; ++i) Put("10.0.0." + std::to_string(i) + ":80");
  ASSERT_TRUE(writer_->Put("/services/ordersX/other:1", "other:1").ok());  // outside the prefix
  const int64_t revision = CurrentRevision();
  auto client = NewClient(etcd_->endpoint());
  DiscoveryOptions options = FastOptions();
  options.page_size = 4;
  Recorder recorder;
  auto discovery = Discovery::Start(*client, options, recorder.callback());
  ASSERT_TRUE(discovery.ok()) << discovery.status();
  ASSERT_TRUE((*discovery)->WaitSynced(seconds(10)));
  auto snapshot = (*discovery)->Snapshot();
  EXPECT_EQ(snapshot->revision, revision);
  EXPECT_EQ(snapshot->endpoints.size(), 23u);
  EXPECT_EQ(Values(*snapshot), EtcdctlGet(*etcd_, kPrefix));
  auto updates = recorder.updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].kind, DiscoveryUpdate::Kind::kSnapshot);
  EXPECT_EQ(updates[0].events.size(), 23u);
  EXPECT_EQ(snapshot->endpoints.at(Key("10.0.0.3:80")).address, "10.0.0.3:80");
}

TEST_F(DiscoveryEtcdTest, ConcurrentWritersEveryEventAfterSnapshotDeliveredExactlyOnceInOrder) {
  struct Write {
    int64_t revision;
    std::string change;  // "put KEY" | "delete KEY"
  };
  constexpr int kWriters = 4;
  constexpr int kOpsPerWriter = 500;
  std::mutex mu;
  std::vector<Write> writes;
  std::atomic<int> done_ops{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto client = NewClient(etcd_->endpoint());
      std::mt19937 rng(w + 1);
      for (int i = 0; i < kOpsPerWriter; ++i, ++done_ops) {
        std::string addr = "10." + std::to_string(w) + ".0." + std::to_string(rng() % 40) + ":80";
        if (rng() % 3 == 0) {
          auto r = client->Delete(Key(addr));
          ASSERT_TRUE(r.ok()) << r.status();
          if (r->deleted == 0) continue;  // no revision, no event
          std::lock_guard<std::mutex> lock(mu);
          writes.push_back({r->revision, "delete " + Key(addr)});
        } else {
          auto r = client->Put(Key(addr), addr);
          ASSERT_TRUE(r.ok()) << r.status();
          std::lock_guard<std::mutex> lock(mu);
          writes.push_back({*r, "put " + Key(addr)});
        }
      }
    });
  }
  // The client starts while the writers are in full flow.
  ASSERT_TRUE(WaitFor([&] { return done_ops >= kWriters * kOpsPerWriter / 5; }, seconds(30)));
  auto client = NewClient(etcd_->endpoint());
  DiscoveryOptions options = FastOptions();
  options.page_size = 16;  // many pages while writes land between them
  Recorder recorder;
  auto discovery = Discovery::Start(*client, options, recorder.callback());
  ASSERT_TRUE(discovery.ok());
  for (auto& t : writers) t.join();
  ASSERT_FALSE(HasFatalFailure());
  const int64_t last = CurrentRevision();
  ASSERT_TRUE(WaitFor([&] { return (*discovery)->Snapshot()->revision >= last; }, seconds(20)));

  EXPECT_EQ(Values(*(*discovery)->Snapshot()), EtcdctlGet(*etcd_, kPrefix));

  auto updates = recorder.updates();
  ASSERT_FALSE(updates.empty());
  ASSERT_EQ(updates[0].kind, DiscoveryUpdate::Kind::kSnapshot);
  const int64_t snapshot_revision = updates[0].revision;
  std::vector<std::string> delivered;
  int64_t previous = snapshot_revision;
  for (size_t i = 1; i < updates.size(); ++i) {
    EXPECT_EQ(updates[i].kind, DiscoveryUpdate::Kind::kWatch);
    for (const auto& e : updates[i].events) {
      EXPECT_GT(e.revision, previous) << "out of order or repeated";
      previous = e.revision;
      delivered.push_back((e.type == EndpointEvent::Type::kRemoved ? "delete " : "put ") +
                          e.endpoint.key + "@" + std::to_string(e.revision));
    }
  }
  std::sort(writes.begin(), writes.end(),
            [](const Write& a, const Write& b) { return a.revision < b.revision; });
  std::vector<std::string> expected;
  for (const Write& w : writes) {
    if (w.revision > snapshot_revision) {
      expected.push_back(w.change + "@" + std::to_string(w.revision));
    }
  }
  EXPECT_GT(expected.size(), 100u) << "the client started too late to test anything";
  EXPECT_EQ(delivered, expected);
}

TEST_F(DiscoveryEtcdTest, CompactionWhileDisconnectedEmitsOnlyTheRealDifference) {
  Put("10.0.0.1:80");
  Put("10.0.0.2:80");
  Put("10.0.0.3:80");
  FaultRelay proxy(etcd_->port());
  auto client = NewClient(proxy.endpoint());
  Recorder recorder;
  auto discovery = Discovery::Start(*client, FastOptions(), recorder.callback());
  ASSERT_TRUE(discovery.ok());
  ASSERT_TRUE((*discovery)->WaitSynced(seconds(10)));

  proxy.SetMode(FaultRelay::Mode::kDrop);
  ASSERT_TRUE(WaitFor([&] { return (*discovery)->stats().errors > 0; }));
  Delete("10.0.0.1:80");
  Put("10.0.0.2:80", "10.0.0.2:80");  // rewritten, same value
  Put("10.0.0.4:80");
  Put("10.0.0.5:80");
  Delete("10.0.0.5:80");  // came and went while disconnected: nothing to report
  etcd_->EtcdCtl({"compact", std::to_string(CurrentRevision())});
  proxy.SetMode(FaultRelay::Mode::kForward);

  ASSERT_TRUE(WaitFor([&] { return (*discovery)->stats().compactions > 0; }, seconds(15)));
  ASSERT_TRUE(WaitFor([&] { return Converged(**discovery); }));
  EXPECT_EQ(
      recorder.ChangesAfterSnapshot(),
      (std::vector<std::string>{"removed " + Key("10.0.0.1:80"), "updated " + Key("10.0.0.2:80"),
                                "added " + Key("10.0.0.4:80")}));
  auto updates = recorder.updates();
  EXPECT_EQ(updates.back().kind, DiscoveryUpdate::Kind::kResync);

  // And it keeps watching after the re-list.
  Put("10.0.0.6:80");
  ASSERT_TRUE(WaitFor([&] { return Converged(**discovery); }));
  EXPECT_EQ(recorder.ChangesAfterSnapshot().back(), "added " + Key("10.0.0.6:80"));
}

TEST_F(DiscoveryEtcdTest, PausedEtcdIsDetectedAsSilentAndResumesWithoutLosingEvents) {
  Put("10.0.0.1:80");
  auto client = NewClient(etcd_->endpoint());
  Recorder recorder;
  auto discovery = Discovery::Start(*client, FastOptions(), recorder.callback());
  ASSERT_TRUE(discovery.ok());
  ASSERT_TRUE((*discovery)->WaitSynced(seconds(10)));
  Put("10.0.0.2:80");
  ASSERT_TRUE(WaitFor([&] { return Converged(**discovery); }));
  ASSERT_TRUE(WaitFor([&] { return (*discovery)->stats().watch_opens > 0; }));

  etcd_->Pause();
  // Nothing answers, not even progress notifications: the stream is reopened.
  const bool noticed = WaitFor([&] { return (*discovery)->stats().idle_reopens > 0; }, seconds(8));
  etcd_->Resume();
  ASSERT_TRUE(noticed);
  Delete("10.0.0.1:80");
  Put("10.0.0.3:80");
  ASSERT_TRUE(WaitFor([&] { return Converged(**discovery); }));
  EXPECT_EQ(
      recorder.ChangesAfterSnapshot(),
      (std::vector<std::string>{"added " + Key("10.0.0.2:80"), "removed " + Key("10.0.0.1:80"),
                                "added " + Key("10.0.0.3:80")}));
}

TEST_F(DiscoveryEtcdTest, EtcdRestartConvergesWithoutSpuriousEvents) {
  Put("10.0.0.1:80");
  Put("10.0.0.2:80");
  auto client = NewClient(etcd_->endpoint());
  Recorder recorder;
  auto discovery = Discovery::Start(*client, FastOptions(), recorder.callback());
  ASSERT_TRUE(discovery.ok());
  ASSERT_TRUE((*discovery)->WaitSynced(seconds(10)));
  ASSERT_TRUE(WaitFor([&] { return (*discovery)->stats().watch_opens > 0; }));

  ASSERT_TRUE(etcd_->Restart().ok());
  // Whether the restart shows as a stream error depends on how fast etcd is
  // back (gRPC may reconnect under the same stream): the behaviour is that the
  // changes made after it arrive, once each, with nothing spurious.
  Delete("10.0.0.2:80");
  Put("10.0.0.3:80");
  ASSERT_TRUE(WaitFor([&] { return Converged(**discovery); }, seconds(15)));
  EXPECT_EQ(
      recorder.ChangesAfterSnapshot(),
      (std::vector<std::string>{"removed " + Key("10.0.0.2:80"), "added " + Key("10.0.0.3:80")}));
}

TEST_F(DiscoveryEtcdTest, ValueInTheWrongFormatIsReportedWithAnErrorFlag) {
  Put("10.0.0.1:80", R"({"Op":0,"Addr":"10.0.0.1:80"})");
  auto client = NewClient(etcd_->endpoint());
  DiscoveryOptions options = FastOptions();
  options.format = EndpointFormat::kPlain;
  auto discovery = Discovery::Start(*client, options);
  ASSERT_TRUE(discovery.ok());
  ASSERT_TRUE((*discovery)->WaitSynced(seconds(10)));
  Put("10.0.0.2:80");
  ASSERT_TRUE(WaitFor([&] { return (*discovery)->Snapshot()->endpoints.size() == 2; }));
  auto snapshot = (*discovery)->Snapshot();
  EXPECT_FALSE(snapshot->endpoints.at(Key("10.0.0.1:80")).ok());
  EXPECT_TRUE(snapshot->endpoints.at(Key("10.0.0.2:80")).ok());
}

TEST(Discovery, RejectsAnEmptyPrefix) {
  auto client = Client::Create({.endpoints = {"127.0.0.1:1"}});
  ASSERT_TRUE(client.ok());
  DiscoveryOptions options;
  EXPECT_EQ(Discovery::Start(**client, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace registrar::etcd
