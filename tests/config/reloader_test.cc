// Reloader: a valid edit becomes current with its diff; an invalid one is
// rejected and the running config stays.
#include "config/reloader.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace registrar::config {
namespace {

using testing::TempDir;
using testing::WriteFile;

constexpr char kTwoTargets[] =
    "etcd: {endpoints: [\"127.0.0.1:2379\"]}\n"
    "services:\n"
    "  - name: a\n"
    "    probe: {tcpSocket: {}}\n"
    "    endpoints: [\"127.0.0.1:1\", \"127.0.0.1:2\"]\n";

class ReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(path_, kTwoTargets);
    absl::StatusOr<Config> initial = LoadConfig(path_);
    ASSERT_TRUE(initial.ok()) << initial.status();
    reloader_ =
        std::make_unique<Reloader>(path_, Overrides{}, std::make_shared<const Config>(*initial));
  }

  TempDir dir_;
  std::string path_ = dir_.File("config.yaml");
  std::unique_ptr<Reloader> reloader_;
};

TEST_F(ReloaderTest, AValidEditBecomesCurrentWithItsDiff) {
  WriteFile(path_,
            "etcd: {endpoints: [\"127.0.0.1:2379\"]}\n"
            "services:\n"
            "  - name: a\n"
            "    probe: {tcpSocket: {}, periodSeconds: 5}\n"
            "    endpoints: [\"127.0.0.1:2\", \"127.0.0.1:3\"]\n");
  ReloadOutcome outcome = reloader_->Reload("test");
  ASSERT_TRUE(outcome.ok);
  EXPECT_TRUE(outcome.changed);
  ASSERT_EQ(outcome.diff.added.size(), 1u);
  EXPECT_EQ(outcome.diff.added[0].Id(), "a/127.0.0.1:3");
  ASSERT_EQ(outcome.diff.removed.size(), 1u);
  EXPECT_EQ(outcome.diff.removed[0].Id(), "a/127.0.0.1:1");
  ASSERT_EQ(outcome.diff.changed.size(), 1u);
  EXPECT_EQ(outcome.diff.changed[0].Id(), "a/127.0.0.1:2");
  EXPECT_TRUE(outcome.needs_restart.empty());
  EXPECT_EQ(reloader_->current(), outcome.config);
}

TEST_F(ReloaderTest, AnInvalidEditIsRejectedAndTheRunningConfigStays) {
  std::shared_ptr<const Config> before = reloader_->current();
  WriteFile(path_, "etcd: {endpoints: [\"127.0.0.1:2379\"]}\nservices: [{name: a}]\n");
  ReloadOutcome outcome = reloader_->Reload("test");
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.errors.size(), 2u);  // probe and endpoints missing
  EXPECT_EQ(reloader_->current(), before);
  EXPECT_EQ(outcome.config, before);
}

TEST_F(ReloaderTest, AnUnchangedFileIsNoChange) {
  ReloadOutcome outcome = reloader_->Reload("test");
  EXPECT_TRUE(outcome.ok);
  EXPECT_FALSE(outcome.changed);
  EXPECT_TRUE(outcome.diff.empty());
}

TEST_F(ReloaderTest, NamesSettingsThatNeedARestart) {
  WriteFile(path_, std::string(kTwoTargets) + "server: {listen: \"127.0.0.1:9999\"}\n");
  ReloadOutcome outcome = reloader_->Reload("test");
  ASSERT_TRUE(outcome.ok);
  EXPECT_EQ(outcome.needs_restart, std::vector<std::string>{"server.listen"});
}

// leaseTTL 10s -> 15s -> 10s before any restart: the process still runs with
// 10s, so the last reload needs no restart, and one that keeps 15s still does.
TEST_F(ReloaderTest, ARestartOnlySettingIsComparedWithTheRunningConfigNotThePreviousFile) {
  const std::string ttl10 = std::string(kTwoTargets) + "registration: {leaseTTL: 10s}\n";
  const std::string ttl15 = std::string(kTwoTargets) + "registration: {leaseTTL: 15s}\n";
  WriteFile(path_, ttl10);
  ASSERT_TRUE(reloader_->Reload("test").needs_restart.empty());  // 10s is the default
  WriteFile(path_, ttl15);
  EXPECT_EQ(reloader_->Reload("test").needs_restart,
            std::vector<std::string>{"registration.leaseTTL"});
  WriteFile(path_, ttl15 + "log: {level: info}\n");
  EXPECT_EQ(reloader_->Reload("test").needs_restart,
            std::vector<std::string>{"registration.leaseTTL"})
      << "still not in force";
  WriteFile(path_, ttl10);
  ReloadOutcome reverted = reloader_->Reload("test");
  ASSERT_TRUE(reverted.ok);
  EXPECT_TRUE(reverted.needs_restart.empty()) << reverted.needs_restart[0];
}

}  // namespace
}  // namespace registrar::config
