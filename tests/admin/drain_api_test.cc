// The drain API (POST/DELETE /api/v1/targets/{id}/drain): off unless a web
// config has users or enables it, authenticated when users exist, bodies
// validated, DrainControl errors mapped to statuses. DrainControl is a
// recording double here (the store is another module's unit); the last test
// goes through the real server.
#include <crypt.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "admin/admin_server.h"
#include "admin/handler.h"
#include "admin/raw_request.h"
#include "tests/metrics/test_util.h"

namespace registrar::admin {
namespace {

class RecordingDrain final : public DrainControl {
 public:
  struct Call {
    std::string op, id, reason, who;
    std::optional<Duration> duration;
  };
  absl::Status Drain(const std::string& id, const std::string& reason,
                     std::optional<Duration> duration, const std::string& who) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back({"drain", id, reason, who, duration});
    return next_;
  }
  absl::Status Undrain(const std::string& id, const std::string& who) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back({"undrain", id, "", who, std::nullopt});
    return next_;
  }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  void FailNextWith(absl::Status s) { next_ = std::move(s); }

 private:
  std::mutex mu_;
  std::vector<Call> calls_;
  absl::Status next_;
};

AdminRequest Post(const std::string& id, const std::string& body,
                  const std::string& type = "application/json") {
  AdminRequest r;
  r.method = "POST";
  r.path = "/api/v1/targets/" + id + "/drain";
  r.body = body;
  r.content_type = type;
  r.peer = "127.0.0.1";
  return r;
}

std::string BasicAuthHeader(const std::string& user, const std::string& password) {
  return "Basic " + absl::Base64Escape(user + ":" + password);
}

class DrainApiTest : public ::testing::Test {
 protected:
  DrainApiTest() : handler_({.drain = &drain_}, status_) {}
  metrics::testing::FakeStatus status_;
  RecordingDrain drain_;
  AdminHandler handler_;
};

TEST_F(DrainApiTest, OffWithoutAWebConfigThatEnablesIt) {
  const AdminResponse r = handler_.Handle(Post("orders/10.0.0.5:8080", R"({"reason":"x"})"));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("drain API disabled"), std::string::npos);
  EXPECT_TRUE(drain_.calls().empty());
}

TEST_F(DrainApiTest, EnabledExplicitlyDrainsWithReasonDurationAndWho) {
  WebConfig config;
  config.enable_drain_api = true;
  handler_.SetWebConfig(config);
  AdminResponse r =
      handler_.Handle(Post("orders/10.0.0.5:8080", R"({"reason":"kernel upgrade","for":"1h30m"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["id"], "orders/10.0.0.5:8080");
  EXPECT_EQ(body["drained"], true);
  AdminRequest del = Post("orders/10.0.0.5:8080", "");
  del.method = "DELETE";
  EXPECT_EQ(handler_.Handle(del).status, 200);
  const auto calls = drain_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].op, "drain");
  EXPECT_EQ(calls[0].id, "orders/10.0.0.5:8080");
  EXPECT_EQ(calls[0].reason, "kernel upgrade");
  EXPECT_EQ(calls[0].who, "admin api from 127.0.0.1");
  ASSERT_TRUE(calls[0].duration.has_value());
  EXPECT_EQ(*calls[0].duration, std::chrono::minutes(90));
  EXPECT_EQ(calls[1].op, "undrain");
}

TEST_F(DrainApiTest, BadBodiesAndMethodsAreRefusedBeforeTheStore) {
  WebConfig config;
  config.enable_drain_api = true;
  handler_.SetWebConfig(config);
  EXPECT_EQ(handler_.Handle(Post("a/b:1", "{not json")).status, 400);
  EXPECT_EQ(handler_.Handle(Post("a/b:1", "[1,2]")).status, 400);
  EXPECT_EQ(handler_.Handle(Post("a/b:1", R"({"for":"-5m"})")).status, 400);
  EXPECT_EQ(handler_.Handle(Post("a/b:1", R"({"for":"soon"})")).status, 400);
  EXPECT_EQ(handler_.Handle(Post("a/b:1", R"({"reason":7})")).status, 400);
  // A cross-site form cannot send application/json without a preflight.
  EXPECT_EQ(handler_.Handle(Post("a/b:1", "reason=x", "application/x-www-form-urlencoded")).status,
            415);
  AdminRequest get = Post("a/b:1", "");
  get.method = "GET";
  const AdminResponse r = handler_.Handle(get);
  EXPECT_EQ(r.status, 405);
  EXPECT_TRUE(drain_.calls().empty());
  // Every 4xx closes the connection.
  bool close = false;
  for (const auto& [k, v] : r.headers) close |= k == "Connection" && v == "close";
  EXPECT_TRUE(close);
}

