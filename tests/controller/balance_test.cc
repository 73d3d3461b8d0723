// Three controllers on one etcd and one target list share it with bounded
// loads: every share within ±10 % of N/3 on a list where rendezvous hashing
// alone misses ±20 %, and every target has exactly one owner in every
// member's own view. No prober: ownership alone is under test.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cluster/ownership.h"
#include "controller/controller.h"
#include "tests/controller/controller_fixture.h"

namespace registrar::controller {
namespace {

using std::chrono::seconds;
using testing::WaitFor;

constexpr size_t kTargets = 300;

// 300 targets on random ports, from the first seed whose list pure
// rendezvous hashing shares outside ±20 % over members a, b and c.
TargetSet UnevenForRendezvous() {
  for (uint32_t seed = 1;; ++seed) {
    std::mt19937 rng(seed);
    std::set<int> ports;
    while (ports.size() < kTargets) ports.insert(1024 + static_cast<int>(rng() % 60000));
    TargetSet targets;
    std::map<std::string, int> share;
    for (int port : ports) {
      targets.push_back(MakeTarget("web", port));
      ++share[OwnerOf(targets.back().Id(), {"a", "b", "c"})];
    }
    for (const auto& [member, n] : share) {
      if (std::abs(n - static_cast<int>(kTargets) / 3) > 20) return targets;
    }
  }
}

class Balance : public ControllerTest {
 protected:
  void TearDown() override {
    for (auto& c : replicas_) c->Stop(false);
    replicas_.clear();
    ControllerTest::TearDown();
  }

  Controller& Replica(const std::string& id, const TargetSet& targets) {
    auto client =
        etcd::Client::Create({.endpoints = {etcd_.endpoint()}, .request_timeout = seconds(2)});
    EXPECT_TRUE(client.ok()) << client.status();
    clients_.push_back(*std::move(client));
    RegistrationOptions options = options_;
    options.cluster.member_id = id;
    randoms_.push_back(std::make_unique<SystemRandom>(randoms_.size() + 10));
    replicas_.push_back(std::make_unique<Controller>(*clients_.back(), RealClock(),
                                                     *randoms_.back(), options,
                                                     std::vector<ServiceRegistration>{}, nullptr));
    replicas_.back()->SetTargets(std::make_shared<const TargetSet>(targets));
    replicas_.back()->Start();
    return *replicas_.back();
  }

  // Every replica sees all three members and the same owner for every one of
  // `targets`; returns the owned count per member (empty until then).
  std::map<std::string, size_t> AgreedShares(const TargetSet& targets) {
    std::map<std::string, std::string> owner;
    for (size_t i = 0; i < replicas_.size(); ++i) {
      const ControllerSnapshot s = replicas_[i]->Snapshot();
      if (s.members.size() != replicas_.size()) return {};
      for (const auto& t : targets) {
        auto it = s.owner_by_target.find(t.Id());
        if (it == s.owner_by_target.end() || it->second.empty()) return {};
        if (i > 0 && owner[t.Id()] != it->second) return {};
        owner[t.Id()] = it->second;
      }
    }
    std::map<std::string, size_t> shares;
    for (const auto& [id, member] : owner) ++shares[member];
    return shares;
  }

  std::vector<std::unique_ptr<etcd::Client>> clients_;
  std::vector<std::unique_ptr<SystemRandom>> randoms_;  // one per replica: used on its threads
  std::vector<std::unique_ptr<Controller>> replicas_;
};

TEST_F(Balance, ThreeReplicasOnOneTargetListOwnWithinTenPercentWhereRendezvousMissesTwenty) {
  const TargetSet targets = UnevenForRendezvous();
  for (const std::string id : {"a", "b", "c"}) Replica(id, targets);
  std::map<std::string, size_t> shares;
  ASSERT_TRUE(WaitFor([&] { return (shares = AgreedShares(targets)).size() == 3; }, seconds(20)))
      << "the replicas never agreed on every owner";
  for (const auto& [member, n] : shares) {
    EXPECT_NEAR(static_cast<double>(n), kTargets / 3.0, kTargets / 3.0 * 0.1) << member;
  }
}

}  // namespace
}  // namespace registrar::controller
