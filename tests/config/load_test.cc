// Loading whole configs: defaults, merging, endpoints files, secrets, overrides.
#include <gtest/gtest.h>

#include <sstream>

#include "config/config.h"
#include "tests/support/temp_dir.h"

namespace registrar::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::TempDir;
using testing::WriteFile;

std::string Messages(const LoadResult& result) {
  std::string out;
  for (const ConfigError& e : result.errors) out += e.ToString() + "\n";
  return out;
}

// The example from the issue, with files that exist.
std::string IssueExample(const TempDir& dir) {
  WriteFile(dir.File("etcd-password"), "s3cret\n");
  WriteFile(dir.File("billing.txt"), "# billing hosts\n10.0.0.1:9000\n\n  [::1]:9001  # local\n");
  return R"(etcd:
  endpoints: ["127.0.0.1:2379", "https://10.0.0.5:2379"]
  dialTimeout: 5s
  username: registrar
  passwordFile: etcd-password
registration:
  prefix: /services/
  leaseTTL: 10s
  format: plain
server:
  listen: 127.0.0.1:9464
log: {level: info, format: text}
defaults:
  periodSeconds: 10
services:
  - name: orders
    format: json
    metadata: {version: v1}
    probe:
      httpGet: {path: /healthz, scheme: HTTP, httpHeaders: [{name: Host, value: orders.local}]}
      timeoutSeconds: 1
      failureThreshold: 3
    endpoints: ["127.0.0.1:8080", "127.0.0.2:8080"]
  - name: billing
    endpointsFile: billing.txt
    probe: {tcpSocket: {}}
)";
}

TEST(LoadConfig, ReadsTheIssueExample) {
  TempDir dir;
  WriteFile(dir.File("config.yaml"), IssueExample(dir));
  absl::StatusOr<Config> config = LoadConfig(dir.File("config.yaml"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->source_path, dir.File("config.yaml"));
  EXPECT_EQ(config->etcd.endpoints,
            (std::vector<std::string>{"127.0.0.1:2379", "https://10.0.0.5:2379"}));
  EXPECT_EQ(config->etcd.username, "registrar");
  EXPECT_EQ(config->etcd.password, "s3cret");
  EXPECT_EQ(config->etcd.password_file, dir.File("etcd-password"));
  EXPECT_EQ(config->registration.lease_ttl, seconds(10));
  EXPECT_EQ(config->server.host, "127.0.0.1");
  EXPECT_EQ(config->server.port, 9464);
  ASSERT_EQ(config->services.size(), 2u);

  const ServiceConfig& orders = config->services[0];
  EXPECT_EQ(orders.registration.service, "orders");
  EXPECT_EQ(orders.registration.format, controller::ValueFormat::kJson);
  EXPECT_EQ(orders.registration.metadata.at("version"), "v1");
  EXPECT_EQ(orders.probe.kind, probes::ProbeKind::kHttpGet);
  EXPECT_EQ(orders.probe.http_get.path, "/healthz");
  EXPECT_EQ(orders.probe.http_get.http_headers,
            (std::vector<probes::HttpHeader>{{"Host", "orders.local"}}));

  const ServiceConfig& billing = config->services[1];
  EXPECT_EQ(billing.registration.format, controller::ValueFormat::kPlain);
  EXPECT_EQ(billing.endpoints_file, dir.File("billing.txt"));
  EXPECT_EQ(billing.probe.kind, probes::ProbeKind::kTcpSocket);

  std::vector<std::string> ids;
  for (const probes::Target& t : config->Targets()) ids.push_back(t.Id());
  EXPECT_EQ(ids, (std::vector<std::string>{"orders/127.0.0.1:8080", "orders/127.0.0.2:8080",
                                           "billing/10.0.0.1:9000", "billing/[::1]:9001"}));
  EXPECT_EQ(config->Targets()[3].host, "::1");
  EXPECT_EQ(config->WatchedFiles(),
            (std::vector<std::string>{dir.File("config.yaml"), dir.File("billing.txt")}));
}

// Found by fuzz_config under AddressSanitizer: reading a mapping's keys kept
// a reference into a temporary (stack-use-after-scope); the ASan build of
// this suite catches a return of it.
TEST(LoadConfig, ReadsMappingsWithAliasedValuesWithoutCrashing) {
  LoadResult r = ParseConfig("a: &x [1,2]\nb: *x\nservices: [{name: x, endpoints: [*x]}]\n",
                             "alias.yaml", "/");
  EXPECT_FALSE(r.config.has_value());
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].ToString().find("alias.yaml"), std::string::npos);
}