TEST_F(DrainApiTest, StoreErrorsMapToStatuses) {
  WebConfig config;
  config.enable_drain_api = true;
  handler_.SetWebConfig(config);
  drain_.FailNextWith(absl::NotFoundError("no target a/b:1"));
  EXPECT_EQ(handler_.Handle(Post("a/b:1", "{}")).status, 404);
  drain_.FailNextWith(absl::UnavailableError("etcd unreachable"));
  EXPECT_EQ(handler_.Handle(Post("a/b:1", "{}")).status, 503);
}

TEST_F(DrainApiTest, WithUsersTheDrainApiNeedsAuthAndNamesTheUser) {
  WebConfig config;
  crypt_data data{};
  config.users["alice"] = crypt_r("pw", "$2b$05$abcdefghijklmnopqrstuu", &data);
  handler_.SetWebConfig(config);
  AdminRequest r = Post("a/b:1", R"({"reason":"r"})");
  EXPECT_EQ(handler_.Handle(r).status, 401);
  r.authorization = BasicAuthHeader("alice", "nope");
  EXPECT_EQ(handler_.Handle(r).status, 401);
  r.authorization = BasicAuthHeader("alice", "pw");
  EXPECT_EQ(handler_.Handle(r).status, 200);
  ASSERT_EQ(drain_.calls().size(), 1u);
  EXPECT_EQ(drain_.calls()[0].who, "user alice");
}

TEST_F(DrainApiTest, RawRequestBytesReachTheSameHandler) {
  WebConfig config;
  config.enable_drain_api = true;
  handler_.SetWebConfig(config);
  const AdminResponse r =
      HandleRawRequest(handler_,
                       "POST /api/v1/targets/web%2F127.0.0.1:80/drain HTTP/1.1\r\nContent-Type: "
                       "application/json\r\n\r\n{\"reason\":\"r\"}");
  EXPECT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(drain_.calls().size(), 1u);
  EXPECT_EQ(drain_.calls()[0].id, "web/127.0.0.1:80");
  EXPECT_EQ(HandleRawRequest(handler_, "garbage").status, 400);
  EXPECT_EQ(HandleRawRequest(handler_, "GET /api/v1/targets?limit=0 HTTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(HandleRawRequest(handler_, "GET /healthz HTTP/1.1\r\n\r\n").status, 200);
}

TEST(DrainApiServer, ThroughTheRealServer) {
  metrics::testing::FakeStatus status;
  RecordingDrain drain;
  AdminServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.drain = &drain;
  options.web_config.enable_drain_api = true;
  auto server = AdminServer::Start(options, status);
  ASSERT_TRUE(server.ok()) << server.status();
  httplib::Client client("127.0.0.1", (*server)->port());
  auto res = client.Post("/api/v1/targets/web/127.0.0.1:8080/drain",
                         R"({"reason":"maintenance","for":"10m"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  auto del = client.Delete("/api/v1/targets/web/127.0.0.1:8080/drain");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200);
  // A body over the limit is refused before it is read.
  auto big = client.Post("/api/v1/targets/web/127.0.0.1:8080/drain", std::string(64 * 1024, ' '),
                         "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  ASSERT_EQ(drain.calls().size(), 2u);
  EXPECT_EQ(drain.calls()[0].id, "web/127.0.0.1:8080");
}

}  // namespace
}  // namespace registrar::admin
