// Judge: drains and fail-open decide which owned targets are registered.
// A small table stands in for the controller's: each Judge() writes its
// verdicts back, as the controller thread does before every decision.
#include "registration/judge.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace registrar::controller {
namespace {

using probes::Health;

class JudgeTest : public ::testing::Test {
 protected:
  void Add(const std::string& name, const std::string& service) {
    services_[name] = service;
    rows_[name] = {.owned = true};
  }
  // One probe round: results of every target, then the transitions they cause.
  void Round(const std::vector<std::string>& names, bool ok) {
    for (const auto& n : names) rows_[n].last_result = ok ? 1 : 0;
    for (const auto& n : names) rows_[n].probe = ok ? Health::kHealthy : Health::kUnhealthy;
    Run();
  }
  void Run() {
    std::vector<JudgeRow> rows;
    for (auto& [name, row] : rows_) {
      row.service = &services_[name];
      row.drained = drained_.contains(name);
      rows.push_back(row);
    }
    Judgement j = Judge(rows, below_, drains_known_);
    ASSERT_EQ(j.registered.size(), rows.size());
    size_t i = 0;
    for (auto& [name, row] : rows_) row.registered = j.registered[i++];
    open_.clear();
    for (const auto& [service, share] : j.fail_open) open_.push_back(service);
  }
  bool Registered(const std::string& name) { return rows_[name].registered == Health::kHealthy; }

  std::map<std::string, std::string> services_;
  std::map<std::string, JudgeRow> rows_;
  std::set<std::string> drained_;
  std::map<std::string, int> below_;
  bool drains_known_ = true;
  std::vector<std::string> open_;
};

TEST_F(JudgeTest, NothingIsJudgedBeforeTheDrainsAreKnown) {
  Add("a", "web");
  drains_known_ = false;
  Round({"a"}, true);
  EXPECT_EQ(rows_["a"].registered, Health::kUnknown) << "kept as it is (adopted), not judged";
  drains_known_ = true;
  Run();
  EXPECT_TRUE(Registered("a"));
}

TEST_F(JudgeTest, ADrainUnregistersAtOnceAndAnUndrainRestoresOnlyIfHealthy) {
  Add("a", "web");
  Add("b", "web");
  Add("c", "web");
  Round({"a", "b"}, true);
  drained_ = {"a", "c"};
  Run();
  EXPECT_FALSE(Registered("a"));
  EXPECT_TRUE(Registered("b"));
  EXPECT_EQ(rows_["c"].registered, Health::kUnhealthy) << "drained without a verdict: goes too";
  Round({"a", "b"}, true);  // healthy probes do not bring it back
  EXPECT_FALSE(Registered("a"));
  Round({"a"}, false);
  drained_.clear();
  Run();
  EXPECT_FALSE(Registered("a")) << "undrained while unhealthy";
  EXPECT_EQ(rows_["c"].registered, Health::kUnhealthy) << "undrained, still no verdict";
  Round({"a"}, true);
  EXPECT_TRUE(Registered("a"));
}

TEST_F(JudgeTest, FailOpenKeepsRegistrationsWhileTooFewPassAndResumesAfter) {
  for (const char* n : {"a", "b", "c", "d"}) Add(n, "web");
  Add("other", "api");
  below_ = {{"web", 50}};
  Round({"a", "b", "c", "d", "other"}, true);
  // One real failure: 3 of 4 pass, judged normally.
  Round({"a"}, false);
  EXPECT_FALSE(Registered("a"));
  // A partition: every result fails before any threshold is crossed; the
  // results and the transitions after them are judged together.
  for (const char* n : {"b", "c", "d"}) rows_[n].last_result = 0;
  Run();
  EXPECT_EQ(open_, std::vector<std::string>{"web"});
  for (const char* n : {"b", "c", "d"}) rows_[n].probe = Health::kUnhealthy;
  Run();
  EXPECT_TRUE(Registered("b") && Registered("c") && Registered("d")) << "kept";
  EXPECT_FALSE(Registered("a")) << "fail-open keeps, it does not add";
  // Another service is judged as always.
  Round({"other"}, false);
  EXPECT_FALSE(Registered("other"));
  // A drain still applies during fail-open.
  drained_ = {"b"};
  Run();
  EXPECT_FALSE(Registered("b"));
  drained_.clear();
  Run();
  EXPECT_FALSE(Registered("b")) << "undrained while unhealthy: not restored by fail-open";
  // Two of four pass again (50%, not below): judging resumes, c and d go.
  Round({"a", "b"}, true);
  EXPECT_TRUE(open_.empty());
  EXPECT_TRUE(Registered("a") && Registered("b"));
  EXPECT_FALSE(Registered("c") || Registered("d"));
}

TEST_F(JudgeTest, WithoutAThresholdAServiceNeverFailsOpen) {
  Add("a", "web");
  Add("b", "web");
  Round({"a", "b"}, true);
  Round({"a", "b"}, false);
  EXPECT_FALSE(Registered("a") || Registered("b"));
  EXPECT_TRUE(open_.empty());
}

TEST_F(JudgeTest, ATargetWithoutAVerdictKeepsWhatItHasAndAnUnhealthyFirstVerdictUnregisters) {
  // The controller keeps an adopted key until the probes decide; a first
  // verdict of "unhealthy" must take it away.
  Add("a", "web");
  Run();
  EXPECT_EQ(rows_["a"].registered, Health::kUnknown);
  Round({"a"}, false);
  EXPECT_EQ(rows_["a"].registered, Health::kUnhealthy);
}

TEST_F(JudgeTest, TargetsOwnedElsewhereAreNotJudgedAndCountTowardNoShare) {
  for (const char* n : {"a", "b", "c", "d"}) Add(n, "web");
  below_ = {{"web", 50}};
  Round({"a", "b"}, true);
  Round({"c", "d"}, false);  // 2 of 4 pass: not below 50%
  EXPECT_TRUE(open_.empty());
  rows_["c"].owned = rows_["d"].owned = false;
  rows_["c"].registered = Health::kUnknown;  // as the controller resets it
  drained_ = {"c"};
  Round({"a"}, false);  // 1 of the 2 owned passes: still not below
  EXPECT_TRUE(open_.empty()) << "c and d's old failures must not count";
  EXPECT_FALSE(Registered("a"));
  EXPECT_EQ(rows_["c"].registered, Health::kUnknown) << "not ours: not judged, even drained";
}

}  // namespace
}  // namespace registrar::controller
