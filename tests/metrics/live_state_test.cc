// The admin server over a real Prober probing real HTTP backends: the JSON
// API and the metrics follow the backends' real state through transitions,
// and abusive admin clients never hold up probing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "metrics/metrics.h"
#include "metrics/target_collector.h"
#include "probes/prober.h"
#include "tests/metrics/test_util.h"
#include "tests/support/http_backend.h"
#include "tests/support/tiny_dns.h"
#include "tests/support/wait.h"

namespace registrar::metrics {
namespace {

using admin::AdminServer;
using admin::AdminServerOptions;

using registrar::testing::HttpBackend;
using registrar::testing::WaitFor;
using testing::Exposition;
using testing::HttpTarget;
using testing::Sample;

class LiveStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto metrics = Metrics::Create({});
    ASSERT_TRUE(metrics.ok());
    metrics_ = std::move(*metrics);
    prober_ = probes::Prober::Create(RealClock(), random_, {}, metrics_.get());
    status_ = std::make_unique<testing::ProberStatus>(*prober_);
    AdminServerOptions options;
    options.listen_address = "127.0.0.1:0";
    collector_ = std::make_shared<TargetCollector>(*status_, PerTargetSeries::kAlways);
    options.collectables = metrics_->Collectables();
    options.collectables.push_back(collector_);
    options.idle_timeout = std::chrono::seconds(3);
    auto server = AdminServer::Start(options, *status_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (prober_) prober_->Stop();
  }

  void Probe(const std::vector<probes::Target>& targets) {
    metrics_->SetTargets(targets);  // before the Prober: see metrics.h
    prober_->SetTargets(targets);
    prober_->Start();
  }

  nlohmann::json TargetsJson() {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(std::chrono::seconds(10));
    auto res = client.Get("/api/v1/targets");
    if (!res || res->status != 200) return nlohmann::json::object();
    return nlohmann::json::parse(res->body);
  }

  // The JSON entry of target `id` (null when absent).
  nlohmann::json Entry(const nlohmann::json& doc, const std::string& id) {
    if (!doc.contains("targets")) return nullptr;
    for (const auto& t : doc["targets"]) {
      if (t["id"] == id) return t;
    }
    return nullptr;
  }

  bool StateIs(const std::string& id, const std::string& state) {
    const nlohmann::json t = Entry(TargetsJson(), id);
    return !t.is_null() && t["state"] == state;
  }

  SystemRandom random_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<probes::Prober> prober_;
  std::unique_ptr<testing::ProberStatus> status_;
  std::shared_ptr<TargetCollector> collector_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(LiveStateTest, TargetsApiFollowsRealBackendsThroughTransitions) {
  HttpBackend a, b, c;
  c.SetStatus(500);
  const probes::Target ta = HttpTarget("web", a.port()), tb = HttpTarget("web", b.port()),
                       tc = HttpTarget("api", c.port());
  Probe({ta, tb, tc});

  ASSERT_TRUE(WaitFor(
      [&] {
        return StateIs(ta.Id(), "healthy") && StateIs(tb.Id(), "healthy") &&
               StateIs(tc.Id(), "unhealthy");
      },
      std::chrono::seconds(20)))
      << TargetsJson().dump(2);
  nlohmann::json doc = TargetsJson();
  EXPECT_EQ(doc["summary"]["healthy"], 2);
  EXPECT_EQ(doc["summary"]["unhealthy"], 1);
  const nlohmann::json before = Entry(doc, tb.Id());
  EXPECT_EQ(before["service"], "web");
  EXPECT_EQ(before["address"], b.address());
  EXPECT_EQ(before["last_results"].back()["reason"], "status 200");
  EXPECT_EQ(before["last_results"].back()["http_status"], 200);
  EXPECT_GT(before["last_results"].back()["latency_seconds"].get<double>(), 0);
  EXPECT_EQ(Entry(doc, tc.Id())["last_results"].back()["reason"], "status 500");

  // b starts failing: the API says so, with the reason, and a later "since".
  b.SetStatus(503);
  ASSERT_TRUE(WaitFor([&] { return StateIs(tb.Id(), "unhealthy"); }, std::chrono::seconds(20)));
  doc = TargetsJson();
  const nlohmann::json after = Entry(doc, tb.Id());
  EXPECT_EQ(after["last_results"].back()["reason"], "status 503");
  EXPECT_EQ(after["last_results"].back()["ok"], false);
  EXPECT_GT(after["since"].get<std::string>(), before["since"].get<std::string>());
  EXPECT_EQ(doc["summary"]["healthy"], 1);

  // a goes away altogether: connection refused.
  a.Stop();
  ASSERT_TRUE(WaitFor([&] { return StateIs(ta.Id(), "unhealthy"); }, std::chrono::seconds(20)));
  EXPECT_EQ(Entry(TargetsJson(), ta.Id())["last_results"].back()["reason"], "connection refused");

  // The metrics agree with the API.
  auto collectables = metrics_->Collectables();
  collectables.push_back(collector_);
  const std::string text = Exposition(collectables);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "web"}, {"state", "unhealthy"}}), 2);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "web"}, {"state", "healthy"}}), 0);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "api"}, {"state", "unhealthy"}}), 1);
  EXPECT_EQ(Sample(text, "registrar_transitions_total", {{"service", "web"}, {"to", "unhealthy"}}),
            2);
  EXPECT_EQ(Sample(text, "registrar_target_healthy", {{"service", "web"}, {"target", b.address()}}),
            0);
  EXPECT_EQ(Sample(text, "registrar_target_probed", {{"service", "web"}, {"target", b.address()}}),
            1);
  // b failed by status, a by a refused connection.
  EXPECT_GT(
      *Sample(text, "registrar_probe_failures_total", {{"service", "web"}, {"reason", "status"}}),
      0);
  EXPECT_GT(
      *Sample(text, "registrar_probe_failures_total", {{"service", "web"}, {"reason", "refused"}}),
      0);
  EXPECT_GT(*Sample(text, "registrar_probes_total", {{"service", "web"}, {"result", "success"}}),
            0);
}

