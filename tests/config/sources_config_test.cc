// A service's sources as the config reads them, and how what they list joins
// the configured targets (TargetsWithSources).
#include <gtest/gtest.h>

#include "config/config.h"

namespace registrar::config {
namespace {

Config Parse(const std::string& services) {
  LoadResult r = ParseConfig(
      "etcd:\n  endpoints: [\"127.0.0.1:2379\"]\nprobes:\n  dnsServers: [\"127.0.0.1:5353\"]\n" +
          services,
      "config.yaml", "/etc/registrar");
  EXPECT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].ToString());
  return r.config.value_or(Config{});
}

TEST(SourcesConfig, EachKindIsReadWithItsDefaults) {
  Config c = Parse(
      "services:\n  - name: web\n    probe: {tcpSocket: {}}\n"
      "    dnsSd: {names: [_http._tcp.web.example.]}\n"
      "    fileSd: {files: [inventory/*.json], serviceLabel: svc}\n"
      "    httpSd: {url: \"http://127.0.0.1:1/sd\", maxShrinkPercent: 100}\n");
  const std::vector<sources::SourceSpec> specs = c.SourceSpecs();
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs[0].kind, sources::SourceKind::kDnsSd);
  EXPECT_EQ(specs[0].dns.names, std::vector<std::string>{"_http._tcp.web.example"});
  EXPECT_EQ(specs[0].dns.servers, std::vector<std::string>{"127.0.0.1:5353"});
  EXPECT_EQ(specs[0].refresh_interval, std::chrono::seconds(30));
  EXPECT_EQ(specs[1].file.files, std::vector<std::string>{"/etc/registrar/inventory/*.json"});
  EXPECT_EQ(specs[1].service_label, "svc");
  EXPECT_EQ(specs[1].refresh_interval, std::chrono::minutes(5));
  EXPECT_EQ(specs[2].http.url, "http://127.0.0.1:1/sd");
  EXPECT_EQ(specs[2].max_shrink_percent, 100);
  EXPECT_EQ(specs[2].refresh_interval, std::chrono::minutes(1));
  for (const auto& s : specs) EXPECT_EQ(s.service, "web");
}

TEST(SourcesConfig, ATargetFoundTwiceIsOneTargetFromTheFirstPlace) {
  Config c = Parse(
      "services:\n  - name: web\n    probe: {tcpSocket: {}}\n"
      "    endpoints: [\"10.0.0.1:80\"]\n"
      "    dnsSd: {names: [a.example], type: A, port: 80}\n"
      "    httpSd: {url: \"http://127.0.0.1:1/sd\"}\n"
      "  - name: api\n    probe: {tcpSocket: {}}\n"
      "    dnsSd: {names: [a.example], type: A, port: 80}\n");
  const std::vector<sources::SourceSpec> specs = c.SourceSpecs();
  ASSERT_EQ(specs.size(), 3u);
  std::vector<sources::Runner::Listed> listed = {
      {specs[0], {{"10.0.0.1", 80}, {"10.0.0.2", 80, 5, {{"priority", "1"}}}}},
      {specs[1], {{"10.0.0.2", 80}, {"10.0.0.3", 80}}},
      {specs[2], {{"10.0.0.1", 80}}},
  };
  const std::vector<probes::Target> targets = TargetsWithSources(c, listed);
  ASSERT_EQ(targets.size(), 4u);
  EXPECT_EQ(targets[0].Id(), "web/10.0.0.1:80");
  EXPECT_EQ(targets[0].source, "endpoints");
  EXPECT_FALSE(targets[0].dynamic);
  EXPECT_EQ(targets[1].Id(), "web/10.0.0.2:80");
  EXPECT_EQ(targets[1].source, "dnsSd a.example A :80");
  EXPECT_TRUE(targets[1].dynamic);
  EXPECT_EQ(targets[1].weight, 5);
  EXPECT_EQ(targets[1].metadata.at("priority"), "1");
  EXPECT_EQ(targets[1].probe, c.services[0].probe);
  EXPECT_EQ(targets[2].Id(), "web/10.0.0.3:80");
  EXPECT_EQ(targets[2].source, "httpSd http://127.0.0.1:1/sd");
  // Another service's source feeds only that service.
  EXPECT_EQ(targets[3].Id(), "api/10.0.0.1:80");
  EXPECT_TRUE(targets[3].dynamic);
}

TEST(SourcesConfig, ASourceAloneIsEnoughForAService) {
  Config c = Parse(
      "services:\n  - name: web\n    probe: {tcpSocket: {}}\n"
      "    fileSd: {files: [/etc/inventory/web.yaml]}\n");
  EXPECT_TRUE(c.services.at(0).targets.empty());
  EXPECT_EQ(c.SourceSpecs().size(), 1u);
}

TEST(SourcesConfig, TheNameHidesUserInfo) {
  sources::SourceSpec spec;
  spec.kind = sources::SourceKind::kHttpSd;
  spec.http.url = "https://user:secret@cmdb.example/sd?x=1";
  EXPECT_EQ(spec.Name(), "httpSd https://cmdb.example/sd?x=1");
}

}  // namespace
}  // namespace registrar::config
