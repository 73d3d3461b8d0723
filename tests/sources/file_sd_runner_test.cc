// fileSd through the runner in real time: a renamed file is listed without
// waiting for the refresh interval, a file written in place is listed only
// whole, a deleted file is kept for one refresh, a bad file keeps the last
// good list. The source is wrapped to see its fetches and polls, and to let a
// writer take one step at each poll (so every poll sees the file changed
// while the writer works, whatever the machine's speed).
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>

#include "sources/file_sd.h"
#include "sources/runner.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::sources {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using testing::WaitFor;
using testing::WriteFile;
using Addresses = std::vector<std::string>;

// What the wrapped source did, and a step to run before each poll.
struct Log {
  std::mutex mu;
  std::vector<Failure> answers;  // of every Fetch, in order
  int polls = 0;
  std::function<void()> before_poll;
};

class Observed final : public Source {
 public:
  Observed(std::unique_ptr<Source> inner, std::shared_ptr<Log> log)
      : inner_(std::move(inner)), log_(std::move(log)) {}
  Answer Fetch() override {
    Answer a = inner_->Fetch();
    std::lock_guard lock(log_->mu);
    log_->answers.push_back(a.failure);
    return a;
  }
  bool Changed() override {
    std::function<void()> step;
    {
      std::lock_guard lock(log_->mu);
      ++log_->polls;
      step = log_->before_poll;
    }
    if (step) step();
    return inner_->Changed();
  }

 private:
  std::unique_ptr<Source> inner_;
  std::shared_ptr<Log> log_;
};

std::string Yaml(const Addresses& targets) {
  std::string out;
  for (const auto& t : targets) out += "- targets: ['" + t + "']\n";
  return out;
}

class FileSdRunnerTest : public ::testing::Test {
 protected:
  void Start(SourceSpec spec) {
    spec.kind = SourceKind::kFileSd;
    spec.service = "billing";
    runner_ = std::make_unique<Runner>(
        RealClock(),
        [this] {
          Addresses now = Listed();
          std::lock_guard lock(log_->mu);
          seen_.push_back(std::move(now));
        },
        [this](const SourceSpec& s) {
          return std::make_unique<Observed>(MakeFileSdSource(s), log_);
        });
    runner_->SetSpecs({spec});
  }
  Addresses Listed() const {
    Addresses out;
    const std::vector<Runner::Listed> listed = runner_->Endpoints();
    if (listed.empty()) return out;  // stopping
    for (const auto& e : listed[0].endpoints) out.push_back(e.Address());
    return out;
  }
  SourceState State() const { return runner_->States().at(0); }
  bool ListedIs(const Addresses& want) {
    return WaitFor([&] { return Listed() == want; });
  }
  // Runs `steps` one per poll; true once all ran.
  std::function<bool()> StepPerPoll(std::vector<std::function<void()>> steps) {
    // Read by the test while the source's thread runs the steps.
    auto next = std::make_shared<std::atomic<size_t>>(0);
    {
      std::lock_guard lock(log_->mu);
      log_->before_poll = [steps, next] {
        const size_t i = next->load();
        if (i < steps.size()) {
          steps[i]();
          next->store(i + 1);  // after the step: done means done
        }
      };
    }
    return [next, count = steps.size()] { return next->load() == count; };
  }

  TempDir dir_;
  std::shared_ptr<Log> log_ = std::make_shared<Log>();
  std::vector<Addresses> seen_;  // guarded by log_->mu: the list at each change
  std::unique_ptr<Runner> runner_;
};

TEST_F(FileSdRunnerTest, ARenamedFileIsListedWithoutWaitingForTheInterval) {
  WriteFile(dir_.File("a.json"), R"([{"targets": ["a:1"]}])");
  Start({.refresh_interval = 1h, .file = {{dir_.File("a.json")}}});
  ASSERT_EQ(Listed(), (Addresses{"a:1"}));
  WriteFile(dir_.File("a.json.tmp"), R"([{"targets": ["a:1", "b:1"]}])");
  ASSERT_EQ(std::rename(dir_.File("a.json.tmp").c_str(), dir_.File("a.json").c_str()), 0);
  EXPECT_TRUE(ListedIs({"a:1", "b:1"}));
}

TEST_F(FileSdRunnerTest, AGlobPicksUpANewFile) {
  WriteFile(dir_.File("a.yaml"), Yaml({"a:1"}));
  Start({.refresh_interval = 1h, .file = {{dir_.File("*.yaml")}}});
  ASSERT_EQ(Listed(), (Addresses{"a:1"}));
  WriteFile(dir_.File(".b.tmp"), Yaml({"b:1"}));
  ASSERT_EQ(std::rename(dir_.File(".b.tmp").c_str(), dir_.File("b.yaml").c_str()), 0);
  EXPECT_TRUE(ListedIs({"a:1", "b:1"}));
}

// Rewrites a YAML file in place, one step per poll, while refreshes come
// between polls: every prefix of the new text is valid YAML listing part of
// the new targets, yet the runner lists only the old set, then the new one.
class InPlaceWriteTest : public FileSdRunnerTest, public ::testing::WithParamInterface<bool> {};

