// Two replicas in simulated time against one etcd in memory: ownership,
// adoption and hand-over rules (docs/architecture.md, "One ownership
// change"), each in milliseconds. The real-etcd twins are in replicas_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "controller/controller.h"
#include "tests/controller/simulated_fixture.h"

namespace registrar::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// An etcd client that passes every call on, except Txns that write under
// the registration prefix while `refuse` is set: a replica that joined the
// cluster but cannot register (its writes fail).
class RefusingClient final : public etcd::Client {
 public:
  explicit RefusingClient(etcd::Client& inner) : inner_(inner) {}
  std::atomic<bool> refuse{false};

  absl::StatusOr<etcd::RangeResult> Range(const std::string& key,
                                          const etcd::RangeOptions& options) override {
    return inner_.Range(key, options);
  }
  absl::StatusOr<int64_t> Put(const std::string& key, const std::string& value,
                              int64_t lease) override {
    return inner_.Put(key, value, lease);
  }
  absl::StatusOr<etcd::DeleteResult> Delete(const std::string& key, bool prefix) override {
    return inner_.Delete(key, prefix);
  }
  absl::StatusOr<etcd::TxnResult> Txn(const std::vector<etcd::Compare>& compares,
                                      const std::vector<etcd::Op>& success,
                                      const std::vector<etcd::Op>& failure) override {
    for (const auto& op : success) {
      if (refuse && op.key.starts_with("/services/")) {
        return absl::UnavailableError("refused by the test");
      }
    }
    return inner_.Txn(compares, success, failure);
  }
  absl::StatusOr<etcd::Lease> LeaseGrant(int64_t ttl_seconds) override {
    return inner_.LeaseGrant(ttl_seconds);
  }
  absl::Status LeaseRevoke(int64_t lease_id) override { return inner_.LeaseRevoke(lease_id); }
  absl::StatusOr<etcd::LeaseInfo> LeaseTimeToLive(int64_t lease_id) override {
    return inner_.LeaseTimeToLive(lease_id);
  }
  absl::StatusOr<std::unique_ptr<etcd::KeepAliveStream>> OpenKeepAlive(
      int64_t lease_id, Duration answer_within) override {
    return inner_.OpenKeepAlive(lease_id, answer_within);
  }
  absl::StatusOr<std::unique_ptr<etcd::WatchStream>> OpenWatch(
      const etcd::WatchOptions& options) override {
    return inner_.OpenWatch(options);
  }
  std::string CurrentEndpoint() const override { return inner_.CurrentEndpoint(); }

 private:
  etcd::Client& inner_;
};

class SimulatedReplicasTest : public SimulatedControllerTest {
 protected:
  // Sessions end well before registrations (2 s vs 4 s), as the defaults
  // have it (5 s vs 10 s): a survivor sees a member leave while its keys are
  // still there to adopt. (With both at 2 s the keys can expire first, and
  // here no prober judges the targets again.)
  void SetUp() override {
    SimulatedControllerTest::SetUp();
    options_.lease_ttl = seconds(4);
  }

  // Both stop without a hand-over: it would wait for adoptions in simulated
  // time that nobody advances any more.
  void TearDown() override {
    if (b_) b_->Stop(false);
    b_.reset();
    if (controller_) controller_->Stop(false);
    SimulatedControllerTest::TearDown();
  }

  // Replica "a" draws from the fixture's Random, "b" from its own (a Random
  // is one controller's).
  std::unique_ptr<Controller> Replica(etcd::Client& client, const std::string& id) {
    RegistrationOptions options = options_;
    options.cluster.member_id = id;
    options.cluster.session_ttl = seconds(2);
    auto c = NewTestController(client, clock_, id == "a" ? random_ : random_b_, options, {},
                               nullptr);
    c->SetTargets(targets_);
    for (const auto& t : *targets_) c->SetHealthy(t, true);
    return c;
  }

  // Key → the lease it carries.
  std::map<std::string, int64_t> Leases() {
    std::map<std::string, int64_t> out;
    for (const auto& [key, kv] : Keys()) out[key] = kv.lease;
    return out;
  }

  std::shared_ptr<const TargetSet> targets_ = [] {
    auto set = std::make_shared<TargetSet>();
    for (int i = 0; i < 12; ++i) set->push_back(MakeTarget("web", 8000 + i));
    return set;
  }();
  SystemRandom random_b_{2};
  std::unique_ptr<Controller> b_;
};

// Two replicas split the targets, every key under its owner's lease; when
// one stops without a word (no revoke, no hand-over), the other adopts its
// keys before they expire: the key count never drops.
TEST_F(SimulatedReplicasTest, TheSurvivorAdoptsEveryKeyAndNoneIsEverMissing) {
  controller_ = Replica(etcd_, "a");
  b_ = Replica(etcd_, "b");
  controller_->Start();
  b_->Start();
  ASSERT_TRUE(Eventually([&] {
    std::set<int64_t> leases;
    for (const auto& [key, lease] : Leases()) leases.insert(lease);
    return KeyCountIs(12) && leases.size() == 2 && controller_->Ready() && b_->Ready();
  }));
  const ControllerSnapshot a = controller_->Snapshot(), b = b_->Snapshot();
  for (const auto& [key, lease] : Leases()) {
    const std::string id = "web/" + key.substr(std::string("/services/web/").size());
    const std::string owner = a.owner_by_target.at(id);
    EXPECT_EQ(owner, b.owner_by_target.at(id)) << id << ": the replicas disagree";
    EXPECT_EQ(lease, owner == "a" ? a.lease_id : b.lease_id) << key;
  }

  b_->Stop(false);  // like SIGKILL: its leases run out
  b_.reset();
  const int64_t lease_a = controller_->Snapshot().lease_id;
  size_t fewest = 12;
  ASSERT_TRUE(Eventually([&] {
    fewest = std::min(fewest, Keys().size());
    for (const auto& [key, lease] : Leases()) {
      if (lease != lease_a) return false;
    }
    return KeyCountIs(12);
  }));
  EXPECT_EQ(fewest, 12u) << "a key was missing while its target moved";
}

// A target moved to a replica that cannot write: the old owner keeps the key
// for one lease TTL for the new owner to adopt, then deletes it then, not at
// the next resync.
TEST_F(SimulatedReplicasTest, AKeyNobodyAdoptsGoesWhenItsGraceEnds) {
  options_.resync_period = seconds(30);
  controller_ = Replica(etcd_, "a");
  controller_->Start();
  ASSERT_TRUE(Eventually([&] { return KeyCountIs(12) && controller_->Ready(); }));

  RefusingClient refusing(etcd_);
  refusing.refuse = true;
  b_ = Replica(refusing, "b");
  b_->Start();
  std::set<std::string> moved;
  ASSERT_TRUE(Eventually([&] {
    moved.clear();
    for (const auto& [id, owner] : controller_->Snapshot().owner_by_target) {
      if (owner == "b") moved.insert(id);
    }
    return !moved.empty();
  }));
  const MonoTime moved_at = clock_.Now();
  ASSERT_TRUE(Eventually([&] { return KeyCountIs(12 - moved.size()); }, milliseconds(5)));
  const Duration took = clock_.Now() - moved_at;
  EXPECT_GE(took, options_.lease_ttl - milliseconds(100)) << "deleted before the grace ended";
  EXPECT_LT(took, options_.lease_ttl + seconds(1)) << "deleted only long after the grace ended";
}

}  // namespace
}  // namespace registrar::controller