TEST(LoadConfig, NeverPutsThePasswordInTheSummary) {
  TempDir dir;
  WriteFile(dir.File("config.yaml"), IssueExample(dir));
  absl::StatusOr<Config> config = LoadConfig(dir.File("config.yaml"));
  ASSERT_TRUE(config.ok()) << config.status();
  std::string summary = Summary(*config);
  EXPECT_EQ(summary.find("s3cret"), std::string::npos) << summary;
  EXPECT_NE(summary.find("orders: 2 endpoints"), std::string::npos) << summary;
}

TEST(LoadConfig, UsesKubeletProbeDefaults) {
  LoadResult r = ParseConfig(
      "etcd: {endpoints: [\"a:1\"]}\nservices:\n"
      "  - {name: s, probe: {httpGet: {}}, endpoints: [\"a:1\"]}\n",
      "c.yaml", "/");
  ASSERT_TRUE(r.config) << Messages(r);
  const probes::ProbeSpec& p = r.config->services[0].probe;
  EXPECT_EQ(p.period, seconds(10));
  EXPECT_EQ(p.timeout, seconds(1));
  EXPECT_EQ(p.success_threshold, 1);
  EXPECT_EQ(p.failure_threshold, 3);
  EXPECT_EQ(p.initial_delay, seconds(0));
  EXPECT_EQ(p.http_get.path, "/");
  EXPECT_EQ(p.http_get.scheme, "HTTP");
  EXPECT_EQ(r.config->registration.prefix, "/services/");
  EXPECT_EQ(r.config->registration.lease_ttl, seconds(10));
  EXPECT_EQ(r.config->server.listen, ":9464");
  EXPECT_EQ(r.config->server.host, "0.0.0.0");
  EXPECT_EQ(r.config->log.level, "info");
}

// kubelet accepts any timeout with any period (both >= 1 s): a probe never
// overlaps itself. Every such combination loads, in a probe and in defaults.
TEST(LoadConfig, AcceptsEveryTimingKubeletAccepts) {
  for (const std::string probe : {"periodSeconds: 1", "timeoutSeconds: 5, periodSeconds: 2",
                                  "timeoutSeconds: 2, periodSeconds: 2", "timeoutSeconds: 20"}) {
    for (const bool in_defaults : {false, true}) {
      const std::string yaml =
          "etcd: {endpoints: [\"a:1\"]}\n" +
          (in_defaults
               ? "defaults: {" + probe + "}\nservices:\n  - {name: s, probe: {httpGet: {}}, "
               : "services:\n  - {name: s, probe: {httpGet: {}, " + probe + "}, ") +
          "endpoints: [\"a:1\"]}\n";
      LoadResult r = ParseConfig(yaml, "c.yaml", "/");
      EXPECT_TRUE(r.config) << yaml << Messages(r);
    }
  }
}

