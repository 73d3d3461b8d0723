// DrainStore against a real etcd: records under the coordination prefix, the
// watch reports every change, --for expiry by etcd's lease, a new store (a
// restarted registrar) sees earlier drains.
#include "registration/drain_store.h"

#include <gtest/gtest.h>

#include <mutex>

#include "tests/controller/test_client.h"
#include "tests/support/etcd_server.h"
#include "tests/support/wait.h"

namespace registrar::controller {
namespace {

using std::chrono::seconds;
using testing::EtcdServer;
using testing::WaitFor;

class DrainStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.Start().ok()) << etcd_.log();
    auto client = testing::ConnectTestClient(etcd_, seconds(3));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  std::set<std::string> Seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  DrainStore::Listener Listener() {
    return [this](const std::set<std::string>& ids) {
      std::lock_guard lock(mu_);
      seen_ = ids;
      ++calls_;
    };
  }

  EtcdServer etcd_;
  std::unique_ptr<etcd::Client> client_;
  std::mutex mu_;
  std::set<std::string> seen_;
  int calls_ = 0;
};

TEST_F(DrainStoreTest, RecordsLiveUnderTheCoordinationPrefixAsJson) {
  DrainStore store(*client_, RealClock(), "/etcd-registrar/services/");
  ASSERT_TRUE(store.Drain("web/127.0.0.1:8080", "disk swap", Duration::zero(), "alice").ok());
  auto kv = client_->Range("/etcd-registrar/services/drain/web/127.0.0.1:8080", {});
  ASSERT_TRUE(kv.ok() && kv->kvs.size() == 1);
  EXPECT_EQ(kv->kvs[0].lease, 0) << "no --for: no lease";
  auto record = ParseDrainRecord(kv->kvs[0].value);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->reason, "disk swap");
  EXPECT_EQ(record->by, "alice");
  EXPECT_FALSE(record->until);
  auto list = store.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->begin()->first, "web/127.0.0.1:8080");
  // Nothing under the registration prefix.
  etcd::RangeOptions prefix;
  prefix.prefix = true;
  EXPECT_TRUE(client_->Range("/services/", prefix)->kvs.empty());

  ASSERT_TRUE(store.Undrain("web/127.0.0.1:8080").ok());
  EXPECT_EQ(store.Undrain("web/127.0.0.1:8080").code(), absl::StatusCode::kNotFound);
}

TEST_F(DrainStoreTest, TheWatchSeesDrainsOfOthersAndOfBefore) {
  DrainStore writer(*client_, RealClock(), "/c/");
  ASSERT_TRUE(writer.Drain("web/a:1", "before", Duration::zero(), "cli").ok());
  // A registrar that starts now (a restart) learns the earlier drain.
  DrainStore watcher(*client_, RealClock(), "/c/");
  ASSERT_TRUE(watcher.Start(Listener()).ok());
  ASSERT_TRUE(WaitFor([&] { return Seen() == std::set<std::string>{"web/a:1"}; }, seconds(10)));
  ASSERT_TRUE(writer.Drain("web/b:2", "after", Duration::zero(), "cli").ok());
  ASSERT_TRUE(WaitFor([&] { return Seen().size() == 2; }, seconds(10)));
  EXPECT_EQ(watcher.Drained().at("web/b:2").reason, "after");
  ASSERT_TRUE(writer.Undrain("web/a:1").ok());
  ASSERT_TRUE(WaitFor([&] { return Seen() == std::set<std::string>{"web/b:2"}; }, seconds(10)));
  watcher.Stop();
}

TEST_F(DrainStoreTest, ADrainWithADurationEndsByItself) {
  DrainStore store(*client_, RealClock(), "/c/");
  ASSERT_TRUE(store.Start(Listener()).ok());
  ASSERT_TRUE(store.Drain("web/a:1", "reboot", seconds(2), "cli").ok());
  auto list = store.List();
  ASSERT_TRUE(list.ok());
  ASSERT_TRUE(list->at("web/a:1").until);
  ASSERT_TRUE(WaitFor([&] { return Seen().size() == 1; }, seconds(10)));
  // etcd's lease expires it; the watch reports the removal.
  ASSERT_TRUE(WaitFor([&] { return Seen().empty(); }, seconds(30)));
  EXPECT_TRUE(store.List()->empty());
  // Re-draining without a duration replaces a timed drain for good.
  ASSERT_TRUE(store.Drain("web/a:1", "timed", seconds(2), "cli").ok());
  ASSERT_TRUE(store.Drain("web/a:1", "for good", Duration::zero(), "cli").ok());
  auto kv = client_->Range("/c/drain/web/a:1", {});
  ASSERT_TRUE(kv.ok() && kv->kvs.size() == 1);
  EXPECT_EQ(kv->kvs[0].lease, 0);
}

}  // namespace
}  // namespace registrar::controller
