// Duration parsing and formatting; diffs of target sets.
#include <gtest/gtest.h>

#include "config/config.h"

namespace registrar::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ParseDuration, AcceptsPrometheusStyleUnits) {
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("10s"), seconds(10));
  EXPECT_EQ(ParseDuration("1m"), minutes(1));
  EXPECT_EQ(ParseDuration("1h"), minutes(60));
  EXPECT_EQ(ParseDuration("1m30s"), seconds(90));
  EXPECT_EQ(ParseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(ParseDuration("250us"), std::chrono::microseconds(250));
  EXPECT_EQ(ParseDuration("7ns"), std::chrono::nanoseconds(7));
  EXPECT_EQ(ParseDuration("0s"), seconds(0));
}

TEST(ParseDuration, RejectsNumbersWithoutUnitsAndGarbage) {
  for (const char* bad : {"", "10", "s", "-1s", "1.s", ".s", "10 s", "1x", "1sm", "abc", "1e3s"}) {
    EXPECT_EQ(ParseDuration(bad), std::nullopt) << bad;
  }
}

TEST(FormatDuration, PrintsTheShortestExactForm) {
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(seconds(10)), "10s");
  EXPECT_EQ(FormatDuration(seconds(90)), "1m30s");
  EXPECT_EQ(FormatDuration(minutes(120)), "2h");
  EXPECT_EQ(FormatDuration(milliseconds(2500)), "2500ms");
  EXPECT_EQ(FormatDuration(seconds(0)), "0s");
}

probes::Target MakeTarget(const std::string& service, int port, int period_s = 10) {
  probes::Target t;
  t.service = service;
  t.host = "127.0.0.1";
  t.port = port;
  t.probe.period = seconds(period_s);
  return t;
}

TEST(Diff, SplitsAddedRemovedAndChangedById) {
  std::vector<probes::Target> before = {MakeTarget("a", 1), MakeTarget("a", 2), MakeTarget("b", 1)};
  std::vector<probes::Target> after = {MakeTarget("a", 1), MakeTarget("a", 2, 5),
                                       MakeTarget("c", 1)};
  TargetDiff diff = Diff(before, after);
  ASSERT_EQ(diff.added.size(), 1u);
  EXPECT_EQ(diff.added[0].Id(), "c/127.0.0.1:1");
  ASSERT_EQ(diff.removed.size(), 1u);
  EXPECT_EQ(diff.removed[0].Id(), "b/127.0.0.1:1");
  ASSERT_EQ(diff.changed.size(), 1u);
  EXPECT_EQ(diff.changed[0].Id(), "a/127.0.0.1:2");
  EXPECT_EQ(diff.changed[0].probe.period, seconds(5));
}

TEST(Diff, IsEmptyForTheSameTargets) {
  std::vector<probes::Target> targets = {MakeTarget("a", 1), MakeTarget("b", 2)};
  EXPECT_TRUE(Diff(targets, targets).empty());
}

}  // namespace
}  // namespace registrar::config
