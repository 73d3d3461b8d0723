// TargetTable: the rules of the controller's one target table, applied
// directly (no thread, no clock, no etcd).
#include "controller/target_table.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace registrar::controller {
namespace {

using probes::Health;

probes::Target T(int port) {
  probes::Target t;
  t.service = "web";
  t.host = "127.0.0.1";
  t.port = port;
  return t;
}

class TargetTableTest : public ::testing::Test {
 protected:
  void Set(std::vector<probes::Target> targets) {
    TargetTable::Change c{.kind = TargetTable::Change::Kind::kSet};
    c.targets = std::make_shared<const std::vector<probes::Target>>(std::move(targets));
    table_.Apply(c);
  }
  void Verdict(const probes::Target& t, Health h, bool offer = false) {
    TargetTable::Change c{.kind = TargetTable::Change::Kind::kHealth, .target = t, .health = h};
    c.offer = offer;
    table_.Apply(c);
  }
  // Each target owned by the member the map names; this replica is "me".
  // Returns the ids that became ours.
  std::set<std::string> Own(const std::map<std::string, std::string>& owner_by_id) {
    std::vector<std::string> owners;
    for (const std::string& id : table_.Ids()) owners.push_back(owner_by_id.at(id));
    std::vector<probes::Target> owned;
    std::set<std::string> newly;
    std::map<std::string, size_t> counts;
    table_.SetOwners(std::move(owners), "me", true, MonoTime{}, owned, newly, counts);
    return newly;
  }
  const TargetTable::Entry& E(const probes::Target& t) { return table_.entries().at(t.Id()); }

  TargetTable table_;
  const probes::Target a_ = T(1), b_ = T(2);
};

TEST_F(TargetTableTest, AVerdictOfATargetOutsideTheSetOrOwnedElsewhereIsDropped) {
  Verdict(a_, Health::kHealthy);  // no set yet: the verdict adds its target
  EXPECT_EQ(E(a_).probe, Health::kHealthy);
  Set({a_});
  EXPECT_EQ(E(a_).probe, Health::kHealthy) << "a listed target keeps its entry";
  Verdict(b_, Health::kHealthy);
  EXPECT_FALSE(table_.entries().contains(b_.Id())) << "not in the set";
  Set({a_, b_});
  Own({{a_.Id(), "me"}, {b_.Id(), "other"}});
  Verdict(b_, Health::kHealthy);
  EXPECT_EQ(E(b_).probe, Health::kUnknown) << "owned by another member";
  EXPECT_FALSE(table_.TakeResults({{b_.Id(), true}}));
  EXPECT_EQ(E(b_).last_result, -1);
  EXPECT_TRUE(table_.TakeResults({{a_.Id(), false}}));
  EXPECT_FALSE(table_.TakeResults({{a_.Id(), false}})) << "the same result changes nothing";
}

TEST_F(TargetTableTest, ATargetThatLeavesForgetsWhatWeKnewAndAnOfferCountsOnlyWithoutAVerdict) {
  Set({a_, b_});
  EXPECT_EQ(Own({{a_.Id(), "me"}, {b_.Id(), "me"}}), (std::set<std::string>{a_.Id(), b_.Id()}));
  Verdict(a_, Health::kHealthy);
  table_.TakeResults({{a_.Id(), true}});
  table_.Judge({}, WallTime{});
  ASSERT_EQ(E(a_).health, Health::kHealthy);
  EXPECT_TRUE(Own({{a_.Id(), "other"}, {b_.Id(), "me"}}).empty());
  EXPECT_EQ(E(a_).probe, Health::kUnknown);
  EXPECT_EQ(E(a_).health, Health::kUnknown);
  EXPECT_EQ(E(a_).last_result, -1);
  EXPECT_EQ(Own({{a_.Id(), "me"}, {b_.Id(), "me"}}), std::set<std::string>{a_.Id()});
  Verdict(a_, Health::kHealthy, /*offer=*/true);  // the prober kept its session
  EXPECT_EQ(E(a_).probe, Health::kHealthy);
  Verdict(a_, Health::kUnhealthy);
  Verdict(a_, Health::kHealthy, /*offer=*/true);
  EXPECT_EQ(E(a_).probe, Health::kUnhealthy) << "a verdict exists: the offer is not taken";
}

TEST_F(TargetTableTest, JudgingStampsTheRegistrationTimeOnlyWhenATargetTurnsRegistered) {
  Set({a_});
  Own({{a_.Id(), "me"}});
  Verdict(a_, Health::kHealthy);
  const WallTime first = WallTime{} + std::chrono::seconds(10);
  table_.Judge({}, first);
  table_.Judge({}, first + std::chrono::seconds(5));
  EXPECT_EQ(E(a_).registered_at, first);
  Verdict(a_, Health::kUnhealthy);
  table_.Judge({}, first + std::chrono::seconds(6));
  Verdict(a_, Health::kHealthy);
  table_.Judge({}, first + std::chrono::seconds(7));
  EXPECT_EQ(E(a_).registered_at, first + std::chrono::seconds(7));
}

}  // namespace
}  // namespace registrar::controller
