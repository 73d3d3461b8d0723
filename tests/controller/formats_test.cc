// Each value format read back the way its real consumer reads it.
#include <gtest/gtest.h>

#include "controller/controller.h"
#include "nlohmann/json.hpp"
#include "tests/controller/controller_fixture.h"

namespace registrar::controller {
namespace {

using std::chrono::milliseconds;
using testing::WaitFor;

// CoreDNS plugin/etcd/msg.Path: "/<prefix>/" + the name's labels reversed.
std::string CoreDnsPath(const std::string& qname, const std::string& prefix = "skydns") {
  std::vector<std::string> labels;
  std::string label;
  for (char ch : qname) {
    if (ch == '.') {
      if (!label.empty()) labels.push_back(label);
      label.clear();
    } else {
      label.push_back(ch);
    }
  }
  if (!label.empty()) labels.push_back(label);
  std::string path = "/" + prefix;
  for (auto it = labels.rbegin(); it != labels.rend(); ++it) path += "/" + *it;
  return path;
}

TEST_F(ControllerTest, PlainValueIsWhatAGetWatchPrefixClientExpects) {
  Controller& c = MakeController({ServiceRegistration{.service = "web"}});
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(1); }));
  // The seed's client: Get on "<prefix><service>/" and take every value as an address.
  auto keys = Keys("/services/web/");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys.begin()->second.value, "127.0.0.1:8081");
}

TEST_F(ControllerTest, GrpcNamingValueIsReadableByGoEndpointsManager) {
  ServiceRegistration svc{.service = "greeter", .format = ValueFormat::kGrpcNaming};
  svc.metadata = {{"version", "v2"}};
  Controller& c = MakeController({svc});
  c.SetHealthy(MakeTarget("greeter", 50051), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(1); }));
  // endpoints.NewManager(client, "/services/greeter"): keys must start with target + "/".
  const std::string target = "/services/greeter";
  auto keys = Keys(target + "/");
  ASSERT_EQ(keys.size(), 1u);
  const auto& [key, kv] = *keys.begin();
  EXPECT_EQ(key, target + "/127.0.0.1:50051");
  // internal.Update{Op uint8 `json:"Op"`; Addr string; Metadata interface{}}.
  auto update = nlohmann::json::parse(kv.value);
  ASSERT_TRUE(update.contains("Op"));
  ASSERT_TRUE(update["Op"].is_number_unsigned());
  EXPECT_EQ(update["Op"].get<int>(), 0);  // endpoints.Add
  EXPECT_EQ(update["Addr"], "127.0.0.1:50051");
  EXPECT_EQ(update["Metadata"]["version"], "v2");
  for (const auto& [field, value] : update.items()) {
    EXPECT_TRUE(field == "Op" || field == "Addr" || field == "Metadata") << field;
  }
}

TEST_F(ControllerTest, SkyDnsRecordIsWhereCoreDnsLooksAndHasAnExplicitTtl) {
  ServiceRegistration svc{.service = "web", .format = ValueFormat::kSkyDns};
  svc.dns_domain = "svc.example.com";
  svc.dns_ttl_seconds = 5;
  Controller& c = MakeController({svc});
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.SetHealthy(MakeTarget("web", 8082), true);
  c.Start();
  // CoreDNS answers web.svc.example.com with a prefix Get on its path + "/".
  const std::string path = CoreDnsPath("web.svc.example.com.");
  EXPECT_EQ(path, "/skydns/com/example/svc/web");
  ASSERT_TRUE(WaitFor([&] { return Keys(path + "/").size() == 2; }));
  for (const auto& [key, kv] : Keys(path + "/")) {
    auto service = nlohmann::json::parse(kv.value);  // msg.Service
    EXPECT_EQ(service["host"], "127.0.0.1");
    EXPECT_TRUE(service["port"] == 8081 || service["port"] == 8082);
    EXPECT_EQ(service["ttl"], 5);
    // The last label names the instance: <id>.web.svc.example.com.
    EXPECT_EQ(key, path + "/127-0-0-1-" + std::to_string(service["port"].get<int>()));
  }
  EXPECT_TRUE(KeyCountIs(0, "/services/"));
  // Unhealthy: its record goes, the other stays.
  c.SetHealthy(MakeTarget("web", 8082), false);
  ASSERT_TRUE(WaitFor([&] { return Keys(path + "/").size() == 1; }));
}

TEST_F(ControllerTest, SkyDnsRecordsOfOthersAreLeftAlone) {
  etcd_.EtcdCtl({"put", "/skydns/com/example/other/x1", R"({"host":"10.0.0.1"})"});
  ServiceRegistration svc{.service = "web", .format = ValueFormat::kSkyDns};
  svc.dns_domain = "example.com";
  options_.owns_prefix = true;  // owns /services/, never /skydns/
  Controller& c = MakeController({svc});
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return Keys("/skydns/").size() == 2 && c.Ready(); }));
  EXPECT_TRUE(HasKey("/skydns/com/example/other/x1"));
}

TEST_F(ControllerTest, JsonValueKeepsItsRegistrationTimeAcrossReconciles) {
  options_.resync_period = milliseconds(100);
  ServiceRegistration svc{.service = "web", .format = ValueFormat::kJson};
  svc.metadata = {{"zone", "a"}};
  Controller& c = MakeController({svc});
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(1); }));
  const auto first = Keys().begin()->second;
  auto value = nlohmann::json::parse(first.value);
  EXPECT_EQ(value["service"], "web");
  EXPECT_EQ(value["address"], "127.0.0.1:8081");
  EXPECT_EQ(value["metadata"]["zone"], "a");
  EXPECT_TRUE(value["registeredAt"].is_string());
  const int64_t reconciles = observer_.reconciles.load();
  ASSERT_TRUE(WaitFor([&] { return observer_.reconciles.load() >= reconciles + 3; }));
  EXPECT_EQ(Keys().begin()->second.mod_revision, first.mod_revision);
}

TEST_F(ControllerTest, ServiceFormatChangeMovesTheKeyWithoutAGap) {
  Controller& c = MakeController({ServiceRegistration{.service = "web"}});
  c.SetHealthy(MakeTarget("web", 8081), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return HasKey("/services/web/127.0.0.1:8081", "127.0.0.1:8081"); }));
  ServiceRegistration dns{.service = "web", .format = ValueFormat::kSkyDns};
  dns.dns_domain = "example.com";
  c.SetServices({dns});
  ASSERT_TRUE(
      WaitFor([&] { return KeyCountIs(0) && Keys("/skydns/com/example/web/").size() == 1; }));
}

}  // namespace
}  // namespace registrar::controller
