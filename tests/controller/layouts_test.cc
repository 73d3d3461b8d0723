// Every layout's key and value, read back with its consumer's own decoding
// (tests/controller/consumers.h cites the source file and version of each),
// and the template mechanism that renders them all.
#include "registration/layouts.h"

#include <gtest/gtest.h>

#include "registration/keys.h"
#include "registration/reconcile.h"
#include "tests/controller/consumers.h"

namespace registrar::controller {
namespace {

using consumers::Kvs;
using consumers::View;

probes::Target Orders(int weight = 3) {
  probes::Target t;
  t.service = "orders";
  t.host = "10.0.0.5";
  t.port = 8080;
  t.weight = weight;
  t.metadata = {{"zone", "a"}};
  return t;
}

ServiceRegistration Service(ValueFormat format) {
  ServiceRegistration s;
  s.service = "orders";
  s.format = format;
  s.layout.version = "v1";
  return s;
}

WallTime At2026() { return std::chrono::system_clock::from_time_t(1767225600); }

LayoutKey Only(ValueFormat format, const RegistrationOptions& options = {},
               const probes::Target& target = Orders(), ServiceRegistration s = {}) {
  if (s.service.empty()) s = Service(format);
  auto keys = RegistrationKeys(target, s, options, At2026());
  EXPECT_EQ(keys.size(), 1u);
  return keys.empty() ? LayoutKey{} : keys[0];
}

Kvs KvsOf(const LayoutKey& k) { return {{k.key, k.value}}; }

// The three layouts that existed before are byte-for-byte what they were.
TEST(Layouts, ExistingLayoutsAreUnchangedOnTheWire) {
  EXPECT_EQ(Only(ValueFormat::kPlain).value, "10.0.0.5:8080");
  EXPECT_EQ(Only(ValueFormat::kPlain).key, "/services/orders/10.0.0.5:8080");
  EXPECT_EQ(Only(ValueFormat::kJson).value,
            R"({"service":"orders","address":"10.0.0.5:8080","weight":3,)"
            R"("metadata":{"zone":"a"},"registeredAt":"2026-01-01T00:00:00Z"})");
  EXPECT_EQ(Only(ValueFormat::kJson, {}, Orders(0)).value,
            R"({"service":"orders","address":"10.0.0.5:8080","metadata":{"zone":"a"},)"
            R"("registeredAt":"2026-01-01T00:00:00Z"})");
  EXPECT_EQ(Only(ValueFormat::kGrpcNaming).value,
            R"({"Op":0,"Addr":"10.0.0.5:8080","Metadata":{"zone":"a","weight":3}})");
  probes::Target bare = Orders(0);
  bare.metadata.clear();
  EXPECT_EQ(Only(ValueFormat::kGrpcNaming, {}, bare).value,
            R"({"Op":0,"Addr":"10.0.0.5:8080","Metadata":null})");
  EXPECT_EQ(Only(ValueFormat::kSkyDns, {}, bare).value,
            R"({"host":"10.0.0.5","port":8080,"ttl":30})");
  EXPECT_EQ(Only(ValueFormat::kSkyDns, {}, bare).key, "/skydns/local/cluster/orders/10-0-0-5-8080");
}

TEST(Layouts, GrpcNamingIsWhatEtcdsResolverReadsAtTheDialTargetWithFourSlashes) {
  // etcd:///services/orders would watch "services/orders/": nothing there.
  EXPECT_EQ(
      consumers::GrpcResolver(KvsOf(Only(ValueFormat::kGrpcNaming)), "etcd:///services/orders"),
      View{});
  EXPECT_EQ(
      consumers::GrpcResolver(KvsOf(Only(ValueFormat::kGrpcNaming)), "etcd:////services/orders"),
      (View{{"10.0.0.5:8080", 3}}));
}

TEST(Layouts, SkyDnsCarriesWeightAndPriorityIntoSrvRecords) {
  ServiceRegistration s = Service(ValueFormat::kSkyDns);
  s.layout.priority = 10;
  LayoutKey k = Only(ValueFormat::kSkyDns, {}, Orders(3), s);
  EXPECT_EQ(k.value, R"({"host":"10.0.0.5","port":8080,"ttl":30,"priority":10,"weight":3})");
  probes::Target other = Orders(1);
  other.host = "10.0.0.6";
  Kvs kvs = KvsOf(k);
  LayoutKey k2 = Only(ValueFormat::kSkyDns, {}, other, s);
  kvs[k2.key] = k2.value;
  // CoreDNS: weights are shares of 100 within a priority: 3:1 → 75 and 25.
  EXPECT_EQ(consumers::CoreDnsSrv(kvs, "/skydns/local/cluster/orders"),
            (View{{"10.0.0.5:8080", 75}, {"10.0.0.6:8080", 25}}));
}

TEST(Layouts, GoZeroKeyHasNoLeadingSlashAndAStableNumericId) {
  LayoutKey k = Only(ValueFormat::kGoZero);
  EXPECT_TRUE(k.key.starts_with("orders/")) << k.key;
  const std::string id = k.key.substr(7);
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(id.find_first_not_of("0123456789"), std::string::npos) << id;  // an int64 > 0
  EXPECT_EQ(k.value, "10.0.0.5:8080");
  // zrpc's RpcClientConf{Etcd: {Key: "orders"}} watches "orders/".
  EXPECT_EQ(consumers::GoZero(KvsOf(k), "orders"), (View{{"10.0.0.5:8080", 0}}));
  EXPECT_EQ(Only(ValueFormat::kGoZero).key, k.key);  // same id every time
  RegistrationOptions moved;
  moved.layout_prefixes["go-zero"] = "rpc/";
  EXPECT_EQ(Only(ValueFormat::kGoZero, moved).key, "rpc/" + k.key);
  EXPECT_EQ(ServiceDirectories(Service(ValueFormat::kGoZero), {}),
            std::vector<std::string>{"orders/"});
}

TEST(Layouts, KratosIsAServiceInstanceUnderTheNamespace) {
  LayoutKey k = Only(ValueFormat::kKratos);
  EXPECT_EQ(k.key, "/microservices/orders/10.0.0.5:8080");
  EXPECT_EQ(k.value,
            R"({"id":"10.0.0.5:8080","name":"orders","version":"v1",)"
            R"("metadata":{"zone":"a","weight":"3"},"endpoints":["grpc://10.0.0.5:8080"]})");
  EXPECT_EQ(consumers::Kratos(KvsOf(k), "orders"), (View{{"10.0.0.5:8080", 3}}));
  // The watcher's prefix "/microservices/order" also matches: it skips by name.
  EXPECT_EQ(consumers::Kratos(KvsOf(k), "order"), View{});
  RegistrationOptions moved;
  moved.layout_prefixes["kratos"] = "/ms/";
  EXPECT_EQ(consumers::Kratos(KvsOf(Only(ValueFormat::kKratos, moved)), "orders", "/ms"),
            (View{{"10.0.0.5:8080", 3}}));
  ServiceRegistration http = Service(ValueFormat::kKratos);
  http.layout.scheme = "http";
  EXPECT_NE(Only(ValueFormat::kKratos, {}, Orders(), http).value.find("\"http://10.0.0.5:8080\""),
            std::string::npos);
}

TEST(Layouts, GoMicroIsAServiceWithOneNode) {
  LayoutKey k = Only(ValueFormat::kGoMicro);
  EXPECT_EQ(k.key, "/micro/registry/orders/10.0.0.5:8080");
  EXPECT_EQ(k.value, R"({"name":"orders","version":"v1","metadata":{"zone":"a"},"endpoints":[],)"
                     R"("nodes":[{"id":"10.0.0.5:8080","address":"10.0.0.5:8080",)"
                     R"("metadata":{"zone":"a","weight":"3"}}]})");
  EXPECT_EQ(consumers::GoMicro(KvsOf(k), "orders"), (View{{"10.0.0.5:8080", 0}}));
}

TEST(Layouts, KitexIsAnInstanceInfoWithItsWeight) {
  LayoutKey k = Only(ValueFormat::kKitex);
  EXPECT_EQ(k.key, "kitex/registry-etcd/orders/10.0.0.5:8080");
  EXPECT_EQ(k.value,
            R"({"network":"tcp","address":"10.0.0.5:8080","weight":3,"tags":{"zone":"a"}})");
  EXPECT_EQ(consumers::Kitex(KvsOf(k), "orders"), (View{{"10.0.0.5:8080", 3}}));
  // No weight: 0, which the resolver turns into its default 10.
  EXPECT_EQ(consumers::Kitex(KvsOf(Only(ValueFormat::kKitex, {}, Orders(0))), "orders"),
            (View{{"10.0.0.5:8080", 10}}));
}

TEST(Layouts, DubboIsADefaultServiceInstanceUnderServices) {
  LayoutKey k = Only(ValueFormat::kDubbo);
  EXPECT_EQ(k.key, "/services/orders/10.0.0.5:8080");
  auto v = nlohmann::json::parse(k.value);
  EXPECT_EQ(v["ServiceName"], "orders");
  EXPECT_EQ(v["Host"], "10.0.0.5");
  EXPECT_EQ(v["Port"], 8080);
  EXPECT_EQ(v["Healthy"], true);
  EXPECT_EQ(v["Enable"], true);
  EXPECT_EQ(consumers::Dubbo(KvsOf(k), "orders"), (View{{"10.0.0.5:8080", 3}}));
}

TEST(Layouts, TraefikIsAServerUrlOrATcpAddress) {
  LayoutKey http = Only(ValueFormat::kTraefik);
  EXPECT_TRUE(http.key.starts_with("traefik/http/services/orders/loadbalancer/servers/"));
  EXPECT_TRUE(http.key.ends_with("/url"));
  EXPECT_EQ(http.value, "http://10.0.0.5:8080");
  EXPECT_EQ(consumers::Traefik(KvsOf(http), "orders"), (View{{"10.0.0.5:8080", 0}}));
  ServiceRegistration tcp = Service(ValueFormat::kTraefik);
  tcp.layout.protocol = "tcp";
  LayoutKey t = Only(ValueFormat::kTraefik, {}, Orders(), tcp);
  EXPECT_TRUE(t.key.starts_with("traefik/tcp/services/orders/loadbalancer/servers/"));
  EXPECT_TRUE(t.key.ends_with("/address"));
  EXPECT_EQ(t.value, "10.0.0.5:8080");
  EXPECT_EQ(consumers::Traefik(KvsOf(t), "orders", true), (View{{"10.0.0.5:8080", 0}}));
}

TEST(Layouts, EveryPresetPutsKeysUnderItsServicesDirectory) {
  for (const LayoutRow& row : PresetLayouts()) {
    ServiceRegistration s = Service(row.format);
    if (!row.variant.empty()) s.layout.protocol = "tcp";
    LayoutKey k = Only(row.format, {}, Orders(), s);
    const std::string dir = LayoutDirectory(row.format, s, {});
    EXPECT_TRUE(k.key.starts_with(dir)) << ValueFormatName(row.format) << ": " << k.key;
    EXPECT_TRUE(k.key.starts_with(ServiceDirectories(s, {})[0])) << k.key;
  }
}

TEST(Layouts, SeveralLayoutsAreRenderedInTheirOrder) {
  ServiceRegistration s = Service(ValueFormat::kGrpcNaming);
  s.formats = {ValueFormat::kGrpcNaming, ValueFormat::kSkyDns, ValueFormat::kKratos};
  auto keys = RegistrationKeys(Orders(), s, {}, At2026());
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].format, ValueFormat::kGrpcNaming);
  EXPECT_EQ(keys[1].key, "/skydns/local/cluster/orders/10-0-0-5-8080");
  EXPECT_EQ(keys[2].key, "/microservices/orders/10.0.0.5:8080");
}

TEST(LayoutTemplate, RendersTextAndTypedJsonFields) {
  ServiceRegistration s = Service(ValueFormat::kTemplate);
  s.layout.key_template = "${prefix}apps/${service}/${host}-${port}";
  s.layout.value_template =
      R"({"addr":"${address}","w":"${weight?}","m":"${metadata?null}","n":1})";
  s.layout.value_is_json = true;
  LayoutKey k = Only(ValueFormat::kTemplate, {}, Orders(), s);
  EXPECT_EQ(k.key, "/services/apps/orders/10.0.0.5-8080");
  EXPECT_EQ(k.value, R"({"addr":"10.0.0.5:8080","w":3,"m":{"zone":"a"},"n":1})");
  probes::Target bare = Orders(0);
  bare.metadata.clear();
  EXPECT_EQ(Only(ValueFormat::kTemplate, {}, bare, s).value,
            R"({"addr":"10.0.0.5:8080","m":null,"n":1})");
  // A service name with a quote stays valid JSON.
  ServiceRegistration quoted = s;
  quoted.service = "a\"b";
  quoted.layout.value_template = R"({"s":"svc ${service}"})";
  EXPECT_EQ(nlohmann::json::parse(Only(ValueFormat::kTemplate, {}, Orders(), quoted).value)["s"],
            "svc a\"b");
}

TEST(LayoutTemplate, CheckNamesTheProblem) {
  EXPECT_TRUE(CheckTemplate("${prefix}${service}/${address}", false).ok());
  EXPECT_NE(CheckTemplate("${prefix}${nope}", false).message().find("unknown field ${nope}"),
            std::string::npos);
  EXPECT_NE(CheckTemplate("${prefix}${service", false).message().find("unclosed"),
            std::string::npos);
  EXPECT_FALSE(CheckTemplate(R"({"a":"${address}")", true).ok());  // not JSON
  EXPECT_FALSE(CheckTemplate(R"({"a":${address}})", true).ok());   // unquoted field
  EXPECT_FALSE(CheckTemplate(R"({"a":"${nope?}"})", true).ok());
  EXPECT_TRUE(CheckTemplate(R"({"a":"${address}","w":"${weight?}"})", true).ok());
}

// Issue 22: the time in a json value is the registration's, so a new owner
// (or a restarted one) finds it in the value and renders the same bytes.
TEST(RegisteredAtOf, RecoversTheTimeAValueWasRenderedWith) {
  const ServiceRegistration s = Service(ValueFormat::kJson);
  const std::string value = Only(ValueFormat::kJson).value;
  auto at = RegisteredAtOf(Orders(), s, {}, ValueFormat::kJson, value);
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(*at, At2026());
  // Another weight: not this registration's value, nothing to keep.
  EXPECT_FALSE(RegisteredAtOf(Orders(7), s, {}, ValueFormat::kJson, value).has_value());
  // A layout without a time has none.
  EXPECT_FALSE(RegisteredAtOf(Orders(), Service(ValueFormat::kPlain), {}, ValueFormat::kPlain,
                              "10.0.0.5:8080")
                   .has_value());
}

TEST(ToTxnBatches, KeepsTheKeysOfOneTargetInOneTxn) {
  Plan plan;
  for (int i = 0; i < 100; ++i) {
    const std::string t = "t" + std::to_string(1000 + i);
    plan.puts.emplace_back("/a/" + t, "v");
    plan.puts.emplace_back("/b/" + t, "v");
    plan.puts.emplace_back("/c/" + t, "v");
    for (const char* p : {"/a/", "/b/", "/c/"}) plan.units[p + t] = t;
  }
  std::sort(plan.puts.begin(), plan.puts.end());
  auto batches = ToTxnBatches(plan, 1, 128);
  ASSERT_EQ(batches.size(), 3u);  // 42 + 42 + 16 targets, three keys each
  std::map<std::string, size_t> batch_of;
  for (size_t b = 0; b < batches.size(); ++b) {
    EXPECT_LE(batches[b].size(), 128u);
    for (const auto& op : batches[b]) {
      const std::string t = op.key.substr(3);
      auto [it, added] = batch_of.emplace(t, b);
      EXPECT_EQ(it->second, b) << t << " split across Txns";
    }
  }
  EXPECT_EQ(batch_of.size(), 100u);
}

}  // namespace
}  // namespace registrar::controller