// A readinessProbe copied from a Kubernetes manifest, as it is there.
TEST(LoadConfig, AProbeBlockFromAKubernetesManifestLoadsUnchanged) {
  LoadResult r = ParseConfig(R"(etcd: {endpoints: ["a:1"]}
services:
  - name: web
    endpoints: ["10.0.0.5:8080"]
    probe:
      httpGet:
        path: /healthz
        port: 8080
        scheme: HTTP
        httpHeaders:
        - name: X-Probe
          value: registrar
      initialDelaySeconds: 3
      periodSeconds: 2
      timeoutSeconds: 5
      successThreshold: 1
      failureThreshold: 3
      terminationGracePeriodSeconds: 30
)",
                             "c.yaml", "/");
  ASSERT_TRUE(r.config) << Messages(r);
  const probes::ProbeSpec& p = r.config->services[0].probe;
  EXPECT_EQ(p.period, seconds(2));
  EXPECT_EQ(p.timeout, seconds(5));
  EXPECT_EQ(p.initial_delay, seconds(3));
  EXPECT_EQ(p.http_get.path, "/healthz");
}

TEST(LoadConfig, MergesDefaultsUnderEachServiceProbe) {
  LoadResult r = ParseConfig(R"(etcd: {endpoints: ["a:1"]}
defaults:
  periodSeconds: 2.5
  timeoutSeconds: 0.5
  failureThreshold: 5
  httpGet: {path: /ready, httpHeaders: [{name: X-Probe, value: "1"}]}
services:
  - name: inherits
    endpoints: ["a:1"]
  - name: overrides
    probe: {failureThreshold: 1, httpGet: {port: 9000}}
    endpoints: ["a:1"]
  - name: tcp
    probe: {tcpSocket: {port: 22}}
    endpoints: ["a:1"]
)",
                             "c.yaml", "/");
  ASSERT_TRUE(r.config) << Messages(r);
  const auto& s = r.config->services;
  EXPECT_EQ(s[0].probe.period, milliseconds(2500));
  EXPECT_EQ(s[0].probe.timeout, milliseconds(500));
  EXPECT_EQ(s[0].probe.failure_threshold, 5);
  EXPECT_EQ(s[0].probe.kind, probes::ProbeKind::kHttpGet);
  EXPECT_EQ(s[0].probe.http_get.path, "/ready");

  EXPECT_EQ(s[1].probe.failure_threshold, 1);
  EXPECT_EQ(s[1].probe.period, milliseconds(2500));
  EXPECT_EQ(s[1].probe.http_get.path, "/ready");  // defaults' httpGet fields stay
  EXPECT_EQ(s[1].probe.http_get.port, 9000);
  EXPECT_EQ(s[1].probe.http_get.http_headers.size(), 1u);

  EXPECT_EQ(s[2].probe.kind, probes::ProbeKind::kTcpSocket);
  EXPECT_EQ(s[2].probe.tcp_socket.port, 22);
  EXPECT_EQ(s[2].probe.failure_threshold, 5);
}

TEST(LoadConfig, ReadsEveryHttpGetField) {
  TempDir dir;
  WriteFile(dir.File("ca.pem"), "x");
  LoadResult r = ParseConfig(R"(etcd: {endpoints: ["a:1"]}
services:
  - name: s
    endpoints: ["a:1"]
    probe:
      initialDelaySeconds: 3
      reuseConnections: false
      successThreshold: 2
      httpGet:
        scheme: HTTPS
        host: example.com
        port: 8443
        path: /h?x=1
        method: HEAD
        expectedStatuses: [204, "200-299"]
        bodyRegex: "ok"
        bodyNotRegex: "fail|error"
        maxBodyBytes: 1024
        followRedirects: true
        maxRedirects: 2
        tls: {caFile: ca.pem, serverName: example.com, insecureSkipVerify: true}
)",
                             "c.yaml", dir.path());
  ASSERT_TRUE(r.config) << Messages(r);
  const probes::ProbeSpec& p = r.config->services[0].probe;
  EXPECT_EQ(p.initial_delay, seconds(3));
  EXPECT_FALSE(p.reuse_connections);
  EXPECT_EQ(p.success_threshold, 2);
  const probes::HttpGetAction& h = p.http_get;
  EXPECT_EQ(h.scheme, "HTTPS");
  EXPECT_EQ(h.host, "example.com");
  EXPECT_EQ(h.port, 8443);
  EXPECT_EQ(h.path, "/h?x=1");
  EXPECT_EQ(h.method, "HEAD");
  EXPECT_EQ(h.expected_statuses, (std::vector<probes::StatusRange>{{204, 204}, {200, 299}}));
  EXPECT_EQ(h.body_regex, "ok");
  EXPECT_EQ(h.body_not_regex, "fail|error");
  EXPECT_EQ(h.max_body_bytes, 1024);
  EXPECT_TRUE(h.follow_redirects);
  EXPECT_EQ(h.max_redirects, 2);
  EXPECT_EQ(h.tls.ca_file, dir.File("ca.pem"));
  EXPECT_EQ(h.tls.server_name, "example.com");
  EXPECT_TRUE(h.tls.insecure_skip_verify);
}

