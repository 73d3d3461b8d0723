// The discover command, run in-process against a real etcd.
#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <streambuf>
#include <thread>

#include "cmd/discover_cli.h"
#include "nlohmann/json.hpp"
#include "tests/support/etcd_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::etcd {
namespace {

using registrar::testing::EtcdServer;
using registrar::testing::WaitFor;

// An ostream another thread may read while RunDiscover writes.
class SharedOut final : public std::streambuf {
 public:
  std::string str() const {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) {
      std::lock_guard<std::mutex> lock(mu_);
      text_.push_back(static_cast<char>(c));
    }
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard<std::mutex> lock(mu_);
    text_.append(s, static_cast<size_t>(n));
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::string text_;
};

class DiscoverCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.Start().ok());
    opts_.endpoints = {etcd_.endpoint()};
    opts_.prefix = "/services/orders/";
  }
  void Put(const std::string& addr, const std::string& value = "") {
    etcd_.EtcdCtl({"put", opts_.prefix + addr, value.empty() ? addr : value});
  }

  EtcdServer etcd_;
  DiscoverOptions opts_;
  std::atomic<bool> stop_{false};
};

TEST_F(DiscoverCommandTest, OncePrintsTheCurrentSetAsTextAndExits) {
  Put("10.0.0.2:80");
  Put("10.0.0.1:80");
  Put("10.0.0.9:80", "garbage");
  opts_.once = true;
  opts_.format = "plain";
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunDiscover(opts_, out, err, stop_), 0) << err.str();
  EXPECT_EQ(out.str(),
            "10.0.0.1:80 /services/orders/10.0.0.1:80\n"
            "10.0.0.2:80 /services/orders/10.0.0.2:80\n"
            "- /services/orders/10.0.0.9:80 error=\"no port in address \\\"garbage\\\"\"\n");
}

TEST_F(DiscoverCommandTest, OnceWithJsonOutputPrintsOneSnapshotObject) {
  Put("10.0.0.1:80", R"({"Op":0,"Addr":"10.0.0.1:80","Metadata":{"zone":"a"}})");
  opts_.once = true;
  opts_.output = "json";
  opts_.format = "grpc-naming";
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(RunDiscover(opts_, out, err, stop_), 0) << err.str();
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["type"], "snapshot");
  EXPECT_GT(j["revision"].get<int64_t>(), 0);
  ASSERT_EQ(j["endpoints"].size(), 1u);
  EXPECT_EQ(j["endpoints"][0]["address"], "10.0.0.1:80");
  EXPECT_EQ(j["endpoints"][0]["metadata"]["zone"], "a");
}

// Anyone who can write under the prefix can put bytes that are not UTF-8 in
// a key or a value; the JSON output stays JSON and the good entry is there.
TEST_F(DiscoverCommandTest, JsonOutputSurvivesKeysAndValuesThatAreNotUtf8) {
  Put("10.0.0.1:80");
  Put("10.0.0.\xff:80");
  Put("10.0.0.3:80", "10.0.0.\x89:80");
  opts_.once = true;
  opts_.output = "json";
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(RunDiscover(opts_, out, err, stop_), 0) << err.str();
  auto j = nlohmann::json::parse(out.str(), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out.str();
  ASSERT_GE(j["endpoints"].size(), 1u) << j.dump();
  EXPECT_EQ(j["endpoints"][0]["address"], "10.0.0.1:80");
}

TEST_F(DiscoverCommandTest, StreamsOneJsonLinePerChangeUntilStopped) {
  Put("10.0.0.1:80");
  opts_.output = "json";
  SharedOut buf;
  std::ostream out(&buf);
  std::ostringstream err;
  int code = -1;
  std::thread run([&] { code = RunDiscover(opts_, out, err, stop_); });
  ASSERT_TRUE(WaitFor([&] { return buf.lines().size() == 1; }));
  Put("10.0.0.2:80");
  etcd_.EtcdCtl({"del", opts_.prefix + "10.0.0.1:80"});
  ASSERT_TRUE(WaitFor([&] { return buf.lines().size() == 3; }));
  stop_ = true;
  run.join();
  EXPECT_EQ(code, 0);
  auto lines = buf.lines();
  ASSERT_EQ(lines.size(), 3u);
  auto snapshot = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(snapshot["type"], "snapshot");
  EXPECT_EQ(snapshot["endpoints"][0]["address"], "10.0.0.1:80");
  auto added = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(added["type"], "added");
  EXPECT_EQ(added["endpoint"]["address"], "10.0.0.2:80");
  auto removed = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(removed["type"], "removed");
  EXPECT_EQ(removed["endpoint"]["key"], "/services/orders/10.0.0.1:80");
  EXPECT_GT(removed["revision"].get<int64_t>(), added["revision"].get<int64_t>());
}

TEST_F(DiscoverCommandTest, StreamsTextLinesForChanges) {
  SharedOut buf;
  std::ostream out(&buf);
  SharedOut err_buf;
  std::ostream err(&err_buf);
  std::thread run([&] { RunDiscover(opts_, out, err, stop_); });
  ASSERT_TRUE(WaitFor([&] { return !err_buf.str().empty(); }));  // "watching" once synced
  Put("10.0.0.3:80");
  ASSERT_TRUE(WaitFor([&] { return buf.lines().size() == 1; }));
  stop_ = true;
  run.join();
  EXPECT_EQ(buf.lines()[0].rfind("added 10.0.0.3:80 /services/orders/10.0.0.3:80 rev=", 0), 0u)
      << buf.lines()[0];
}

TEST(DiscoverCommand, OnceReadsFromEtcdWithClientCertificateTls) {
  EtcdServer etcd(EtcdServer::Options{.tls = true, .client_cert_auth = true});
  ASSERT_TRUE(etcd.Start().ok());
  etcd.EtcdCtl({"put", "/services/orders/10.0.0.1:80", "10.0.0.1:80"});
  DiscoverOptions opts;
  opts.endpoints = {etcd.url()};
  opts.prefix = "/services/orders/";
  opts.once = true;
  opts.ca_file = etcd.ca_file();
  opts.cert_file = etcd.cert_file();
  opts.key_file = etcd.key_file();
  std::ostringstream out;
  std::ostringstream err;
  std::atomic<bool> stop{false};
  EXPECT_EQ(RunDiscover(opts, out, err, stop), 0) << err.str();
  EXPECT_EQ(out.str(), "10.0.0.1:80 /services/orders/10.0.0.1:80\n");
}

TEST_F(DiscoverCommandTest, OnceAuthenticatesWithUsernameAndPasswordFile) {
  Put("10.0.0.1:80");
  etcd_.EtcdCtl({"user", "add", "root", "--new-user-password=s3cret"});
  etcd_.EtcdCtl({"auth", "enable"});
  registrar::testing::TempDir dir;
  std::ofstream(dir.File("password")) << "s3cret\n";
  opts_.once = true;
  opts_.username = "root";
  opts_.password_file = dir.File("password");
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunDiscover(opts_, out, err, stop_), 0) << err.str();
  EXPECT_EQ(out.str(), "10.0.0.1:80 /services/orders/10.0.0.1:80\n");

  // Without credentials etcd refuses: exit 1 at once, also when streaming
  // (retrying cannot fix credentials).
  opts_.username.clear();
  opts_.password_file.clear();
  opts_.once = false;
  std::ostringstream refused;
  std::ostringstream why;
  EXPECT_EQ(RunDiscover(opts_, refused, why, stop_), 1);
  EXPECT_TRUE(refused.str().empty());
  EXPECT_NE(why.str().find("user name is empty"), std::string::npos) << why.str();
}

