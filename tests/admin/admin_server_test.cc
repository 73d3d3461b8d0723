// AdminServer: endpoints, HTTP hygiene (404, 405, oversized headers) and the
// JSON / HTML views of a status::StatusProvider.
#include "admin/admin_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "tests/metrics/test_util.h"
#include "tests/support/ports.h"

namespace registrar::admin {
namespace {

using metrics::testing::FakeStatus;
using metrics::testing::HttpTarget;

probes::ProbeResult Result(bool ok, std::string reason, Duration latency, int status) {
  probes::ProbeResult r;
  r.ok = ok;
  r.reason = std::move(reason);
  r.latency = latency;
  r.http_status = status;
  r.wall_start = WallTime(std::chrono::seconds(1764100000));
  return r;
}

probes::TargetStatus Status(probes::Target target, probes::Health health,
                            std::vector<probes::ProbeResult> recent) {
  probes::TargetStatus s;
  s.target = std::move(target);
  s.health = health;
  s.since = WallTime(std::chrono::seconds(1764099000));
  s.recent.assign(recent.begin(), recent.end());
  return s;
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto metrics = metrics::Metrics::Create({});
    ASSERT_TRUE(metrics.ok());
    metrics_ = std::move(*metrics);
    AdminServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.collectables = metrics_->Collectables();
    auto server = AdminServer::Start(options, status_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  httplib::Client Client() {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(10));
    return client;
  }

  FakeStatus status_;
  std::unique_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, ServesMetricsInTextExposition) {
  auto res = Client().Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res->body.find("# TYPE registrar_build_info gauge"), std::string::npos);
  EXPECT_NE(res->body.find("process_open_fds "), std::string::npos);
}

TEST_F(AdminServerTest, ScrapedMetricsPassPromtool) {
  metrics_->SetTargets({HttpTarget("web", 8080)});
  auto res = Client().Get("/metrics");
  ASSERT_TRUE(res);
  int code = -1;
  const std::string out = metrics::testing::PromtoolCheckMetrics(res->body, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "");
}

TEST_F(AdminServerTest, HealthzAnswersWhileTheProcessLives) {
  auto res = Client().Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");
}

TEST_F(AdminServerTest, ReadyzIs503WithTheReasonUntilReadyThen200) {
  status_.SetReady({false, "no lease held yet"});
  auto res = Client().Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "not ready: no lease held yet\n");

  status_.SetReady({true, ""});
  res = Client().Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(AdminServerTest, UnknownPathsAre404TextOrJson) {
  auto res = Client().Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->body, "404 not found\n");

  res = Client().Get("/api/v1/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"], "not found");
}

TEST_F(AdminServerTest, OnlyGetAndHeadAreAllowed) {
  auto client = Client();
  std::vector<httplib::Result> results;
  results.push_back(client.Post("/metrics", "x", "text/plain"));
  results.push_back(client.Put("/", "x", "text/plain"));
  results.push_back(client.Delete("/api/v1/targets"));
  results.push_back(client.Patch("/readyz", "x", "text/plain"));
  results.push_back(client.Options("/healthz"));
  for (auto& res : results) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 405);
    EXPECT_EQ(res->get_header_value("Allow"), "GET, HEAD");
  }
  auto head = client.Head("/metrics");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
}

TEST_F(AdminServerTest, OversizedHeadersGet4xx) {
  auto client = Client();
  // Many headers, each of acceptable size, together beyond the limit.
  httplib::Headers many;
  for (int i = 0; i < 8; ++i) many.emplace("X-Pad-" + std::to_string(i), std::string(4000, 'a'));
  auto res = client.Get("/healthz", many);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 431);

  // One header line beyond the parser's line limit.
  auto res2 = Client().Get("/healthz", {{"X-Huge", std::string(20000, 'b')}});
  ASSERT_TRUE(res2);
  EXPECT_GE(res2->status, 400);
  EXPECT_LT(res2->status, 500);

  // The server is fine afterwards.
  auto ok = Client().Get("/healthz");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(AdminServerTest, OversizedBodiesGet413) {
  auto res = Client().Post("/metrics", std::string(64 * 1024, 'x'), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  httplib::Request req;
  req.method = "GET";
  req.path = "/healthz";
  req.body = std::string(64 * 1024, 'x');
  auto get = Client().send(req);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 413);
}