TEST(LoadConfig, ReadsGrpcTlsSocketAndMinCertValidity) {
  TempDir dir;
  WriteFile(dir.File("ca.pem"), "x");
  LoadResult r = ParseConfig(R"(etcd: {endpoints: ["a:1"]}
defaults:
  minCertValidity: 168h
services:
  - name: plain-grpc
    endpoints: ["a:1"]
    probe: {grpc: {port: 9090, service: orders.v1.Orders}}
  - name: tls-grpc
    endpoints: ["a:1"]
    probe: {grpc: {tls: {caFile: ca.pem, serverName: orders.internal}, authority: orders:443}}
  - name: tls-grpc-defaults
    endpoints: ["a:1"]
    probe: {grpc: {tls: {}}}
  - name: tls
    endpoints: ["a:1"]
    probe:
      tlsSocket: {host: 10.0.0.9, port: 443, tls: {insecureSkipVerify: true}}
      minCertValidity: 24h
)",
                             "c.yaml", dir.path());
  ASSERT_TRUE(r.config) << Messages(r);
  const auto& s = r.config->services;
  EXPECT_EQ(s[0].probe.kind, probes::ProbeKind::kGrpc);
  EXPECT_EQ(s[0].probe.grpc.port, 9090);
  EXPECT_EQ(s[0].probe.grpc.service, "orders.v1.Orders");
  EXPECT_FALSE(s[0].probe.grpc.tls);
  EXPECT_EQ(s[0].probe.min_cert_validity, std::chrono::hours(168));
  EXPECT_TRUE(s[1].probe.grpc.tls);
  EXPECT_EQ(s[1].probe.grpc.tls_options.ca_file, dir.File("ca.pem"));
  EXPECT_EQ(s[1].probe.grpc.tls_options.server_name, "orders.internal");
  EXPECT_EQ(s[1].probe.grpc.authority, "orders:443");
  EXPECT_TRUE(s[2].probe.grpc.tls);
  EXPECT_EQ(s[3].probe.kind, probes::ProbeKind::kTlsSocket);
  EXPECT_EQ(s[3].probe.tls_socket.host, "10.0.0.9");
  EXPECT_EQ(s[3].probe.tls_socket.port, 443);
  EXPECT_TRUE(s[3].probe.tls_socket.tls.insecure_skip_verify);
  EXPECT_EQ(s[3].probe.min_cert_validity, std::chrono::hours(24));
}

TEST(LoadConfig, ReportsEndpointsFileErrorsAtTheirLineInThatFile) {
  TempDir dir;
  WriteFile(dir.File("hosts.txt"), "10.0.0.1:80\n  bogus\n10.0.0.1:80\n");
  LoadResult r = ParseConfig(
      "etcd: {endpoints: [\"a:1\"]}\nservices:\n"
      "  - {name: s, probe: {tcpSocket: {}}, endpointsFile: hosts.txt}\n",
      "c.yaml", dir.path());
  EXPECT_EQ(Messages(r),
            dir.File("hosts.txt") +
                ":2:3: services[0].endpointsFile: expected host:port (IPv6 as [address]:port), "
                "got \"bogus\"\n" +
                dir.File("hosts.txt") +
                ":3:1: services[0].endpointsFile: duplicate endpoint "
                "\"10.0.0.1:80\" (also at " +
                dir.File("hosts.txt") + ":1)\n");
}