TEST_P(InPlaceWriteTest, AFileWrittenInPlaceIsListedOnlyWhole) {
  const bool truncate_alone = GetParam();  // truncated, then rewritten slowly
  const std::string path = dir_.File("a.yaml");
  const Addresses old_list = {"old:1", "old:2"};
  const Addresses new_list = {"new:1", "new:2", "new:3", "new:4", "new:5", "new:6"};
  WriteFile(path, Yaml(old_list));
  // Refreshes every 0.7 s and polls every 0.5 s: refreshes fall between steps.
  Start({.refresh_interval = 700ms, .max_shrink_percent = 100, .file = {{path}}});
  ASSERT_EQ(Listed(), old_list);
  const auto write = [path](const std::string& text, bool truncate) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND));
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      std::abort();
    }
    ::close(fd);
  };
  std::vector<std::function<void()>> steps;
  if (truncate_alone) steps.push_back([write] { write("", true); });
  for (size_t i = 0; i < new_list.size(); i += 2) {
    const std::string chunk = Yaml({new_list[i], new_list[i + 1]});
    const bool truncate = i == 0 && !truncate_alone;
    steps.push_back([write, chunk, truncate] { write(chunk, truncate); });
  }
  int fetches_before;
  {
    std::lock_guard lock(log_->mu);
    fetches_before = static_cast<int>(log_->answers.size());
  }
  const auto written = StepPerPoll(steps);
  ASSERT_TRUE(WaitFor(written, 30s));
  EXPECT_TRUE(ListedIs(new_list));
  std::lock_guard lock(log_->mu);
  EXPECT_GE(static_cast<int>(log_->answers.size()) - fetches_before, 3);  // refreshes came
  for (const Addresses& listed : seen_) {
    EXPECT_TRUE(listed == old_list || listed == new_list) << ::testing::PrintToString(listed);
  }
}

INSTANTIATE_TEST_SUITE_P(FileSd, InPlaceWriteTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Truncated" : "Overwritten"; });

TEST_F(FileSdRunnerTest, ADeletedFileIsKeptForOneRefresh) {
  WriteFile(dir_.File("a.json"), R"([{"targets": ["a:1", "a:2"]}])");
  WriteFile(dir_.File("b.json"), R"([{"targets": ["b:1"]}])");
  Start({.refresh_interval = 1h, .file = {{dir_.File("*.json")}}});
  ASSERT_EQ(Listed(), (Addresses{"a:1", "a:2", "b:1"}));
  ASSERT_EQ(::unlink(dir_.File("b.json").c_str()), 0);
  ASSERT_TRUE(ListedIs({"a:1", "a:2"}));  // a third: below the shrink guard's 50 %
  EXPECT_EQ(State().failures.at("vanished"), 1u);
  // on_change runs just after the list is published: wait for the second.
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(log_->mu);
    return seen_.size() >= 2;
  }));
  std::lock_guard lock(log_->mu);
  // The refresh that missed it failed; the one after (the retry) dropped it.
  EXPECT_EQ(log_->answers,
            (std::vector<Failure>{Failure::kNone, Failure::kVanished, Failure::kNone}));
  EXPECT_EQ(seen_, (std::vector<Addresses>{{"a:1", "a:2", "b:1"}, {"a:1", "a:2"}}));
}

TEST_F(FileSdRunnerTest, DeletingTheOnlyFileAlsoWaitsForTheShrinkGuard) {
  WriteFile(dir_.File("a.json"), R"([{"targets": ["a:1", "a:2"]}])");
  // Refreshes every second: the confirmation of a held shrink comes with one.
  Start({.refresh_interval = 1s, .file = {{dir_.File("a.json")}}});
  ASSERT_EQ(::unlink(dir_.File("a.json").c_str()), 0);
  ASSERT_TRUE(ListedIs({}));
  const SourceState s = State();
  EXPECT_EQ(s.failures.at("vanished"), 1u);
  EXPECT_EQ(s.changes_held, 1u);  // the empty answer, until the next refresh confirmed it
  std::lock_guard lock(log_->mu);
  // Good answers until a refresh missed the file, then the empty answer
  // twice (held, confirmed).
  const auto vanished = std::find(log_->answers.begin(), log_->answers.end(), Failure::kVanished);
  ASSERT_NE(vanished, log_->answers.end());
  EXPECT_TRUE(
      std::all_of(log_->answers.begin(), vanished, [](Failure f) { return f == Failure::kNone; }));
  const std::vector<Failure> after(vanished + 1, log_->answers.end());
  ASSERT_GE(after.size(), 2u);
  EXPECT_EQ(after[0], Failure::kNone);
  EXPECT_EQ(after[1], Failure::kNone);
}

TEST_F(FileSdRunnerTest, AnInvalidFileKeepsTheLastGoodList) {
  WriteFile(dir_.File("a.json"), R"([{"targets": ["a:1"]}])");
  Start({.refresh_interval = 1h, .file = {{dir_.File("a.json")}}});
  WriteFile(dir_.File("a.json.tmp"), R"([{"targets": ["a:1"]}, {"targets": "b:1"}])");
  ASSERT_EQ(std::rename(dir_.File("a.json.tmp").c_str(), dir_.File("a.json").c_str()), 0);
  ASSERT_TRUE(WaitFor([&] { return State().failures.count("invalid") > 0; }));
  EXPECT_EQ(Listed(), (Addresses{"a:1"}));
  EXPECT_EQ(State().last_error, dir_.File("a.json") +
                                    ": group 1: \"targets\": expected a list of host:port strings, "
                                    "got a string");
}

}  // namespace
}  // namespace registrar::sources
