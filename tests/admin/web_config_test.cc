// TLS and basic auth on the admin port from an exporter-toolkit web config,
// checked with the real clients operators use: curl and Prometheus. Also
// the config parser's errors and a reload that keeps the old config.
#include <crypt.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "admin/web_config.h"
#include "metrics/metrics.h"
#include "tests/metrics/test_util.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::admin {
namespace {

using registrar::testing::ReadFile;
using registrar::testing::RunCommand;
using registrar::testing::TempDir;
using registrar::testing::WaitFor;
using registrar::testing::WriteFile;

// bcrypt at cost 5 (fast for tests; the format is what users write).
std::string Bcrypt(const std::string& password) {
  crypt_data data{};
  const char* out = crypt_r(password.c_str(), "$2b$05$abcdefghijklmnopqrstuu", &data);
  return out != nullptr ? out : "";
}

void OpenSsl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  int code = -1;
  RunCommand(argv, &code, std::chrono::seconds(60));
  ASSERT_EQ(code, 0) << "openssl " << args[0];
}

// A CA, a server certificate for 127.0.0.1 signed by it, a client
// certificate signed by it and a self-signed client certificate.
class Pki {
 public:
  Pki() {
    const auto f = [&](const char* name) { return dir_.File(name); };
    OpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "2", "-subj", "/CN=test-ca"});
    for (const char* who : {"server", "client"}) {
      const std::string key = f(who) + std::string(".key"), csr = f(who) + std::string(".csr");
      OpenSsl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
               key, "-out", csr, "-subj", std::string("/CN=") + who});
      WriteFile(f("ext.cnf"), std::string(who) == std::string("server")
                                  ? "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                                  : "extendedKeyUsage=clientAuth\n");
      OpenSsl({"x509", "-req", "-in", csr, "-CA", f("ca.crt"), "-CAkey", f("ca.key"),
               "-CAcreateserial", "-days", "2", "-extfile", f("ext.cnf"), "-out",
               f(who) + std::string(".crt")});
    }
    OpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f("rogue.key"), "-out", f("rogue.crt"), "-days", "2", "-subj",
             "/CN=rogue"});
  }
  std::string File(const std::string& name) const { return dir_.File(name); }
  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
};

struct Curl {
  int status = 0;  // HTTP status, 0 if none
  int exit_code = -1;
  std::string headers;
};

// curl -s -o /dev/null -D - -w '%{http_code}' with `args`.
Curl RunCurl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl", "-s", "-m",        "20", "-D",
                                   "-",    "-o", "/dev/null", "-w", "\n%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  Curl c;
  const std::string out = RunCommand(argv, &c.exit_code, std::chrono::seconds(40));
  const size_t nl = out.rfind('\n');
  c.headers = out.substr(0, nl == std::string::npos ? 0 : nl);
  c.status = std::atoi(out.substr(nl == std::string::npos ? 0 : nl + 1).c_str());
  return c;
}

class WebConfigTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& yaml) {
    WriteFile(pki_.File("web.yml"), yaml);
    auto web = LoadWebConfig(pki_.File("web.yml"));
    ASSERT_TRUE(web.ok()) << web.status();
    auto metrics = metrics::Metrics::Create({});
    ASSERT_TRUE(metrics.ok());
    metrics_ = std::move(*metrics);
    status_.SetReady({true, ""});
    AdminServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.collectables = metrics_->Collectables();
    options.web_config = *web;
    auto server = AdminServer::Start(options, status_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::string Url(const std::string& path, const char* scheme = "https") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  // The counter sample of reason `reason`, scraped with `auth`.
  double Rejected(const std::string& reason, const std::vector<std::string>& auth) {
    std::vector<std::string> argv = {"curl", "-s", "-m", "20", "--cacert", pki_.File("ca.crt")};
    argv.insert(argv.end(), auth.begin(), auth.end());
    argv.push_back(Url("/metrics"));
    const std::string text = RunCommand(argv);
    return metrics::testing::Sample(text, "registrar_admin_rejected_requests_total",
                                    {{"reason", reason}})
        .value_or(-1);
  }

  Pki pki_;
  metrics::testing::FakeStatus status_;
  std::unique_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(WebConfigTest, TlsWithBasicAuthAnswersCurlRightAndCountsRefusals) {
  StartServer(
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
      "basic_auth_users:\n  alice: " +
      Bcrypt("s3cret") + "\n");
  const std::string ca = pki_.File("ca.crt");
  const std::vector<std::string> alice = {"-u", "alice:s3cret"};

  Curl ok = RunCurl({"--cacert", ca, "-u", "alice:s3cret", Url("/metrics")});
  EXPECT_EQ(ok.status, 200) << ok.headers;
  Curl wrong = RunCurl({"--cacert", ca, "-u", "alice:wrong", Url("/metrics")});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.headers.find("WWW-Authenticate: Basic realm=\"etcd-registrar\""),
            std::string::npos)
      << wrong.headers;
  EXPECT_EQ(RunCurl({"--cacert", ca, "-u", "mallory:s3cret", Url("/")}).status, 401);
  EXPECT_EQ(RunCurl({"--cacert", ca, Url("/api/v1/targets")}).status, 401);
  // Open for the kubelet by default.
  EXPECT_EQ(RunCurl({"--cacert", ca, Url("/healthz")}).status, 200);
  EXPECT_EQ(RunCurl({"--cacert", ca, Url("/readyz")}).status, 200);

  // Plain HTTP to the TLS port: the 400 Go servers give, not a hang or reset.
  int code = -1;
  const std::string plain =
      RunCommand({"curl", "-s", "-m", "20", "-i", Url("/metrics", "http")}, &code);
  EXPECT_NE(plain.find("400 Bad Request"), std::string::npos) << plain;
  EXPECT_NE(plain.find("Client sent an HTTP request to an HTTPS server."), std::string::npos);

  EXPECT_EQ(Rejected("unauthorized", alice), 3);
  EXPECT_EQ(Rejected("plain_http", alice), 1);
  // The server never accepts a protocol below TLS 1.2.
  EXPECT_NE(
      RunCurl({"--cacert", ca, "--tls-max", "1.1", "-u", "alice:s3cret", Url("/metrics")}).status,
      200);
}

TEST_F(WebConfigTest, ClosedHealthEndpointsNeedAuthToo) {
  StartServer("basic_auth_users:\n  alice: " + Bcrypt("pw") + "\nopen_health_endpoints: false\n");
  EXPECT_EQ(RunCurl({Url("/healthz", "http")}).status, 401);
  EXPECT_EQ(RunCurl({"-u", "alice:pw", Url("/healthz", "http")}).status, 200);
}

TEST_F(WebConfigTest, RequireAndVerifyClientCertRefusesMissingAndUntrustedCertificates) {
  StartServer(
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
      "  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n"
      "  min_version: TLS13\n");
  const std::string ca = pki_.File("ca.crt");
  const std::vector<std::string> good = {"--cert", pki_.File("client.crt"), "--key",
                                         pki_.File("client.key")};
  Curl ok = RunCurl({"--cacert", ca, "--cert", pki_.File("client.crt"), "--key",
                     pki_.File("client.key"), Url("/metrics")});
  EXPECT_EQ(ok.status, 200) << ok.headers;
  EXPECT_EQ(RunCurl({"--cacert", ca, Url("/metrics")}).status, 403);
  EXPECT_EQ(RunCurl({"--cacert", ca, "--cert", pki_.File("rogue.crt"), "--key",
                     pki_.File("rogue.key"), Url("/metrics")})
                .status,
            403);
  // min_version TLS13: a TLS 1.2 client gets no answer.
  EXPECT_EQ(RunCurl({"--cacert", ca, "--tls-max", "1.2", "--cert", pki_.File("client.crt"), "--key",
                     pki_.File("client.key"), Url("/metrics")})
                .status,
            0);
  EXPECT_EQ(Rejected("client_cert", good), 2);
}

TEST_F(WebConfigTest, PrometheusScrapesOverTlsWithBasicAuth) {
  StartServer(
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
      "basic_auth_users:\n  prometheus: " +
      Bcrypt("scrape-pw") + "\n");
  registrar::testing::PrometheusServer::Options options;
  options.targets.push_back({.job = "registrar",
                             .address = "127.0.0.1:" + std::to_string(server_->port()),
                             .tls_ca_file = pki_.File("ca.crt"),
                             .basic_auth_user = "prometheus",
                             .basic_auth_password = "scrape-pw"});
  options.targets.push_back({.job = "wrong-password",
                             .address = "127.0.0.1:" + std::to_string(server_->port()),
                             .tls_ca_file = pki_.File("ca.crt"),
                             .basic_auth_user = "prometheus",
                             .basic_auth_password = "nope"});
  registrar::testing::PrometheusServer prometheus(options);
  ASSERT_TRUE(prometheus.Start().ok());
  const auto up = [&](const std::string& job) {
    auto samples = prometheus.Query("up{job=\"" + job + "\"}");
    return samples.ok() && samples->size() == 1 ? (*samples)[0].value : -1.0;
  };
  EXPECT_TRUE(WaitFor([&] { return up("registrar") == 1; }, std::chrono::seconds(60)));
  EXPECT_TRUE(WaitFor(
      [&] {
        auto s = prometheus.Query("registrar_build_info{job=\"registrar\"}");
        return s.ok() && !s->empty();
      },
      std::chrono::seconds(60)));
  EXPECT_TRUE(WaitFor([&] { return up("wrong-password") == 0; }, std::chrono::seconds(60)));
}

TEST_F(WebConfigTest, AReloadWithABadWebConfigKeepsTheOldOne) {
  StartServer(
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
      "basic_auth_users:\n  alice: " +
      Bcrypt("pw1") + "\n");
  const std::string ca = pki_.File("ca.crt");
  // A key GnuTLS cannot load: refused, the old server keeps serving.
  WebConfig broken = *LoadWebConfig(pki_.File("web.yml"));
  broken.key_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  EXPECT_FALSE(server_->SetWebConfig(broken).ok());
  EXPECT_EQ(RunCurl({"--cacert", ca, "-u", "alice:pw1", Url("/metrics")}).status, 200);

  // A good new one: new password, and back to plain HTTP, on the same port.
  WebConfig next;
  next.users["alice"] = Bcrypt("pw2");
  ASSERT_TRUE(server_->SetWebConfig(next).ok());
  EXPECT_EQ(RunCurl({"-u", "alice:pw1", Url("/metrics", "http")}).status, 401);
  EXPECT_EQ(RunCurl({"-u", "alice:pw2", Url("/metrics", "http")}).status, 200);
}

TEST(WebConfigParse, ErrorsNameTheFileAndLine) {
  TempDir dir;
  auto parse = [&](const std::string& yaml) {
    return ParseWebConfig(yaml, dir.path(), "web.yml").status();
  };
  EXPECT_TRUE(parse("").ok());
  absl::Status unknown = parse("basic_auth_users: {}\ntls_srever_config: {}\n");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("web.yml:2: unknown field \"tls_srever_config\""),
            std::string::npos)
      << unknown;
  absl::Status hash = parse("basic_auth_users:\n  alice: plaintext\n");
  EXPECT_NE(hash.message().find("web.yml:2: basic_auth_users: alice: expected a bcrypt hash"),
            std::string::npos)
      << hash;
  EXPECT_NE(parse("tls_server_config:\n  cert_file: a.crt\n").message().find("go together"),
            std::string::npos);
  EXPECT_NE(parse("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n")
                .message()
                .find("cannot read"),
            std::string::npos);
  EXPECT_NE(parse("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Maybe\n")
                .message()
                .find("client_auth_type"),
            std::string::npos);
  EXPECT_NE(parse("enable_drain_api: perhaps\n").message().find("expected true or false"),
            std::string::npos);
  // A stray flow entry that yaml-cpp's document loop never consumes.
  EXPECT_NE(parse("{open_health_endpoints: true}\n,\n").message().find("web.yml:2: unexpected ','"),
            std::string::npos);
  EXPECT_NE(parse("enable_drain_api: true\n---\nenable_drain_api: false\n")
                .message()
                .find("web.yml:2: expected one YAML document"),
            std::string::npos);
  (void)ReadFile;
}

}  // namespace
}  // namespace registrar::admin
