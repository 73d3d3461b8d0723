// The admin server over the real runtime (etcd, controller, prober): /readyz
// follows config, lease and first reconcile; the JSON API's registered keys
// are the keys etcd holds; the metrics count the real etcd traffic.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/metrics/full_stack.h"
#include "tests/metrics/test_util.h"
#include "tests/support/http_backend.h"
#include "tests/support/wait.h"

namespace registrar::metrics {
namespace {

using registrar::testing::HttpBackend;
using registrar::testing::WaitFor;
using testing::Exposition;
using testing::HttpTarget;
using testing::Sample;

class FullStackTest : public ::testing::Test {
 protected:
  void SetUp() override { stack_.SetUp(); }
  void TearDown() override { stack_.TearDown(); }

  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", stack_.server->port());
    client.set_read_timeout(std::chrono::seconds(10));
    return client.Get(path.c_str());
  }

  nlohmann::json Targets() {
    auto res = Get("/api/v1/targets");
    if (!res || res->status != 200) return nlohmann::json::object();
    return nlohmann::json::parse(res->body);
  }

  // target id → registered key ("" when none), from the API.
  std::map<std::string, std::string> ApiKeys() {
    std::map<std::string, std::string> out;
    const nlohmann::json doc = Targets();
    if (!doc.contains("targets")) return out;
    for (const auto& t : doc["targets"]) {
      out[t["id"]] = t["registered_key"].is_null() ? "" : t["registered_key"].get<std::string>();
    }
    return out;
  }

  testing::FullStack stack_;
};

TEST_F(FullStackTest, ReadyzIs503WithAReasonUntilConfigLeaseAndFirstReconcileThen200) {
  auto res = Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "not ready: config not loaded\n");

  stack_.status->SetConfigLoaded(true);
  res = Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "not ready: no lease held\n");

  HttpBackend backend;
  stack_.Run({HttpTarget("web", backend.port())});
  EXPECT_TRUE(WaitFor([&] {
    auto r = Get("/readyz");
    return r && r->status == 200;
  }));
  EXPECT_EQ(Get("/healthz")->status, 200);
}

TEST_F(FullStackTest, ApiKeysAreTheKeysEtcdHoldsThroughTransitions) {
  HttpBackend a, b, c;
  c.SetStatus(500);
  const probes::Target ta = HttpTarget("web", a.port()), tb = HttpTarget("web", b.port()),
                       tc = HttpTarget("api", c.port());
  stack_.Run({ta, tb, tc});
  const std::string key_a = "/services/web/" + a.address(), key_b = "/services/web/" + b.address();

  ASSERT_TRUE(WaitFor([&] { return stack_.EtcdKeys().size() == 2; }, std::chrono::seconds(20)));
  ASSERT_TRUE(WaitFor([&] {
    auto keys = ApiKeys();
    return keys[ta.Id()] == key_a && keys[tb.Id()] == key_b && keys[tc.Id()].empty();
  })) << Targets().dump(2);
  EXPECT_EQ(stack_.EtcdKeys().count(key_a), 1u);
  nlohmann::json doc = Targets();
  EXPECT_EQ(doc["registration"]["etcd_endpoint"], stack_.etcd.endpoint());
  EXPECT_EQ(doc["registration"]["etcd_connected"], true);
  EXPECT_FALSE(doc["registration"]["lease_id"].is_null());
  EXPECT_EQ(doc["registration"]["registered_keys"], 2);

  // b fails: its key goes from etcd and from the API; c recovers: it gets one.
  b.SetStatus(503);
  c.SetStatus(200);
  const std::string key_c = "/services/api/" + c.address();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto etcd = stack_.EtcdKeys();
        return etcd.size() == 2 && etcd.count(key_a) == 1 && etcd.count(key_c) == 1;
      },
      std::chrono::seconds(20)));
  ASSERT_TRUE(WaitFor([&] {
    auto keys = ApiKeys();
    return keys[tb.Id()].empty() && keys[tc.Id()] == key_c && keys[ta.Id()] == key_a;
  })) << Targets().dump(2);

  // The metrics saw the same: keys, lease, etcd calls, reconciles.
  ASSERT_TRUE(WaitFor(
      [&] { return Sample(Exposition(*stack_.metrics), "registrar_registered_keys") == 2; }));
  const std::string text = Exposition(*stack_.metrics);
  EXPECT_EQ(Sample(text, "registrar_lease_held"), 1);
  EXPECT_GE(*Sample(text, "registrar_lease_ttl_seconds"), 2);
  EXPECT_GT(*Sample(text, "registrar_etcd_requests_total", {{"op", "txn"}, {"code", "OK"}}), 0);
  EXPECT_GT(*Sample(text, "registrar_etcd_requests_total", {{"op", "lease_grant"}, {"code", "OK"}}),
            0);
  EXPECT_GT(*Sample(text, "registrar_reconcile_total", {{"result", "success"}}), 0);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "web"}, {"state", "healthy"}}), 1);
  EXPECT_EQ(Sample(text, "registrar_targets", {{"service", "api"}, {"state", "healthy"}}), 1);

  // What /metrics serves after real etcd traffic still passes promtool.
  auto scraped = Get("/metrics");
  ASSERT_TRUE(scraped);
  int code = -1;
  const std::string lint = testing::PromtoolCheckMetrics(scraped->body, &code);
  EXPECT_EQ(code, 0) << lint;
  EXPECT_EQ(lint, "");
}

}  // namespace
}  // namespace registrar::metrics
