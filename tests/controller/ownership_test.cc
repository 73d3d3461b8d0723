// Rendezvous ownership: every target has one owner, members get a fair share,
// and a join or leave moves about 1/n of the targets (nothing else moves).
// Bounded loads: every share within ±10 % at 3 × 300 whatever the ids, at the
// cost of a few more moves when a member is full.
#include "cluster/ownership.h"
#include "cluster/membership.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>
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

// `n` distinct ids as a config of random backends gives them (seeded, so
// every run sees the same sets).
std::vector<std::string> RandomTargetIds(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::set<std::string> ids;
  while (ids.size() < n) {
    ids.insert("s" + std::to_string(rng() % 10) + "/127.0.0.1:" + std::to_string(rng() % 60000));
  }
  return {ids.begin(), ids.end()};
}

std::map<std::string, std::string> Bounded(const std::vector<std::string>& ids,
                                           const std::vector<std::string>& members) {
  const std::vector<std::string> owners = AssignOwners(ids, members);
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < ids.size(); ++i) out[ids[i]] = owners[i];
  return out;
}

// The fraction of `before`'s targets whose owner differs in `after`.
double Moved(const std::map<std::string, std::string>& before,
             const std::map<std::string, std::string>& after) {
  size_t moved = 0;
  for (const auto& [id, owner] : before) moved += after.at(id) != owner ? 1 : 0;
  return static_cast<double>(moved) / static_cast<double>(before.size());
}

constexpr int kSeeds = 200;

TEST(BoundedLoads, EveryShareOfThreeHundredTargetsOverThreeMembersIsWithinTenPercent) {
  const std::vector<std::string> members = {"r0", "r1", "r2"};
  int rendezvous_outside_twenty_percent = 0;
  double worst = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    const auto ids = RandomTargetIds(300, seed);
    std::map<std::string, int> bounded, rendezvous;
    for (const auto& [id, owner] : Bounded(ids, members)) ++bounded[owner];
    for (const auto& id : ids) ++rendezvous[OwnerOf(id, members)];
    ASSERT_EQ(bounded.size(), 3u) << "seed " << seed;
    for (const auto& [member, n] : bounded) {
      EXPECT_LE(n, 105) << "seed " << seed << " " << member;  // capacity ceil(300·1.05/3)
      EXPECT_GE(n, 90) << "seed " << seed << " " << member;   // 300 − 2 · 105
      worst = std::max(worst, std::abs(n - 100) / 100.0);
    }
    for (const auto& [member, n] : rendezvous) {
      if (std::abs(n - 100) > 20) {
        ++rendezvous_outside_twenty_percent;
        break;
      }
    }
  }
  std::printf(
      "bounded loads: worst share %.0f %% off even over %d target sets; pure rendezvous "
      "outside ±20 %% in %d of them\n",
      worst * 100, kSeeds, rendezvous_outside_twenty_percent);
  // What bounded loads are for: the hash alone does miss ±20 % at this size.
  EXPECT_GT(rendezvous_outside_twenty_percent, 0);
}

TEST(BoundedLoads, EveryMemberComputesTheSameOwnersWhateverTheListOrders) {
  auto ids = RandomTargetIds(300, 7);
  const auto first = Bounded(ids, {"a", "b", "c"});
  std::reverse(ids.begin(), ids.end());
  EXPECT_EQ(Bounded(ids, {"c", "a", "b"}), first);
}

TEST(BoundedLoads, WithRoomAtEveryMemberItIsPlainRendezvous) {
  const std::vector<std::string> members = {"registrar-0", "registrar-1", "registrar-2"};
  EXPECT_EQ(Bounded(TargetIds(), members), Owners(members));  // 10 000 ids: no share is full
}

TEST(BoundedLoads, AJoinOrALeaveOfTenThousandTargetsMovesAboutOneInN) {
  const std::vector<std::string> three = {"registrar-0", "registrar-1", "registrar-2"};
  const auto before = Bounded(TargetIds(), three);
  const double join = Moved(
      before, Bounded(TargetIds(), {"registrar-0", "registrar-1", "registrar-2", "registrar-3"}));
  const double leave = Moved(before, Bounded(TargetIds(), {"registrar-0", "registrar-2"}));
  std::printf("3 members x 10000 targets: a join moves %.3f, a leave %.3f\n", join, leave);
  EXPECT_NEAR(join, 1.0 / 4, 0.02);
  EXPECT_NEAR(leave, 1.0 / 3, 0.02);
}

TEST(BoundedLoads, AJoinOrALeaveMovesLittleMoreThanRendezvousWhenSharesAreFull) {
  double join = 0, leave = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    const auto ids = RandomTargetIds(300, seed);
    const auto before = Bounded(ids, {"r0", "r1", "r2"});
    join += Moved(before, Bounded(ids, {"r0", "r1", "r2", "r3"})) / kSeeds;
    leave += Moved(before, Bounded(ids, {"r0", "r2"})) / kSeeds;
  }
  std::printf("3 members x 300 targets, mean of %d sets: a join moves %.3f, a leave %.3f\n", kSeeds,
              join, leave);
  EXPECT_LT(join, 1.0 / 4 + 0.03);
  EXPECT_LT(leave, 1.0 / 3 + 0.03);
}

TEST(BoundedLoads, EveryTargetHasAnOwnerAndNoMembersMeansNone) {
  const auto ids = RandomTargetIds(50, 3);
  for (const auto& owner : AssignOwners(ids, {"a", "b", "c", "d", "e", "f", "g"})) {
    EXPECT_FALSE(owner.empty());
  }
  for (const auto& owner : AssignOwners(ids, {})) EXPECT_EQ(owner, "");
  EXPECT_EQ(BoundedLoadCapacity(300, 3), 105u);
  EXPECT_EQ(BoundedLoadCapacity(10, 3), 4u);
}

// The owners of one replica's table: bounded loads over the set behind the
// owners' digest, plain rendezvous for targets outside it (a source target,
// or every target when the set is not known).
TEST(OwnersOf, BoundedLoadsForTheSetBehindTheDigestRendezvousForTheRest) {
  const std::vector<std::string> members = {"a", "b", "c"};
  const std::vector<std::string> all = RandomTargetIds(300, 7);
  const std::vector<std::string> set(all.begin(), all.begin() + 200);
  const std::map<std::string, std::string> bounded = Bounded(set, members);
  size_t spilled = 0;
  for (const auto& [id, owner] : bounded) spilled += owner != OwnerOf(id, members) ? 1 : 0;
  ASSERT_GT(spilled, 0u) << "the set must show bounded loads at work";
  const std::vector<std::string> owners = OwnersOf(all, members, &set);
  ASSERT_EQ(owners.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    auto b = bounded.find(all[i]);
    EXPECT_EQ(owners[i], b != bounded.end() ? b->second : OwnerOf(all[i], members)) << all[i];
  }
  const std::vector<std::string> plain = OwnersOf(all, members, nullptr);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(plain[i], OwnerOf(all[i], members));
}

TEST(OwningMembers, OnlyTheMembersOfTheNewestJoinersConfigOwn) {
  MembershipView view;
  view.members = {{"a", 5, 0, "old"}, {"b", 9, 0, "new"}, {"c", 7, 0, "new"}, {"d", 3, 0, "x"}};
  const OwningMembers owning = OwningMembersOf(view);
  EXPECT_EQ(owning.ids, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(owning.digest, "new");
  EXPECT_FALSE(OwningMembersOf(MembershipView{}).digest);
  EXPECT_TRUE(OwningMembersOf(MembershipView{}).ids.empty());
}

}  // namespace
}  // namespace registrar::controller