TEST(LoadConfig, ReportsAMissingEndpointsFile) {
  LoadResult r = ParseConfig(
      "etcd: {endpoints: [\"a:1\"]}\nservices:\n"
      "  - {name: s, probe: {tcpSocket: {}}, endpointsFile: /nonexistent/h.txt}\n",
      "c.yaml", "/");
  EXPECT_EQ(Messages(r),
            "c.yaml:3:54: services[0].endpointsFile: cannot read \"/nonexistent/h.txt\": No such "
            "file or directory\n");
}

TEST(LoadConfig, ReportsAnUnreadableConfigFile) {
  LoadResult r = LoadConfigDetailed("/nonexistent/config.yaml");
  EXPECT_EQ(Messages(r), "cannot read \"/nonexistent/config.yaml\": No such file or directory\n");
  absl::StatusOr<Config> config = LoadConfig("/nonexistent/config.yaml");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LoadConfig, AnEmptyFileNeedsEtcdEndpoints) {
  LoadResult r = ParseConfig("", "c.yaml", "/");
  EXPECT_EQ(Messages(r),
            "c.yaml:1:1: etcd.endpoints: missing required field (or set --etcd-endpoints / "
            "REGISTRAR_ETCD_ENDPOINTS)\n");
  Overrides o;
  o.etcd_endpoints = OverrideValue{"127.0.0.1:2379", "--etcd-endpoints"};
  r = ParseConfig("", "c.yaml", "/", o);
  ASSERT_TRUE(r.config) << Messages(r);
  EXPECT_TRUE(r.config->services.empty());
}

TEST(Overrides, ReplaceTheFileValues) {
  Overrides o;
  o.etcd_endpoints = OverrideValue{"10.0.0.1:2379, https://10.0.0.2:2379", "--etcd-endpoints"};
  o.listen = OverrideValue{"[::1]:9999", "--listen"};
  o.prefix = OverrideValue{"/other/", "--prefix"};
  o.lease_ttl = OverrideValue{"30s", "REGISTRAR_LEASE_TTL"};
  o.log_level = OverrideValue{"debug", "--log-level"};
  o.log_format = OverrideValue{"json", "--log-format"};
  o.dry_run = true;
  LoadResult r = ParseConfig(
      "etcd: {endpoints: [\"a:1\"]}\nregistration: {prefix: /p/, leaseTTL: 5s}\n"
      "server: {listen: \":1\"}\nlog: {level: warn, format: text}\n",
      "c.yaml", "/", o);
  ASSERT_TRUE(r.config) << Messages(r);
  EXPECT_EQ(r.config->etcd.endpoints,
            (std::vector<std::string>{"10.0.0.1:2379", "https://10.0.0.2:2379"}));
  EXPECT_EQ(r.config->server.host, "::1");
  EXPECT_EQ(r.config->server.port, 9999);
  EXPECT_EQ(r.config->registration.prefix, "/other/");
  EXPECT_EQ(r.config->registration.lease_ttl, seconds(30));
  EXPECT_EQ(r.config->log.level, "debug");
  EXPECT_EQ(r.config->log.format, "json");
  EXPECT_TRUE(r.config->registration.dry_run);
}

