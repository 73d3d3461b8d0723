// Rendezvous ownership: every target has one owner, members get a fair share,
// and a join or leave moves about 1/n of the targets (nothing else moves).
#include "controller/ownership.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace registrar::controller {
namespace {

constexpr int kTargets = 10000;

std::vector<std::string> TargetIds() {
  std::vector<std::string> ids;
  for (int i = 0; i < kTargets; ++i) {
    ids.push_back("web/10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":8080");
  }
  return ids;
}

std::map<std::string, std::string> Owners(const std::vector<std::string>& members) {
  std::map<std::string, std::string> owners;
  for (const auto& id : TargetIds()) owners[id] = OwnerOf(id, members);
  return owners;
}

TEST(Ownership, ThreeMembersShareTenThousandTargetsWithinTwentyPercent) {
  const std::vector<std::string> members = {"registrar-0", "registrar-1", "registrar-2"};
  std::map<std::string, int> count;
  for (const auto& [id, owner] : Owners(members)) ++count[owner];
  ASSERT_EQ(count.size(), 3u);
  for (const auto& [member, n] : count) {
    EXPECT_NEAR(n, kTargets / 3.0, kTargets / 3.0 * 0.05) << member;  // well within ±20 %
  }
}

TEST(Ownership, EveryMemberComputesTheSameOwnerWhateverTheListOrder) {
  EXPECT_EQ(Owners({"a", "b", "c"}), Owners({"c", "a", "b"}));
}

TEST(Ownership, AJoinMovesAboutAQuarterOfTargetsAllToTheNewMember) {
  const auto before = Owners({"registrar-0", "registrar-1", "registrar-2"});
  const auto after = Owners({"registrar-0", "registrar-1", "registrar-2", "registrar-3"});
  int moved = 0;
  for (const auto& [id, owner] : before) {
    if (after.at(id) != owner) {
      ++moved;
      EXPECT_EQ(after.at(id), "registrar-3") << id;  // only to the newcomer
    }
  }
  EXPECT_NEAR(moved, kTargets / 4.0, kTargets / 4.0 * 0.2);
}

TEST(Ownership, ALeaveMovesOnlyTheLeaversTargetsSpreadOverTheOthers) {
  const auto before = Owners({"registrar-0", "registrar-1", "registrar-2"});
  const auto after = Owners({"registrar-0", "registrar-2"});
  int moved = 0;
  std::map<std::string, int> to;
  for (const auto& [id, owner] : before) {
    if (owner == "registrar-1") {
      ++moved;
      ++to[after.at(id)];
    } else {
      EXPECT_EQ(after.at(id), owner) << id;  // nobody else's target moves
    }
  }
  EXPECT_NEAR(moved, kTargets / 3.0, kTargets / 3.0 * 0.2);
  EXPECT_NEAR(to["registrar-0"], moved / 2.0, moved / 2.0 * 0.2);
}

TEST(Ownership, NoMembersNoOwner) { EXPECT_EQ(OwnerOf("web/a:1", {}), ""); }

}  // namespace
}  // namespace registrar::controller
