#include "probes/result_history.h"

#include <gtest/gtest.h>

#include <string>

namespace registrar::probes {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ProbeResult Result(int k, std::string reason, bool ok = true) {
  ProbeResult r;
  r.start = MonoTime{} + seconds(k);
  r.wall_start = WallTime{} + seconds(1000 + k);
  r.ok = ok;
  r.reason = std::move(reason);
  r.latency = milliseconds(k);
  r.http_status = ok ? 200 : 503;
  if (k % 2 == 1) r.cert_not_after = WallTime{} + seconds(5000 + k);
  return r;
}

TEST(ResultHistory, KeepsTheLastLimitResultsOldestFirstWithEveryField) {
  ResultHistory h(3);
  for (int k = 0; k < 7; ++k) h.Add(Result(k, "reason " + std::to_string(k), k % 3 != 0));
  auto got = h.Get();
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    int k = 4 + i;
    ProbeResult want = Result(k, "reason " + std::to_string(k), k % 3 != 0);
    EXPECT_EQ(got[i].start, want.start);
    EXPECT_EQ(got[i].wall_start, want.wall_start);
    EXPECT_EQ(got[i].ok, want.ok);
    EXPECT_EQ(got[i].reason, want.reason);
    EXPECT_EQ(got[i].latency, want.latency);
    EXPECT_EQ(got[i].http_status, want.http_status);
    EXPECT_EQ(got[i].cert_not_after, want.cert_not_after);
  }
}

TEST(ResultHistory, StoresARepeatedReasonOnce) {
  ResultHistory h(10);
  for (int k = 0; k < 25; ++k) h.Add(Result(k, "status 200"));
  EXPECT_EQ(h.size(), 10u);
  EXPECT_EQ(h.reasons(), 1u);
}

TEST(ResultHistory, NeverStoresMoreReasonsThanResultsAndKeepsEachEntrysOwn) {
  ResultHistory h(4);
  // Alternating and ever-new reasons: slots of dropped reasons are reused.
  for (int k = 0; k < 40; ++k)
    h.Add(Result(k, k % 2 == 0 ? "status 200" : "r" + std::to_string(k)));
  EXPECT_LE(h.reasons(), 4u);
  auto got = h.Get();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].reason, "status 200");
  EXPECT_EQ(got[1].reason, "r37");
  EXPECT_EQ(got[2].reason, "status 200");
  EXPECT_EQ(got[3].reason, "r39");
}

TEST(ResultHistory, KeepsAtLeastOneResult) {
  ResultHistory h(0);
  h.Add(Result(1, "a"));
  h.Add(Result(2, "b"));
  auto got = h.Get();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].reason, "b");
}

}  // namespace
}  // namespace registrar::probes