TEST(Overrides, AreValidatedAndNamedByTheirSource) {
  Overrides o;
  o.etcd_endpoints = OverrideValue{"nope", "REGISTRAR_ETCD_ENDPOINTS"};
  o.listen = OverrideValue{"9464", "--listen"};
  o.prefix = OverrideValue{"services", "--prefix"};
  o.lease_ttl = OverrideValue{"1s", "--lease-ttl"};
  o.log_level = OverrideValue{"loud", "REGISTRAR_LOG_LEVEL"};
  o.log_format = OverrideValue{"xml", "--log-format"};
  LoadResult r = ParseConfig("etcd: {endpoints: [\"a:1\"]}\nlog: {level: bad}\n", "c.yaml", "/", o);
  // The same checks as the file's values, in the file's section order; the
  // file's own (replaced) log level has no effect, so it is only a warning.
  EXPECT_EQ(Messages(r),
            "REGISTRAR_ETCD_ENDPOINTS: expected host:port or http(s)://host:port, got \"nope\"\n"
            "--prefix: expected a key prefix that starts and ends with \"/\", got \"services\"\n"
            "--lease-ttl: expected at least 2s (etcd silently raises shorter lease TTLs), got 1s\n"
            "--listen: expected [host]:port (host may be empty), got \"9464\"\n"
            "REGISTRAR_LOG_LEVEL: expected trace, debug, info, warn or error, got \"loud\"\n"
            "--log-format: expected text or json, got \"xml\"\n");
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].ToString(),
            "c.yaml:1:19: etcd.endpoints: replaced by REGISTRAR_ETCD_ENDPOINTS");
  EXPECT_EQ(r.warnings[1].ToString(), "c.yaml:2:14: log.level: replaced by REGISTRAR_LOG_LEVEL");
}

TEST(Overrides, PassEveryCheckTheFileValuesPass) {
  Overrides o;
  o.etcd_endpoints = OverrideValue{" , ", "--etcd-endpoints"};
  o.lease_ttl = OverrideValue{"2500ms", "--lease-ttl"};
  o.log_level = OverrideValue{"", "--log-level"};
  LoadResult r = ParseConfig("", "c.yaml", "/", o);
  EXPECT_EQ(Messages(r),
            "--etcd-endpoints: expected at least one endpoint\n"
            "--lease-ttl: expected whole seconds (etcd lease TTLs are in seconds), got 2500ms\n"
            "--log-level: expected trace, debug, info, warn or error, got \"\"\n");
}

// log.* is not applied by a reload (the logger is set up once at start), so
// a changed level is named too.
TEST(ChangesNeedingRestart, NamesEtcdListenAndLogChangesOnly) {
  const std::string base = "etcd: {endpoints: [\"a:1\"]}\n";
  LoadResult a = ParseConfig(base, "c.yaml", "/");
  LoadResult b = ParseConfig(
      "etcd: {endpoints: [\"b:1\"]}\nserver: {listen: \":1\"}\nlog: {level: debug}\n"
      "services: [{name: s, probe: {tcpSocket: {}}, endpoints: [\"a:1\"]}]\n",
      "c.yaml", "/");
  ASSERT_TRUE(a.config && b.config) << Messages(a) << Messages(b);
  EXPECT_EQ(ChangesNeedingRestart(*a.config, *b.config),
            (std::vector<std::string>{"etcd.endpoints", "server.listen", "log.level"}));
  EXPECT_TRUE(ChangesNeedingRestart(*a.config, *a.config).empty());
}

TEST(LoadConfig, WarnsAboutSettingsThatHaveNoEffect) {
  LoadResult r = ParseConfig(R"(etcd: {endpoints: ["a:1"]}
services:
  - name: plain
    metadata: {version: v1}
    dnsDomain: example.com
    probe: {httpGet: {tls: {insecureSkipVerify: true}}}
    endpoints: ["a:1"]
  - name: used
    format: json
    metadata: {version: v1}
    probe: {httpGet: {scheme: HTTPS, tls: {insecureSkipVerify: true}}}
    endpoints: ["a:1"]
)",
                             "c.yaml", "/");
  ASSERT_TRUE(r.config) << Messages(r);
  std::vector<std::string> warnings;
  for (const ConfigError& w : r.warnings) warnings.push_back(w.ToString());
  EXPECT_EQ(warnings,
            (std::vector<std::string>{
                "c.yaml:4:15: services[0].metadata: ignored: format plain has no metadata (use "
                "json, grpc-naming or a framework layout)",
                "c.yaml:5:16: services[0].dnsDomain: ignored: only format skydns uses it, not "
                "plain",
                "c.yaml:6:12: services[0].probe.httpGet.tls: ignored: scheme is HTTP (set scheme: "
                "HTTPS to use TLS)"}));
}

