// httpSd against a real HTTP server on loopback (cpp-httplib): what it sends,
// how each kind of bad answer fails, that a huge body is not read, that a
// hung server times out or is cancelled, credentials from files, and (through
// the runner) that a failure keeps the last good list.
#include "sources/http_sd.h"

#include <httplib.h>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "sources/runner.h"
#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::sources {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using testing::WaitFor;
using testing::WriteFile;

constexpr size_t kHugeBody = 100 << 20;

// An inventory endpoint whose answer the test sets. Paths:
//   /targets   the current status, content type and body (and a required
//              Authorization value, when set)
//   /hang      waits until Release() (or a minute), then answers []
//   /huge      a chunked body of 100 MiB / /huge-length the same with Content-Length
//   /redirect  302 to /targets
class Inventory {
 public:
  Inventory() {
    server_.Get("/targets", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++hits_;
      last_request_ = req.headers;
      if (!required_auth_.empty() && req.get_header_value("Authorization") != required_auth_) {
        res.status = 401;
        return;
      }
      res.status = status_;
      res.set_content(body_, content_type_.c_str());
    });
    server_.Get("/hang", [this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock lock(mu_);
      ++hanging_;
      cv_.wait_for(lock, 60s, [&] { return released_; });
      res.set_content("[]", "application/json");
    });
    server_.Get("/huge", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/json",
                                       [this](size_t offset, httplib::DataSink& sink) {
                                         return Provide(offset, kHugeBody - offset, sink, true);
                                       });
    });
    server_.Get("/huge-length", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(kHugeBody, "application/json",
                               [this](size_t offset, size_t length, httplib::DataSink& sink) {
                                 return Provide(offset, length, sink, false);
                               });
    });
    server_.Get("/redirect", [this](const httplib::Request&, httplib::Response& res) {
      res.set_redirect(Url("/targets"));
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Inventory() {
    Release();
    server_.stop();
    thread_.join();
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void SetAnswer(int status, std::string body, std::string type = "application/json") {
    std::lock_guard lock(mu_);
    status_ = status;
    body_ = std::move(body);
    content_type_ = std::move(type);
  }
  void RequireAuthorization(std::string value) {
    std::lock_guard lock(mu_);
    required_auth_ = std::move(value);
  }
  std::string LastHeader(const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = last_request_.find(name);
    return it == last_request_.end() ? "" : it->second;
  }
  int hits() {
    std::lock_guard lock(mu_);
    return hits_;
  }
  int hanging() {
    std::lock_guard lock(mu_);
    return hanging_;
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  // What the /huge providers did: bytes handed to the connection, and
  // whether they stopped because the connection failed (the client left).
  std::pair<size_t, bool> Provided() {
    std::lock_guard lock(mu_);
    return {provided_, provider_failed_};
  }

 private:
  bool Provide(size_t offset, size_t length, httplib::DataSink& sink, bool chunked) {
    static const std::string chunk(64 * 1024, ' ');
    const size_t n = std::min(chunk.size(), length);
    const bool ok = sink.write(chunk.data(), n);
    std::lock_guard lock(mu_);
    if (!ok) provider_failed_ = true;
    if (ok) provided_ = offset + n;
    if (ok && chunked && offset + n == kHugeBody) sink.done();
    return ok;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  int status_ = 200;  // everything below: guarded by mu_
  std::string body_ = "[]";
  std::string content_type_ = "application/json";
  std::string required_auth_;
  httplib::Headers last_request_;
  int hits_ = 0;
  int hanging_ = 0;
  bool released_ = false;
  size_t provided_ = 0;
  bool provider_failed_ = false;
};

SourceSpec Spec(const std::string& url, Duration timeout = 5s) {
  SourceSpec spec;
  spec.kind = SourceKind::kHttpSd;
  spec.service = "billing";
  spec.http.url = url;
  spec.http.timeout = timeout;
  return spec;
}

std::vector<std::string> AddressesOf(const Answer& a) {
  std::vector<std::string> out;
  for (const auto& e : a.endpoints) out.push_back(e.Address());
  return out;
}

TEST(HttpSd, ReadsTheAnswerOfEachRefreshAndSendsPrometheusHeaders) {
  Inventory inventory;
  inventory.SetAnswer(200, R"([{"targets": ["a:1"], "labels": {"zone": "x"}}])");
  auto source = MakeHttpSdSource(Spec(inventory.Url("/targets")));
  const Answer first = source->Fetch();
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(AddressesOf(first), (std::vector<std::string>{"a:1"}));
  EXPECT_EQ(first.endpoints[0].metadata.at("zone"), "x");
  EXPECT_EQ(inventory.LastHeader("Accept"), "application/json");
  EXPECT_EQ(inventory.LastHeader("X-Prometheus-Refresh-Interval-Seconds"), "30");
  EXPECT_EQ(inventory.LastHeader("User-Agent"), "etcd-registrar");
  EXPECT_EQ(inventory.LastHeader("Accept-Encoding"), "");  // no compression (bomb) to undo
  inventory.SetAnswer(200, R"([{"targets": ["b:1", "a:1"]}])", "application/json; charset=utf-8");
  EXPECT_EQ(AddressesOf(source->Fetch()), (std::vector<std::string>{"a:1", "b:1"}));
}

TEST(HttpSd, AStatusOtherThan200Fails) {
  Inventory inventory;
  inventory.SetAnswer(500, "[]");
  const Answer a = MakeHttpSdSource(Spec(inventory.Url("/targets")))->Fetch();
  EXPECT_EQ(a.failure, Failure::kHttpStatus);
  EXPECT_EQ(a.error, "HTTP 500");
}

TEST(HttpSd, ARedirectIsNotFollowed) {
  Inventory inventory;
  const Answer a = MakeHttpSdSource(Spec(inventory.Url("/redirect")))->Fetch();
  EXPECT_EQ(a.failure, Failure::kHttpStatus);
  EXPECT_EQ(a.error, "HTTP 302 (redirect to " + inventory.Url("/targets") + ", not followed)");
  EXPECT_EQ(inventory.hits(), 0);
}

TEST(HttpSd, ABodyThatIsNotTargetGroupsIsInvalid) {
  Inventory inventory;
  inventory.SetAnswer(200, "<html>");
  Answer a = MakeHttpSdSource(Spec(inventory.Url("/targets")))->Fetch();
  EXPECT_EQ(a.failure, Failure::kInvalid);
  EXPECT_EQ(a.error.substr(0, 9), "not JSON:");
  inventory.SetAnswer(200, R"([{"targets": ["a"]}])");
  a = MakeHttpSdSource(Spec(inventory.Url("/targets")))->Fetch();
  EXPECT_EQ(a.failure, Failure::kInvalid);
  EXPECT_EQ(a.error, "group 0: target \"a\": expected host:port");
}

TEST(HttpSd, AnotherContentTypeIsInvalid) {
  Inventory inventory;
  inventory.SetAnswer(200, "[]", "text/plain");
  const Answer a = MakeHttpSdSource(Spec(inventory.Url("/targets")))->Fetch();
  EXPECT_EQ(a.failure, Failure::kInvalid);
  EXPECT_EQ(a.error, "Content-Type \"text/plain\", expected application/json");
}

TEST(HttpSd, AHugeBodyFailsWithoutBeingRead) {
  Inventory inventory;
  SourceSpec spec = Spec(inventory.Url("/huge"));
  spec.http.max_body_bytes = 64 * 1024;
  const Answer a = MakeHttpSdSource(spec)->Fetch();
  EXPECT_EQ(a.failure, Failure::kTooLarge);
  EXPECT_EQ(a.error, "the answer is larger than the limit of 65536 bytes");
  // The server finds the connection closed long before the end.
  ASSERT_TRUE(WaitFor([&] { return inventory.Provided().second; }, 30s));
  EXPECT_LT(inventory.Provided().first, kHugeBody);
}

TEST(HttpSd, ABodyAnnouncedTooLargeIsRefusedBeforeItsFirstByte) {
  Inventory inventory;
  SourceSpec spec = Spec(inventory.Url("/huge-length"));
  spec.http.max_body_bytes = 64 * 1024;
  const Answer a = MakeHttpSdSource(spec)->Fetch();
  EXPECT_EQ(a.failure, Failure::kTooLarge);
  EXPECT_EQ(a.error, "Content-Length 104857600 is above the limit of 65536 bytes");
  ASSERT_TRUE(WaitFor([&] { return inventory.Provided().second; }, 30s));
  EXPECT_LT(inventory.Provided().first, kHugeBody);
}

TEST(HttpSd, AHungServerTimesOut) {
  Inventory inventory;
  const Answer a = MakeHttpSdSource(Spec(inventory.Url("/hang"), 1s))->Fetch();
  EXPECT_EQ(a.failure, Failure::kTimeout);
  EXPECT_EQ(a.error.substr(0, 26), "no answer within 1000 ms (");
  EXPECT_EQ(inventory.hanging(), 1);
}

TEST(HttpSd, CancelEndsAFetchWaitingOnAHungServer) {
  Inventory inventory;
  auto source = MakeHttpSdSource(Spec(inventory.Url("/hang"), 120s));
  std::atomic<bool> done{false};
  Answer a;
  std::thread fetch([&] {
    a = source->Fetch();
    done = true;
  });
  ASSERT_TRUE(WaitFor([&] { return inventory.hanging() == 1; }));
  source->Cancel();
  // Far below the spec's timeout: cancelled, not timed out.
  EXPECT_TRUE(WaitFor([&] { return done.load(); }, 10s));
  inventory.Release();
  fetch.join();
  EXPECT_EQ(a.failure, Failure::kTimeout);
  EXPECT_EQ(a.error, "cancelled");
}

TEST(HttpSd, NothingListeningIsAConnectFailureWithoutTheUrlsUserInfo) {
  const int port = testing::FreePort();
  const Answer a =
      MakeHttpSdSource(Spec("http://inventory:pa55word@127.0.0.1:" + std::to_string(port) + "/"))
          ->Fetch();
  EXPECT_EQ(a.failure, Failure::kConnect);
  EXPECT_EQ(a.error.find("pa55word"), std::string::npos) << a.error;
  EXPECT_EQ(a.error.find("inventory"), std::string::npos) << a.error;
}

TEST(HttpSd, BasicAuthReadsThePasswordFileAtEveryRefresh) {
  Inventory inventory;
  TempDir dir;
  inventory.RequireAuthorization("Basic aW52OnMzY3JldA==");  // inv:s3cret
  WriteFile(dir.File("pw"), "s3cret\n");
  SourceSpec spec = Spec(inventory.Url("/targets"));
  spec.http.basic_auth_username = "inv";
  spec.http.basic_auth_password_file = dir.File("pw");
  auto source = MakeHttpSdSource(spec);
  EXPECT_TRUE(source->Fetch().ok());
  inventory.RequireAuthorization("Basic aW52Om4zdw==");  // inv:n3w
  EXPECT_EQ(source->Fetch().error, "HTTP 401");
  WriteFile(dir.File("pw"), "n3w\n");  // rotated
  EXPECT_TRUE(source->Fetch().ok());
  ASSERT_EQ(::unlink(dir.File("pw").c_str()), 0);
  const Answer a = source->Fetch();
  EXPECT_EQ(a.failure, Failure::kIo);
  EXPECT_EQ(a.error,
            "basic auth password: cannot read " + dir.File("pw") + ": No such file or directory");
}

TEST(HttpSd, TheAuthorizationHeaderTakesItsCredentialsFromAFile) {
  Inventory inventory;
  TempDir dir;
  inventory.RequireAuthorization("Bearer tok-1");
  WriteFile(dir.File("token"), "tok-1\n");
  SourceSpec spec = Spec(inventory.Url("/targets"));
  spec.http.authorization_type = "Bearer";
  spec.http.authorization_credentials_file = dir.File("token");
  auto source = MakeHttpSdSource(spec);
  EXPECT_TRUE(source->Fetch().ok());
  inventory.RequireAuthorization("Bearer tok-2");
  WriteFile(dir.File("token"), "tok-2");
  EXPECT_TRUE(source->Fetch().ok());
  WriteFile(dir.File("token"), "tok-3\nX-Injected: 1\n");
  const Answer a = source->Fetch();
  EXPECT_EQ(a.failure, Failure::kIo);
  EXPECT_EQ(a.error,
            "authorization credentials: " + dir.File("token") + " holds more than one line");
}

TEST(HttpSd, TheRunnerKeepsTheLastGoodListWhileTheServerFails) {
  Inventory inventory;
  inventory.SetAnswer(200, R"([{"targets": ["a:1", "b:1"]}])");
  SourceSpec spec = Spec(inventory.Url("/targets"));
  spec.refresh_interval = 1s;
  Runner runner(RealClock(), nullptr, MakeHttpSdSource);
  runner.SetSpecs({spec});
  const auto listed = [&] { return runner.Endpoints().at(0).endpoints.size(); };
  ASSERT_EQ(listed(), 2u);
  inventory.SetAnswer(500, "");
  ASSERT_TRUE(WaitFor([&] { return runner.States().at(0).failures.count("http_status") > 0; }));
  EXPECT_EQ(listed(), 2u);
  EXPECT_EQ(runner.States().at(0).last_error, "HTTP 500");
  inventory.SetAnswer(200, R"([{"targets": ["a:1", "b:1", "c:1"]}])");
  EXPECT_TRUE(WaitFor([&] { return listed() == 3u; }));
}

}  // namespace
}  // namespace registrar::sources
