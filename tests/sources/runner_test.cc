// The runner's schedule and safety rules, in simulated time with a scripted
// source (the real sources are tested against real servers elsewhere).
#include "sources/runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>

#include "tests/support/wait.h"

namespace registrar::sources {
namespace {

using std::chrono::seconds;
using testing::WaitFor;

// Answers from a script; the last one repeats. Counts fetches.
class ScriptedSource final : public Source {
 public:
  struct Shared {
    std::mutex mu;
    std::deque<Answer> script;
    Answer last;
    int fetches = 0;
    bool changed = false;
  };
  explicit ScriptedSource(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  Answer Fetch() override {
    std::lock_guard lock(shared_->mu);
    ++shared_->fetches;
    if (!shared_->script.empty()) {
      shared_->last = shared_->script.front();
      shared_->script.pop_front();
    }
    return shared_->last;
  }
  bool Changed() override {
    std::lock_guard lock(shared_->mu);
    return std::exchange(shared_->changed, false);
  }

 private:
  std::shared_ptr<Shared> shared_;
};

Answer Good(int count, std::optional<Duration> ttl = std::nullopt) {
  Answer a;
  for (int i = 0; i < count; ++i) a.endpoints.push_back({"10.0.0." + std::to_string(i), 80});
  a.ttl = ttl;
  return a;
}

Answer Failed(Failure f) { return Answer{.failure = f, .error = "it broke"}; }

SourceSpec Spec(Duration interval = seconds(30)) {
  SourceSpec spec;
  spec.kind = SourceKind::kDnsSd;
  spec.service = "billing";
  spec.dns.names = {"_http._tcp.billing.example"};
  spec.refresh_interval = interval;
  return spec;
}

class RunnerTest : public ::testing::Test {
 protected:
  void Start(std::vector<Answer> script, SourceSpec spec = Spec()) {
    for (auto& a : script) shared_->script.push_back(std::move(a));
    runner_ = std::make_unique<Runner>(
        clock_, [this] { ++changes_; },
        [this](const SourceSpec&) { return std::make_unique<ScriptedSource>(shared_); });
    runner_->SetSpecs({spec});
  }
  int Fetches() {
    std::lock_guard lock(shared_->mu);
    return shared_->fetches;
  }
  // Moves simulated time once the source's thread waits, then waits (really)
  // for `fetches` fetches.
  void AdvanceAndExpectFetches(Duration d, int fetches) {
    ASSERT_TRUE(WaitFor([&] { return clock_.waiters() >= 1; }));
    clock_.Advance(d);
    ASSERT_TRUE(WaitFor([&] { return Fetches() >= fetches; })) << Fetches();
    ASSERT_TRUE(WaitFor([&] { return clock_.waiters() >= 1; }));
    EXPECT_EQ(Fetches(), fetches);
  }
  size_t Listed() { return runner_->Endpoints().at(0).endpoints.size(); }
  SourceState State() { return runner_->States().at(0); }