TEST_F(LiveStateTest, AbusiveAdminClientsNeverHoldUpProbing) {
  HttpBackend backend;
  const probes::Target t = HttpTarget("web", backend.port());
  Probe({t});
  ASSERT_TRUE(WaitFor([&] { return StateIs(t.Id(), "healthy"); }, std::chrono::seconds(20)));

  // More silent connections than the admin server has threads: its pool is
  // busy until they time out.
  std::vector<int> idle;
  for (int i = 0; i < 12; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    idle.push_back(fd);
  }
  // Probing goes on, and so do transitions, while the admin port is clogged.
  const int64_t hits = backend.hits();
  EXPECT_TRUE(WaitFor([&] { return backend.hits() >= hits + 5; }, std::chrono::seconds(10)));
  backend.SetStatus(500);
  EXPECT_TRUE(WaitFor(
      [&] {
        return Sample(Exposition(*metrics_), "registrar_targets",
                      {{"service", "web"}, {"state", "unhealthy"}}) == 1;
      },
      std::chrono::seconds(10)));
  for (int fd : idle) ::close(fd);

  // And the admin server recovers once they are gone.
  EXPECT_TRUE(WaitFor([&] { return StateIs(t.Id(), "unhealthy"); }, std::chrono::seconds(20)));
}

// A name that does not resolve is counted as dns (it was "other" while
// reasons were classified by their text).
TEST(LiveMetrics, ANameThatDoesNotResolveIsCountedAsDns) {
  registrar::testing::TinyDns dns;
  dns.answering.store(false);
  auto metrics = Metrics::Create({});
  ASSERT_TRUE(metrics.ok());
  SystemRandom random{1};
  probes::ProberOptions options;
  options.dns_servers = {dns.server()};
  auto prober = probes::Prober::Create(RealClock(), random, options, metrics->get());
  probes::Target t = HttpTarget("named", 80);
  t.host = "nowhere.registrar.test";
  (*metrics)->SetTargets({t});
  prober->SetTargets({t});
  prober->Start();
  auto failures = [&](const char* reason) {
    return Sample(Exposition(**metrics), "registrar_probe_failures_total",
                  {{"service", "named"}, {"reason", reason}})
        .value_or(-1);
  };
  EXPECT_TRUE(WaitFor([&] { return failures("dns") > 0; }, std::chrono::seconds(30)));
  prober->Stop();
  EXPECT_EQ(failures("other"), 0);
}

}  // namespace
}  // namespace registrar::metrics
