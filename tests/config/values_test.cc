// Duration parsing and formatting; diffs of target sets.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/values.h"

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

TEST(ParseHostPort, AcceptsNamesIPv4AndBracketedIPv6) {
  using internal::ParseHostPort;
  auto hp = ParseHostPort("orders.svc.cluster.local:8080");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "orders.svc.cluster.local");
  EXPECT_EQ(hp->port, 8080);
  hp = ParseHostPort("[::1]:80");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 80);
  EXPECT_TRUE(ParseHostPort("10.0.0.1:1"));
  EXPECT_TRUE(ParseHostPort("host_1.internal.:65535"));
  hp = ParseHostPort(":9464", /*allow_empty_host=*/true);
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "");
}

TEST(ParseHostPort, RejectsWhatCannotBeDialled) {
  for (const char* bad :
       {"", "host", "host:", ":80", "host:0", "host:65536", "host:80x", "::1:80", "[::1]80",
        "[nope]:80", "256.1.1.1:80", "a..b:80", "-a:80", "a b:80", "http://a:80"}) {
    EXPECT_FALSE(internal::ParseHostPort(bad)) << bad;
  }
}

TEST(IsValidEtcdEndpoint, AcceptsHostPortAndHttpUrls) {
  EXPECT_TRUE(internal::IsValidEtcdEndpoint("127.0.0.1:2379"));
  EXPECT_TRUE(internal::IsValidEtcdEndpoint("http://etcd:2379"));
  EXPECT_TRUE(internal::IsValidEtcdEndpoint("https://[::1]:2379/"));
  EXPECT_FALSE(internal::IsValidEtcdEndpoint("unix:///run/etcd.sock"));
  EXPECT_FALSE(internal::IsValidEtcdEndpoint("https://etcd"));
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
