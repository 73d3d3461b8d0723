#include <gtest/gtest.h>

#include "discovery/discovery_state.h"

namespace registrar::etcd::discovery_internal {
namespace {

using Type = EndpointEvent::Type;

KeyValue Kv(const std::string& addr, int64_t mod, int64_t create = 0) {
  KeyValue kv;
  kv.key = "/s/a/" + addr;
  kv.value = addr;
  kv.create_revision = create ? create : mod;
  kv.mod_revision = mod;
  return kv;
}

WatchEvent Put(const std::string& addr, int64_t rev) {
  return {WatchEvent::Type::kPut, Kv(addr, rev), {}};
}
WatchEvent Del(const std::string& addr, int64_t rev) {
  KeyValue kv;
  kv.key = "/s/a/" + addr;
  kv.mod_revision = rev;
  return {WatchEvent::Type::kDelete, kv, {}};
}

std::string Describe(const std::vector<EndpointEvent>& events) {
  std::string out;
  for (const auto& e : events) {
    out += std::string(EventTypeName(e.type)) + " " + e.endpoint.key + "@" +
           std::to_string(e.revision) + ";";
  }
  return out;
}

TEST(EndpointSet, FirstListReportsEveryKeyAsAdded) {
  EndpointSet set("/s/", EndpointFormat::kPlain);
  auto events = set.Reset({Kv("h:1", 3), Kv("h:2", 5)}, 9);
  EXPECT_EQ(Describe(events), "added /s/a/h:1@3;added /s/a/h:2@5;");
  EXPECT_EQ(set.revision(), 9);
  EXPECT_TRUE(set.listed());
}

TEST(EndpointSet, ReListReportsOnlyTheRealDifference) {
  EndpointSet set("/s/", EndpointFormat::kPlain);
  set.Reset({Kv("h:1", 3), Kv("h:2", 5), Kv("h:3", 6)}, 9);
  // h:1 unchanged, h:2 rewritten, h:3 gone, h:4 new.
  auto events = set.Reset({Kv("h:1", 3), Kv("h:2", 12), Kv("h:4", 14)}, 20);
  EXPECT_EQ(Describe(events), "updated /s/a/h:2@12;removed /s/a/h:3@20;added /s/a/h:4@14;");
  EXPECT_EQ(set.endpoints().size(), 3u);
  EXPECT_TRUE(set.Reset({Kv("h:1", 3), Kv("h:2", 12), Kv("h:4", 14)}, 25).empty());
}

TEST(EndpointSet, KeyDeletedAndRecreatedBetweenListsIsAnUpdateNotRemoveAndAdd) {
  EndpointSet set("/s/", EndpointFormat::kPlain);
  set.Reset({Kv("h:1", 3)}, 3);
  auto events = set.Reset({Kv("h:1", 10, 10)}, 10);
  EXPECT_EQ(Describe(events), "updated /s/a/h:1@10;");
}

TEST(EndpointSet, WatchEventsApplyInOrderAndReportAddUpdateRemove) {
  EndpointSet set("/s/", EndpointFormat::kPlain);
  set.Reset({Kv("h:1", 3)}, 4);
  auto events = set.Apply({Put("h:2", 5), Put("h:1", 6), Del("h:2", 7)});
  EXPECT_EQ(Describe(events), "added /s/a/h:2@5;updated /s/a/h:1@6;removed /s/a/h:2@7;");
  EXPECT_EQ(set.revision(), 7);
  ASSERT_EQ(set.endpoints().size(), 1u);
  EXPECT_EQ(set.endpoints().at("/s/a/h:1").mod_revision, 6);
}

TEST(EndpointSet, EventsAtOrBelowTheAppliedRevisionAreSkipped) {
  EndpointSet set("/s/", EndpointFormat::kPlain);
  set.Reset({Kv("h:1", 3)}, 8);
  EXPECT_TRUE(set.Apply({Put("h:2", 5), Del("h:1", 8)}).empty());
  EXPECT_EQ(set.endpoints().size(), 1u);
}

TEST(EndpointSet, AllEventsOfOneTxnRevisionApplyTogether) {
  EndpointSet set("/s/", EndpointFormat::kPlain);
  set.Reset({}, 4);
  auto events = set.Apply({Put("h:1", 5), Put("h:2", 5)});
  EXPECT_EQ(events.size(), 2u);
}

TEST(EndpointSet, DeleteOfUnknownKeyReportsNothing) {
  EndpointSet set("/s/", EndpointFormat::kPlain);
  set.Reset({}, 4);
  EXPECT_TRUE(set.Apply({Del("h:9", 5)}).empty());
  EXPECT_EQ(set.revision(), 5);
}

TEST(EndpointSet, ProgressAdvancesTheRevisionOnly) {
  EndpointSet set("/s/", EndpointFormat::kPlain);
  set.Reset({}, 4);
  set.AdvanceTo(10);
  set.AdvanceTo(6);
  EXPECT_EQ(set.revision(), 10);
}

TEST(EndpointSet, BadValueIsKeptWithAnErrorFlag) {
  EndpointSet set("/s/", EndpointFormat::kJson);
  auto events = set.Reset({Kv("h:1", 3)}, 4);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].endpoint.ok());
}

TEST(DiscoveryBackoff, DoublesFromInitialUpToMaxWithJitterInUpperHalf) {
  using std::chrono::milliseconds;
  FixedRandom top(0.999999);
  Backoff b(milliseconds(100), milliseconds(1000), top);
  std::vector<int64_t> ms;
  for (int i = 0; i < 6; ++i) {
    ms.push_back(std::chrono::duration_cast<milliseconds>(b.Next() + milliseconds(1)).count());
  }
  EXPECT_EQ(ms, (std::vector<int64_t>{100, 200, 400, 800, 1000, 1000}));
  FixedRandom bottom(0.0);
  Backoff low(milliseconds(100), milliseconds(1000), bottom);
  EXPECT_EQ(low.Next(), milliseconds(50));
  low.Reset();
  EXPECT_EQ(low.Next(), milliseconds(50));
}

}  // namespace
}  // namespace registrar::etcd::discovery_internal