TEST(RunCheckConfig, PrintsASummaryAndExitsZeroWhenValid) {
  TempDir dir;
  WriteFile(dir.File("config.yaml"), IssueExample(dir));
  std::ostringstream out, err;
  EXPECT_EQ(RunCheckConfig(dir.File("config.yaml"), {}, out, err), 0);
  EXPECT_EQ(err.str(), "");
  EXPECT_NE(out.str().find(": valid\n"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("services: 2, endpoints: 4\n"), std::string::npos) << out.str();
}

TEST(RunCheckConfig, PrintsEveryErrorAndExitsTwoWhenInvalid) {
  TempDir dir;
  WriteFile(dir.File("config.yaml"), "etcd: {endpoints: [x]}\nlog: {level: loud}\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunCheckConfig(dir.File("config.yaml"), {}, out, err), 2);
  EXPECT_EQ(out.str(), "");
  std::string file = dir.File("config.yaml");
  EXPECT_EQ(err.str(), file +
                           ":1:20: etcd.endpoints[0]: expected host:port or http(s)://host:port, "
                           "got \"x\"\n" +
                           file +
                           ":2:14: log.level: expected trace, debug, info, warn or error, "
                           "got \"loud\"\n" +
                           file + ": 2 errors\n");
}

// probes.dnsMinTTL is handed to the prober (ProberOptions::dns_min_ttl), so
// a 0-TTL name is not resolved on every probe; absent: 5s.
TEST(ProbesBlock, DnsMinTTLIsReadAndDefaultsToFiveSeconds) {
  const std::string base = "etcd: {endpoints: [\"a:1\"]}\n";
  LoadResult absent = ParseConfig(base, "c.yaml", "/");
  LoadResult set = ParseConfig(base + "probes: {dnsMinTTL: 1m30s}\n", "c.yaml", "/");
  LoadResult zero = ParseConfig(base + "probes: {dnsMinTTL: 0s}\n", "c.yaml", "/");
  ASSERT_TRUE(absent.config && set.config) << Messages(absent) << Messages(set);
  EXPECT_EQ(absent.config->probes.dns_min_ttl, seconds(5));
  EXPECT_EQ(set.config->probes.dns_min_ttl, seconds(90));
  EXPECT_FALSE(zero.config.has_value());
  EXPECT_EQ(Messages(zero),
            "c.yaml:2:21: probes.dnsMinTTL: expected a duration greater than 0, got \"0s\"\n");
}

// probes.dnsServers: IP literals with a port, handed to the prober
// (ProberOptions::dns_servers); a name is refused (who would resolve it?).
TEST(ProbesBlock, DnsServersAreIpAndPortAndDefaultToResolvConf) {
  const std::string base = "etcd: {endpoints: [\"a:1\"]}\n";
  LoadResult absent = ParseConfig(base, "c.yaml", "/");
  LoadResult set = ParseConfig(base + "probes: {dnsServers: [\"10.0.0.2:53\", \"[::1]:5353\"]}\n",
                               "c.yaml", "/");
  LoadResult name = ParseConfig(base + "probes: {dnsServers: [\"dns:53\"]}\n", "c.yaml", "/");
  ASSERT_TRUE(absent.config && set.config) << Messages(absent) << Messages(set);
  EXPECT_TRUE(absent.config->probes.dns_servers.empty());
  EXPECT_EQ(set.config->probes.dns_servers,
            (std::vector<std::string>{"10.0.0.2:53", "[::1]:5353"}));
  EXPECT_FALSE(name.config.has_value());
  EXPECT_EQ(Messages(name),
            "c.yaml:2:23: probes.dnsServers[0]: expected an IP address and port "
            "(\"10.0.0.2:53\", \"[::1]:53\"), got \"dns:53\"\n");
}

}  // namespace
}  // namespace registrar::config