TEST_F(AdminServerTest, GarbageRequestsGet400AndLeaveTheServerWorking) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string garbage = "BREW /pot HTCPCP/1.0\r\n\r\n";
  ASSERT_EQ(::write(fd, garbage.data(), garbage.size()), static_cast<ssize_t>(garbage.size()));
  char buffer[256] = {};
  const ssize_t n = ::read(fd, buffer, sizeof(buffer) - 1);
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buffer, 12), "HTTP/1.1 400");

  auto ok = Client().Get("/healthz");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(AdminServerTest, TargetsApiShowsEveryTargetWithItsResultsAndKey) {
  const probes::Target web = HttpTarget("web", 8080), api = HttpTarget("api", 9090);
  status_.SetTargets({
      Status(api, probes::Health::kUnhealthy,
             {Result(false, "connection refused", std::chrono::microseconds(300), 0)}),
      Status(web, probes::Health::kHealthy,
             {Result(true, "status 200", std::chrono::milliseconds(2), 200),
              Result(true, "status 204", std::chrono::milliseconds(3), 204)}),
  });
  status::RegistrationView reg;
  reg.etcd_endpoint = "127.0.0.1:2379";
  reg.etcd_connected = true;
  reg.lease_id = 0x694d7c1a2b3c4d5e;
  reg.lease_ttl_seconds = 10;
  reg.registered_keys = 1;
  reg.keys_by_target[web.Id()] = "/services/web/127.0.0.1:8080";
  status_.SetRegistration(reg);
  status_.SetReady({true, ""});

  auto res = Client().Get("/api/v1/targets");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  const nlohmann::json doc = nlohmann::json::parse(res->body);
  EXPECT_EQ(doc["summary"]["total"], 2);
  EXPECT_EQ(doc["summary"]["healthy"], 1);
  EXPECT_EQ(doc["summary"]["unhealthy"], 1);
  EXPECT_EQ(doc["registration"]["lease_id"], "694d7c1a2b3c4d5e");
  EXPECT_EQ(doc["registration"]["etcd_endpoint"], "127.0.0.1:2379");
  EXPECT_EQ(doc["ready"]["ok"], true);
  ASSERT_EQ(doc["targets"].size(), 2u);
  const nlohmann::json& a = doc["targets"][0];
  EXPECT_EQ(a["service"], "api");
  EXPECT_EQ(a["address"], "127.0.0.1:9090");
  EXPECT_EQ(a["state"], "unhealthy");
  EXPECT_TRUE(a["registered_key"].is_null());
  EXPECT_EQ(a["last_results"][0]["reason"], "connection refused");
  EXPECT_EQ(a["last_results"][0]["ok"], false);
  const nlohmann::json& w = doc["targets"][1];
  EXPECT_EQ(w["id"], "web/127.0.0.1:8080");
  EXPECT_EQ(w["state"], "healthy");
  EXPECT_EQ(w["since"], "2025-11-25T19:30:00.000Z");
  EXPECT_EQ(w["registered_key"], "/services/web/127.0.0.1:8080");
  ASSERT_EQ(w["last_results"].size(), 2u);
  EXPECT_EQ(w["last_results"][1]["reason"], "status 204");
  EXPECT_EQ(w["last_results"][1]["http_status"], 204);
  EXPECT_DOUBLE_EQ(w["last_results"][1]["latency_seconds"].get<double>(), 0.003);

  // Laid out for people too: no empty line, and a comma ends the line of the
  // member before it instead of starting a line of its own.
  size_t start = 0;
  while (start < res->body.size()) {
    const size_t end = res->body.find('\n', start);
    const std::string line = res->body.substr(start, end - start);
    EXPECT_NE(line.find_first_not_of(' '), std::string::npos) << "empty line in\n" << res->body;
    EXPECT_NE(line.find_first_not_of(' '), line.find(',')) << "a line starts with a comma:\n"
                                                           << res->body;
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

// blackbox_exporter's /probe: a target's latest result in its exposition, and
// its answers for a missing, unknown, ambiguous or not yet probed target.
TEST_F(AdminServerTest, ProbeAnswersLikeBlackboxForOneTargetsLatestResult) {
  const probes::Target web = HttpTarget("web", 8080), api = HttpTarget("api", 8080),
                       fresh = HttpTarget("web", 9999);
  status_.SetTargets({
      Status(web, probes::Health::kHealthy,
             {Result(false, "status 503", std::chrono::milliseconds(4), 503),
              Result(true, "status 204", std::chrono::milliseconds(3), 204)}),
      Status(api, probes::Health::kUnhealthy,
             {Result(false, "connection refused", std::chrono::microseconds(300), 0)}),
      Status(fresh, probes::Health::kUnknown, {}),
  });
  auto res = Client().Get("/probe?module=http_2xx&target=web%2F127.0.0.1%3A8080");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res->body.find("\nprobe_success 1\n"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("\nprobe_http_status_code 204\n"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("\nprobe_duration_seconds 0.003\n"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("# TYPE probe_success gauge\n"), std::string::npos);
  EXPECT_NE(res->body.find("\nregistrar_target_healthy 1\n"), std::string::npos);

  res = Client().Get("/probe?target=api/127.0.0.1:8080");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("\nprobe_success 0\n"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("\nprobe_http_status_code 0\n"), std::string::npos) << res->body;

  res = Client().Get("/probe?module=http_2xx");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->body, "Target parameter is missing\n");
  EXPECT_EQ(res->get_header_value("Connection"), "close") << "a bad request closes, as elsewhere";
  res = Client().Get("/probe?target=web/127.0.0.1:1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404) << res->body;
  EXPECT_EQ(res->get_header_value("Connection"), "close");
  res = Client().Get("/probe?target=http://127.0.0.1:8080/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << "two services have that address: " << res->body;
  EXPECT_NE(res->body.find("api, web"), std::string::npos) << res->body;
  res = Client().Get("/probe?target=127.0.0.1:9999");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_NE(res->body.find("not been probed yet"), std::string::npos) << res->body;
}

// Probes that take longer than the period (a timeout above it, as kubelet
// allows) run later than the period; the page and the API say so.
TEST_F(AdminServerTest, TargetsProbedLaterThanTheirPeriodAreMarked) {
  probes::Target slow = HttpTarget("slow", 8080), quick = HttpTarget("quick", 8081);
  slow.probe.period = quick.probe.period = std::chrono::seconds(2);
  probes::TargetStatus s = Status(slow, probes::Health::kHealthy,
                                  {Result(true, "status 200", std::chrono::seconds(5), 200)});
  s.interval = std::chrono::seconds(5);
  s.late_probes = 3;
  probes::TargetStatus q = Status(quick, probes::Health::kHealthy,
                                  {Result(true, "status 200", std::chrono::milliseconds(2), 200)});
  q.interval = std::chrono::seconds(2);
  status_.SetTargets({q, s});
  auto page = Client().Get("/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("every 5.00 s, period 2.00 s: probes take longer than the period"),
            std::string::npos)
      << page->body;
  EXPECT_EQ(page->body.find("every 2.00 s"), std::string::npos)
      << "an on-time target is not marked";
  auto api = Client().Get("/api/v1/targets?service=slow");
  ASSERT_TRUE(api);
  const nlohmann::json t = nlohmann::json::parse(api->body)["targets"][0];
  EXPECT_EQ(t["period_seconds"], 2);
  EXPECT_EQ(t["probe_interval_seconds"], 5);
  EXPECT_EQ(t["late_probes"], 3);
}

TEST_F(AdminServerTest, StatusPageEscapesEverythingItShows) {
  probes::Target evil = HttpTarget("<script>alert(1)</script>", 8080);
  status_.SetTargets(
      {Status(evil, probes::Health::kUnhealthy,
              {Result(false, "body \"<b>oops</b>\" & more", Duration::zero(), 500)})});
  status::RegistrationView reg;
  reg.last_error = "<img src=x onerror=alert(2)>";
  status_.SetRegistration(reg);
  auto res = Client().Get("/");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(res->body.find("<script"), std::string::npos);
  EXPECT_EQ(res->body.find("<img"), std::string::npos);
  EXPECT_EQ(res->body.find("<b>"), std::string::npos);
  EXPECT_NE(res->body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(res->body.find("&quot;&lt;b&gt;oops&lt;/b&gt;&quot; &amp; more"), std::string::npos);
}

TEST_F(AdminServerTest, StatusPageRefreshesOnlyWhenAsked) {
  auto res = Client().Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body.find("http-equiv=\"refresh\""), std::string::npos);
  res = Client().Get("/?refresh=7");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("<meta http-equiv=\"refresh\" content=\"7\">"), std::string::npos);
  res = Client().Get("/?refresh=0");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("<meta http-equiv=\"refresh\" content=\"1\">"), std::string::npos);
}

TEST(AdminServer, RejectsMalformedListenAddresses) {
  FakeStatus status;
  for (const char* bad : {"nohostport", "127.0.0.1:http", "127.0.0.1:70000", "[::1:80"}) {
    AdminServerOptions options;
    options.listen_address = bad;
    auto server = AdminServer::Start(options, status);
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(AdminServer, ReportsAPortInUseAsUnavailable) {
  FakeStatus status;
  AdminServerOptions options;
  options.listen_address = "127.0.0.1:0";
  auto first = AdminServer::Start(options, status);
  ASSERT_TRUE(first.ok());
  options.listen_address = (*first)->address();
  auto second = AdminServer::Start(options, status);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(AdminServer, ListensOnIpv6Loopback) {
  FakeStatus status;
  AdminServerOptions options;
  options.listen_address = "[::1]:0";
  auto server = AdminServer::Start(options, status);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->address(), "[::1]:" + std::to_string((*server)->port()));
  httplib::Client client("::1", (*server)->port());
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(AdminServer, StopsPromptlyAndTwice) {
  FakeStatus status;
  AdminServerOptions options;
  options.listen_address = "127.0.0.1:0";
  auto server = AdminServer::Start(options, status);
  ASSERT_TRUE(server.ok());
  (*server)->Stop();
  (*server)->Stop();
  httplib::Client client("127.0.0.1", (*server)->port());
  EXPECT_FALSE(client.Get("/healthz"));
}

}  // namespace
}  // namespace registrar::admin