  SimulatedClock clock_;
  std::shared_ptr<ScriptedSource::Shared> shared_ = std::make_shared<ScriptedSource::Shared>();
  std::atomic<int> changes_{0};
  std::unique_ptr<Runner> runner_;
};

TEST_F(RunnerTest, SetSpecsReturnsWithTheFirstAnswer) {
  Start({Good(3)});
  EXPECT_EQ(Listed(), 3u);
  EXPECT_TRUE(State().answered);
  EXPECT_EQ(changes_.load(), 1);
}

TEST_F(RunnerTest, AFailureKeepsTheLastGoodListAndRetriesWithBackoff) {
  Start({Good(3), Failed(Failure::kServFail), Failed(Failure::kTimeout), Good(3)});
  AdvanceAndExpectFetches(seconds(30), 2);
  EXPECT_EQ(Listed(), 3u);
  EXPECT_EQ(State().failures["servfail"], 1u);
  EXPECT_EQ(State().last_error, "it broke");
  AdvanceAndExpectFetches(seconds(1), 3);  // first retry after 1 s
  EXPECT_EQ(State().failures["timeout"], 1u);
  AdvanceAndExpectFetches(seconds(1), 3);  // then 2 s
  AdvanceAndExpectFetches(seconds(1), 4);
  EXPECT_EQ(Listed(), 3u);
  EXPECT_TRUE(State().last_error.empty());
  EXPECT_EQ(changes_.load(), 1);  // nothing changed for the consumers
}

TEST_F(RunnerTest, ADnsTtlLongerThanTheIntervalIsHonoured) {
  Start({Good(2, seconds(120))}, Spec(seconds(30)));
  AdvanceAndExpectFetches(seconds(30), 1);
  AdvanceAndExpectFetches(seconds(60), 1);
  AdvanceAndExpectFetches(seconds(30), 2);
}

TEST_F(RunnerTest, ATtlShorterThanTheIntervalDoesNotRefreshSooner) {
  Start({Good(2, seconds(1))}, Spec(seconds(30)));
  AdvanceAndExpectFetches(seconds(20), 1);
  AdvanceAndExpectFetches(seconds(10), 2);
}

TEST_F(RunnerTest, AChangedSourceIsReadAtOnce) {
  Start({Good(2), Good(4)});
  {
    std::lock_guard lock(shared_->mu);
    shared_->changed = true;
  }
  AdvanceAndExpectFetches(kChangePollInterval, 2);
  EXPECT_EQ(Listed(), 4u);
  EXPECT_EQ(changes_.load(), 2);
  EXPECT_EQ(State().changes_applied, 1u);
}

TEST_F(RunnerTest, AShrinkIsHeldUntilTheNextRefreshConfirmsIt) {
  Start({Good(10), Good(1), Good(1)});
  AdvanceAndExpectFetches(seconds(30), 2);
  EXPECT_EQ(Listed(), 10u);
  EXPECT_EQ(State().held_removals, 9u);
  EXPECT_EQ(State().changes_held, 1u);
  AdvanceAndExpectFetches(seconds(30), 3);
  EXPECT_EQ(Listed(), 1u);
  EXPECT_EQ(State().held_removals, 0u);
  EXPECT_EQ(State().changes_applied, 1u);
}

TEST_F(RunnerTest, AnUnchangedSpecKeepsItsSourceAcrossSetSpecs) {
  Start({Good(3)});
  runner_->SetSpecs({Spec()});
  EXPECT_EQ(Fetches(), 1);
  EXPECT_EQ(Listed(), 3u);
  SourceSpec other = Spec();
  other.dns.names = {"_http._tcp.other.example"};
  runner_->SetSpecs({other});
  EXPECT_EQ(Fetches(), 2);  // a new source answers before SetSpecs returns
  EXPECT_EQ(runner_->States().at(0).name, "dnsSd _http._tcp.other.example");
}

TEST_F(RunnerTest, AReloadedSpecOfTheSameSourceKeepsItsListWhenItsFirstRefreshFails) {
  Start({Good(3), Failed(Failure::kTimeout)});
  SourceSpec slower = Spec(seconds(60));  // same source, other settings: a new one
  runner_->SetSpecs({slower});
  EXPECT_EQ(Fetches(), 2);
  EXPECT_EQ(Listed(), 3u);
  EXPECT_EQ(State().failures["timeout"], 1u);
  EXPECT_EQ(changes_.load(), 1);  // nothing changed for the consumers
  // The shrink guard counts from the inherited list too.
  {
    std::lock_guard lock(shared_->mu);
    shared_->script.push_back(Good(0));
  }
  AdvanceAndExpectFetches(seconds(1), 3);
  EXPECT_EQ(Listed(), 3u);
  EXPECT_EQ(State().held_removals, 3u);
}

TEST_F(RunnerTest, ASourceThatNeverAnsweredListsNothing) {
  Start({Failed(Failure::kConnect)});
  EXPECT_EQ(Listed(), 0u);
  EXPECT_FALSE(State().answered);
  EXPECT_EQ(State().failures["connect"], 1u);
  EXPECT_EQ(changes_.load(), 0);
}

}  // namespace
}  // namespace registrar::sources
