// ConfigWatcher sees every way a config file gets replaced on disk.
#include "config/watcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>

#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::config {
namespace {

using testing::TempDir;
using testing::WaitFor;
using testing::WriteFile;

// Polling far away, so that these tests see inotify at work.
ConfigWatcher::Options InotifyOnly() {
  ConfigWatcher::Options options;
  options.poll_interval = std::chrono::hours(1);
  return options;
}

class WatcherTest : public ::testing::Test {
 protected:
  std::function<void()> Count() {
    return [this] { calls_.fetch_add(1); };
  }
  int calls() const { return calls_.load(); }

  TempDir dir_;
  std::atomic<int> calls_{0};
};

TEST_F(WatcherTest, SeesAnInPlaceWrite) {
  std::string file = dir_.File("config.yaml");
  WriteFile(file, "a: 1\n");
  ConfigWatcher watcher({file}, Count(), InotifyOnly());
  EXPECT_TRUE(watcher.using_inotify());
  WriteFile(file, "a: 2\n");
  EXPECT_TRUE(WaitFor([&] { return calls() == 1; }));
}

TEST_F(WatcherTest, SeesAnAtomicRename) {
  std::string file = dir_.File("config.yaml");
  WriteFile(file, "a: 1\n");
  ConfigWatcher watcher({file}, Count(), InotifyOnly());
  WriteFile(dir_.File(".config.yaml.tmp"), "a: 2\n");
  ASSERT_EQ(std::rename(dir_.File(".config.yaml.tmp").c_str(), file.c_str()), 0);
  EXPECT_TRUE(WaitFor([&] { return calls() == 1; }));
}

// The layout kubelet writes for a ConfigMap volume: config.yaml ->
// ..data/config.yaml, ..data -> ..<timestamp>; an update writes a new
// timestamped directory and renames a new ..data symlink over the old one.
TEST_F(WatcherTest, SeesAConfigMapSymlinkSwap) {
  namespace fs = std::filesystem;
  fs::create_directory(dir_.File("..2026_01_01_00_00_00.1"));
  WriteFile(dir_.File("..2026_01_01_00_00_00.1/config.yaml"), "a: 1\n");
  fs::create_directory_symlink("..2026_01_01_00_00_00.1", dir_.File("..data"));
  fs::create_symlink("..data/config.yaml", dir_.File("config.yaml"));
  ConfigWatcher watcher({dir_.File("config.yaml")}, Count(), InotifyOnly());

  fs::create_directory(dir_.File("..2026_01_01_00_01_00.2"));
  WriteFile(dir_.File("..2026_01_01_00_01_00.2/config.yaml"), "a: 2\n");
  fs::create_directory_symlink("..2026_01_01_00_01_00.2", dir_.File("..data_tmp"));
  ASSERT_EQ(std::rename(dir_.File("..data_tmp").c_str(), dir_.File("..data").c_str()), 0);
  fs::remove_all(dir_.File("..2026_01_01_00_00_00.1"));
  EXPECT_TRUE(WaitFor([&] { return calls() >= 1; }));
  EXPECT_EQ(testing::ReadFile(dir_.File("config.yaml")), "a: 2\n");
}

TEST_F(WatcherTest, IgnoresWritesThatDoNotChangeTheContent) {
  std::string file = dir_.File("config.yaml");
  WriteFile(file, "a: 1\n");
  ConfigWatcher watcher({file}, Count(), InotifyOnly());
  WriteFile(file, "a: 1\n");                         // same content
  WriteFile(dir_.File("unrelated.txt"), "noise\n");  // same directory
  WriteFile(file, "a: 2\n");
  EXPECT_TRUE(WaitFor([&] { return calls() >= 1; }));
  EXPECT_EQ(calls(), 1);
}

TEST_F(WatcherTest, SeesAFileDeletedAndRecreated) {
  std::string file = dir_.File("endpoints.txt");
  WriteFile(file, "127.0.0.1:80\n");
  ConfigWatcher watcher({file}, Count(), InotifyOnly());
  std::filesystem::remove(file);
  EXPECT_TRUE(WaitFor([&] { return calls() == 1; }));
  WriteFile(file, "127.0.0.1:81\n");
  EXPECT_TRUE(WaitFor([&] { return calls() == 2; }));
}

TEST_F(WatcherTest, SetFilesWatchesANewFileInAnotherDirectory) {
  TempDir other;
  std::string config = dir_.File("config.yaml");
  std::string endpoints = other.File("endpoints.txt");
  WriteFile(config, "a: 1\n");
  WriteFile(endpoints, "127.0.0.1:80\n");
  ConfigWatcher watcher({config}, Count(), InotifyOnly());
  watcher.SetFiles({config, endpoints});
  WriteFile(endpoints, "127.0.0.1:81\n");
  EXPECT_TRUE(WaitFor([&] { return calls() == 1; }));
}

TEST_F(WatcherTest, PollingAloneSeesChanges) {
  std::string file = dir_.File("config.yaml");
  WriteFile(file, "a: 1\n");
  ConfigWatcher::Options options;
  options.use_inotify = false;
  options.poll_interval = std::chrono::milliseconds(20);
  ConfigWatcher watcher({file}, Count(), options);
  EXPECT_FALSE(watcher.using_inotify());
  WriteFile(file, "a: 2\n");
  EXPECT_TRUE(WaitFor([&] { return calls() == 1; }));
}

TEST_F(WatcherTest, StopsCleanlyWithAPendingEvent) {
  std::string file = dir_.File("config.yaml");
  WriteFile(file, "a: 1\n");
  ConfigWatcher::Options options = InotifyOnly();
  options.debounce = std::chrono::seconds(60);
  {
    ConfigWatcher watcher({file}, Count(), options);
    WriteFile(file, "a: 2\n");
  }
  EXPECT_EQ(calls(), 0);
}

}  // namespace
}  // namespace registrar::config
