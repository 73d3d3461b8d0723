// Exec probes with real commands: exit codes, timeouts that kill the whole
// process group, children left behind, megabytes of output, the target in
// the environment, the bound on commands at once, and no zombies.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <dirent.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "probes/prober.h"
#include "tests/probes/recording_observer.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Target ExecTarget(const std::string& service, std::vector<std::string> command) {
  Target t;
  t.service = service;
  t.host = "127.0.0.1";
  t.port = 8080;
  t.probe.kind = ProbeKind::kExec;
  t.probe.exec.command = std::move(command);
  t.probe.period = milliseconds(300);
  t.probe.timeout = seconds(5);  // generous: the machine is shared
  t.probe.success_threshold = 1;
  t.probe.failure_threshold = 1;
  return t;
}

// A process's state letter from /proc ('Z' zombie), or 0 when it is gone.
char ProcessState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() ? 0 : line[paren + 2];
}

// Our children that are zombies.
int ZombieChildren() {
  int zombies = 0;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return -1;
  while (dirent* e = readdir(dir)) {
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    size_t paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(line.substr(paren + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == getpid() && state == 'Z') ++zombies;
  }
  closedir(dir);
  return zombies;
}

pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

class ExecTest : public ::testing::Test {
 protected:
  void Start(std::vector<Target> targets, ProberOptions options = {}) {
    prober_ = Prober::Create(RealClock(), random_, options, &observer_);
    prober_->SetTargets(std::move(targets));
    prober_->Start();
  }
  void TearDown() override {
    if (prober_) prober_->Stop();
    EXPECT_EQ(ZombieChildren(), 0);
  }
  bool HasResult(const Target& t) {
    return testing::WaitFor([&] { return observer_.ResultCount(t.Id()) > 0; }, seconds(30));
  }

  SystemRandom random_{1};
  RecordingObserver observer_;
  std::unique_ptr<Prober> prober_;
  registrar::testing::TempDir dir_;
};

TEST_F(ExecTest, ExitZeroIsHealthyAndAnythingElseIsNot) {
  Target ok = ExecTarget("true", {"true"});
  Target bad = ExecTarget("false", {"false"});
  Target missing = ExecTarget("missing", {"/nonexistent/check"});
  Start({ok, bad, missing});
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return observer_.HealthOf(ok.Id()) == Health::kHealthy &&
               observer_.HealthOf(bad.Id()) == Health::kUnhealthy &&
               observer_.HealthOf(missing.Id()) == Health::kUnhealthy;
      },
      seconds(30)));
  EXPECT_EQ(observer_.LastReason(bad.Id()), "exit status 1");
  EXPECT_EQ(observer_.LastReason(missing.Id()),
            "exec: cannot run /nonexistent/check: No such file or directory");
}

TEST_F(ExecTest, TheTargetIsInTheEnvironmentAndOutputInTheReason) {
  Target env = ExecTarget(
      "svc", {"sh", "-c",
              "test \"$TARGET_HOST\" = 127.0.0.1 && test \"$TARGET_PORT\" = 8080 && "
              "test \"$TARGET_SERVICE\" = svc && test \"$TARGET_ADDRESS\" = 127.0.0.1:8080"});
  Target says = ExecTarget("says", {"sh", "-c", "echo 'replica lag 30s'; echo more >&2; exit 2"});
  Start({env, says});
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return observer_.HealthOf(env.Id()) == Health::kHealthy &&
               observer_.HealthOf(says.Id()) == Health::kUnhealthy;
      },
      seconds(30)));
  EXPECT_EQ(observer_.LastReason(says.Id()), "exit status 2: replica lag 30s more");
}

TEST_F(ExecTest, ATimeoutKillsTheWholeProcessGroup) {
  std::string pids = dir_.File("pids");
  // The shell starts a child in its group, then waits: both must die.
  Target slow = ExecTarget("slow", {"sh", "-c", "sleep 60 & echo $$ $! > " + pids + "; wait"});
  slow.probe.timeout = milliseconds(500);
  slow.probe.period = seconds(60);
  Start({slow});
  ASSERT_TRUE(HasResult(slow));
  EXPECT_EQ(observer_.LastReason(slow.Id()), "timeout after 500ms");
  std::ifstream in(pids);
  pid_t shell = 0, child = 0;
  in >> shell >> child;
  ASSERT_GT(shell, 0);
  ASSERT_GT(child, 0);
  // Killed: gone, or a zombie of whoever reaps orphans (never ours).
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        char a = ProcessState(shell), b = ProcessState(child);
        return (a == 0 || a == 'Z') && (b == 0 || b == 'Z');
      },
      seconds(10)));
  EXPECT_TRUE(testing::WaitFor([] { return ZombieChildren() == 0; }, seconds(10)));
}

TEST_F(ExecTest, AChildLeftBehindIsKilledWhenTheCommandExits) {
  std::string pid_file = dir_.File("child");
  Target forks = ExecTarget("forks", {"sh", "-c", "sleep 60 & echo $! > " + pid_file + "; exit 0"});
  forks.probe.period = seconds(60);
  Start({forks});
  ASSERT_TRUE(HasResult(forks));
  EXPECT_TRUE(observer_.Results(forks.Id()).back().result.ok);
  pid_t child = ReadPid(pid_file);
  ASSERT_GT(child, 0);
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        char s = ProcessState(child);
        return s == 0 || s == 'Z';
      },
      seconds(10)));
}

TEST_F(ExecTest, MegabytesOfOutputNeitherBlockNorGrowTheReason) {
  Target chatty =
      ExecTarget("chatty", {"sh", "-c", "head -c 8000000 /dev/zero | tr '\\0' x; exit 3"});
  Target quiet_ok = ExecTarget("ok", {"sh", "-c", "head -c 8000000 /dev/zero"});
  Start({chatty, quiet_ok});
  ASSERT_TRUE(HasResult(chatty));
  ASSERT_TRUE(HasResult(quiet_ok));
  std::string reason = observer_.LastReason(chatty.Id());
  EXPECT_TRUE(reason.starts_with("exit status 3: xxxx")) << reason;
  EXPECT_LE(reason.size(), 300u);
  EXPECT_TRUE(observer_.Results(quiet_ok.Id()).back().result.ok)
      << observer_.LastReason(quiet_ok.Id());
}

TEST_F(ExecTest, OnlyABoundedNumberRunAtOnceAndTheRestWaitWithoutFailing) {
  std::string log = dir_.File("running");
  // Each command notes the most that ran with it (including itself).
  std::vector<Target> targets;
  for (int i = 0; i < 6; ++i) {
    targets.push_back(
        ExecTarget("s" + std::to_string(i),
                   {"sh", "-c",
                    "d=" + dir_.path() + "; touch $d/r.$$; ls $d | grep -c '^r\\.' >> " + log +
                        "; sleep 0.3; rm $d/r.$$"}));
  }
  ProberOptions options;
  options.max_exec = 2;
  Start(targets, options);
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        for (const auto& t : targets) {
          if (observer_.ResultCount(t.Id()) < 2) return false;
        }
        return true;
      },
      seconds(60)));
  EXPECT_EQ(observer_.Failures(), 0) << observer_.AnyFailureReason();
  EXPECT_GT(observer_.LocalErrors("fork"), 0);
  prober_->Stop();
  std::ifstream in(log);
  int most = 0;
  for (int n; in >> n;) most = std::max(most, n);
  EXPECT_GE(most, 1);
  EXPECT_LE(most, 2);
}

}  // namespace
}  // namespace registrar::probes