TEST(DiscoverCommand, OnceFailsWithExitCode1WhenEtcdIsUnreachable) {
  DiscoverOptions opts;
  opts.endpoints = {"127.0.0.1:1"};
  opts.once = true;
  opts.dial_timeout = std::chrono::milliseconds(300);
  opts.request_timeout = std::chrono::milliseconds(300);
  std::ostringstream out;
  std::ostringstream err;
  std::atomic<bool> stop{false};
  EXPECT_EQ(RunDiscover(opts, out, err, stop), 1);
  EXPECT_TRUE(out.str().empty());
}

TEST(DiscoverCommand, UnknownFormatIsAUsageError) {
  DiscoverOptions opts;
  opts.format = "xml";
  std::ostringstream out;
  std::ostringstream err;
  std::atomic<bool> stop{false};
  EXPECT_EQ(RunDiscover(opts, out, err, stop), 2);
  EXPECT_NE(err.str().find("xml"), std::string::npos);
}

TEST(DiscoverCommand, FlagsBindToOptions) {
  CLI::App app;
  DiscoverOptions opts;
  AddDiscoverCommand(app, opts);
  std::vector<std::string> args = {"--endpoints", "127.0.0.1:1,127.0.0.1:2",
                                   "--prefix",    "/x/",
                                   "--format",    "skydns",
                                   "--once",      "-o",
                                   "json",        "--cacert",
                                   "/ca.pem",     "--dial-timeout",
                                   "1500ms"};
  std::reverse(args.begin(), args.end());  // CLI11 parses a reversed vector
  app.parse(args);
  EXPECT_EQ(opts.endpoints, (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
  EXPECT_EQ(opts.prefix, "/x/");
  EXPECT_EQ(opts.format, "skydns");
  EXPECT_TRUE(opts.once);
  EXPECT_EQ(opts.output, "json");
  EXPECT_EQ(opts.ca_file, "/ca.pem");
  EXPECT_EQ(opts.dial_timeout, std::chrono::milliseconds(1500));
  CLI::App bad;
  DiscoverOptions ignored;
  AddDiscoverCommand(bad, ignored);
  EXPECT_THROW(bad.parse(std::vector<std::string>{"yaml", "--format"}), CLI::ValidationError);
  // Durations are spelled as in the config: a bare number has no unit.
  CLI::App bare;
  AddDiscoverCommand(bare, ignored);
  EXPECT_THROW(bare.parse(std::vector<std::string>{"5", "--dial-timeout"}), CLI::ParseError);
}

TEST(DiscoverCommand, PrefixIsValidatedAsTheDaemonDoes) {
  DiscoverOptions opts;
  opts.endpoints = {"127.0.0.1:1"};
  opts.prefix = "/services/web";  // no trailing "/"
  std::ostringstream out, err;
  std::atomic<bool> stop{false};
  EXPECT_EQ(RunDiscover(opts, out, err, stop), 2);
  EXPECT_EQ(err.str(),
            "discover: --prefix: expected a key prefix that starts and ends with \"/\", got "
            "\"/services/web\"\n");
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace registrar::etcd
