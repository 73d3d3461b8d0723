// fileSd on real files: what a refresh reads, how failures and deletions are
// answered, and (through the runner, in real time) that a change is seen
// through Changed() and a file being written is never listed half-written.
#include "sources/file_sd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <mutex>

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

SourceSpec Spec(std::vector<std::string> files, Duration interval = 1h) {
  SourceSpec spec;
  spec.kind = SourceKind::kFileSd;
  spec.service = "billing";
  spec.file.files = std::move(files);
  spec.refresh_interval = interval;
  return spec;
}

Addresses AddressesOf(const std::vector<Endpoint>& endpoints) {
  Addresses out;
  for (const auto& e : endpoints) out.push_back(e.Address());
  return out;
}

// A JSON text of one group listing `targets`.
std::string Json(const Addresses& targets) {
  std::string out = "[{\"targets\": [";
  for (size_t i = 0; i < targets.size(); ++i) out += (i ? ", \"" : "\"") + targets[i] + "\"";
  return out + "]}]\n";
}

// Replaces `path` at once, as deployment tools do (write aside, rename).
void Replace(const std::string& path, const std::string& text) {
  WriteFile(path + ".tmp", text);
  ASSERT_EQ(std::rename((path + ".tmp").c_str(), path.c_str()), 0);
}

// Writes in place: truncates and/or appends to the same inode.
void WriteInPlace(const std::string& path, const std::string& text, bool truncate) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND));
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

TEST(FileSd, ReadsEveryMatchingFileAndTheFirstFileWinsADuplicate) {
  TempDir dir;
  WriteFile(dir.File("a.json"), R"([{"targets": ["a:1", "dup:1"], "labels": {"from": "a"}}])");
  WriteFile(dir.File("b.yaml"), "- targets: [b:1, dup:1]\n  labels: {from: b}\n");
  WriteFile(dir.File("c.yml"), "- targets: [c:1]\n");
  WriteFile(dir.File("ignored.txt"), "not matched");
  auto source = MakeFileSdSource(Spec({dir.File("*.json"), dir.File("*.y*ml")}));
  const Answer a = source->Fetch();
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_EQ(AddressesOf(a.endpoints), (Addresses{"a:1", "b:1", "c:1", "dup:1"}));
  EXPECT_EQ(a.endpoints[3].metadata.at("from"), "a");
}

TEST(FileSd, NothingMatchingAtTheFirstRefreshIsAnEmptyAnswer) {
  TempDir dir;
  auto source = MakeFileSdSource(Spec({dir.File("*.json"), dir.File("missing/x.yaml")}));
  const Answer a = source->Fetch();
  EXPECT_TRUE(a.ok()) << a.error;
  EXPECT_TRUE(a.endpoints.empty());
}

TEST(FileSd, AFileThatDoesNotParseFailsTheRefreshNamingIt) {
  TempDir dir;
  WriteFile(dir.File("a.json"), Json({"a:1"}));
  WriteFile(dir.File("b.json"), R"([{"targets": ["b"]}])");
  auto source = MakeFileSdSource(Spec({dir.File("*.json")}));
  const Answer a = source->Fetch();
  EXPECT_EQ(a.failure, Failure::kInvalid);
  EXPECT_EQ(a.error, dir.File("b.json") + ": group 0: target \"b\": expected host:port");
}

TEST(FileSd, AMatchThatIsNeitherJsonNorYamlIsInvalid) {
  TempDir dir;
  WriteFile(dir.File("a.txt"), Json({"a:1"}));
  const Answer a = MakeFileSdSource(Spec({dir.File("*")}))->Fetch();
  EXPECT_EQ(a.failure, Failure::kInvalid);
  EXPECT_EQ(a.error, dir.File("a.txt") + ": not a .json, .yml or .yaml file");
}

TEST(FileSd, AMatchThatIsNotARegularFileIsAnIoFailureWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.File("a.json").c_str(), 0600), 0);
  const Answer a = MakeFileSdSource(Spec({dir.File("*.json")}))->Fetch();
  EXPECT_EQ(a.failure, Failure::kIo);
  EXPECT_EQ(a.error, dir.File("a.json") + ": not a regular file");
}

TEST(FileSd, AVanishedFileFailsOneRefreshAndIsLeftOutFromTheNext) {
  TempDir dir;
  WriteFile(dir.File("a.json"), Json({"a:1"}));
  WriteFile(dir.File("b.json"), Json({"b:1"}));
  auto source = MakeFileSdSource(Spec({dir.File("*.json")}));
  ASSERT_EQ(AddressesOf(source->Fetch().endpoints), (Addresses{"a:1", "b:1"}));
  ASSERT_EQ(::unlink(dir.File("b.json").c_str()), 0);
  const Answer first = source->Fetch();
  EXPECT_EQ(first.failure, Failure::kVanished);
  EXPECT_EQ(first.error, dir.File("b.json") + ": vanished; kept until the next refresh");
  const Answer second = source->Fetch();
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(AddressesOf(second.endpoints), (Addresses{"a:1"}));
}

TEST(FileSd, ChangedOnceTheFilesStayedTheSameForOnePoll) {
  TempDir dir;
  WriteFile(dir.File("a.json"), Json({"a:1"}));
  auto source = MakeFileSdSource(Spec({dir.File("*.json")}));
  ASSERT_TRUE(source->Fetch().ok());
  EXPECT_FALSE(source->Changed());
  EXPECT_FALSE(source->Changed());  // as read
  Replace(dir.File("a.json"), Json({"b:1"}));
  EXPECT_FALSE(source->Changed());  // changed since the last poll: maybe still being written
  EXPECT_TRUE(source->Changed());   // the same for one poll
  EXPECT_TRUE(source->Changed());   // until a refresh reads it
  EXPECT_EQ(AddressesOf(source->Fetch().endpoints), (Addresses{"b:1"}));
  EXPECT_FALSE(source->Changed());
  WriteFile(dir.File("new.json"), Json({"c:1"}));  // a new match
  EXPECT_FALSE(source->Changed());
  EXPECT_TRUE(source->Changed());
}

TEST(FileSd, AFileChangingBetweenPollsIsNotReadUntilItSettles) {
  TempDir dir;
  const std::string path = dir.File("a.yaml");
  // Every write changes the size: two writes within the file system's
  // timestamp granularity may leave the same mtime.
  WriteFile(path, "- targets: [old:1, old:2]\n");
  auto source = MakeFileSdSource(Spec({path}));
  ASSERT_EQ(AddressesOf(source->Fetch().endpoints), (Addresses{"old:1", "old:2"}));
  EXPECT_FALSE(source->Changed());
  WriteInPlace(path, "- targets: [new:1]\n", /*truncate=*/true);
  EXPECT_FALSE(source->Changed());
  const Answer during = source->Fetch();  // the half-written file is not read
  ASSERT_TRUE(during.ok()) << during.error;
  EXPECT_EQ(AddressesOf(during.endpoints), (Addresses{"old:1", "old:2"}));
  WriteInPlace(path, "- targets: [new:2]\n", /*truncate=*/false);
  EXPECT_FALSE(source->Changed());
  EXPECT_TRUE(source->Changed());
  EXPECT_EQ(AddressesOf(source->Fetch().endpoints), (Addresses{"new:1", "new:2"}));
}

}  // namespace
}  // namespace registrar::sources
