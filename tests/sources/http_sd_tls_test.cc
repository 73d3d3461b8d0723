// httpSd over https against a cpp-httplib TLS server with certificates made
// in the test: the CA file, server_name (verified while connecting to the
// URL's host) and insecure_skip_verify.
#include <httplib.h>

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "sources/http_sd.h"
#include "tests/probes/test_certs.h"
#include "tests/support/temp_dir.h"

namespace registrar::sources {
namespace {

using registrar::testing::TempDir;

class HttpSdTlsTest : public ::testing::Test {
 protected:
  // An https inventory whose certificate names `dns_names` and `ips`.
  void Serve(std::vector<std::string> dns_names, std::vector<std::string> ips) {
    ca_.WriteCert(dir_.File("ca.pem"));
    probes::testing::LeafSpec leaf;
    leaf.dns_names = std::move(dns_names);
    leaf.ip_addresses = std::move(ips);
    ca_.Issue(leaf, dir_.File("leaf.pem"), dir_.File("leaf.key"));
    server_ = std::make_unique<httplib::SSLServer>(dir_.File("leaf.pem").c_str(),
                                                   dir_.File("leaf.key").c_str());
    ASSERT_TRUE(server_->is_valid());
    server_->Get("/targets", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      host_ = req.get_header_value("Host");
      res.set_content(R"([{"targets": ["a:1"]}])", "application/json");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  SourceSpec Spec() const {
    SourceSpec spec;
    spec.kind = SourceKind::kHttpSd;
    spec.service = "billing";
    spec.http.url = "https://127.0.0.1:" + std::to_string(port_) + "/targets";
    spec.http.timeout = std::chrono::seconds(5);
    return spec;
  }
  std::string host() {
    std::lock_guard lock(mu_);
    return host_;
  }

  TempDir dir_;
  probes::testing::TestCa ca_;
  std::unique_ptr<httplib::SSLServer> server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string host_;  // guarded by mu_: of the last request
};

TEST_F(HttpSdTlsTest, TrustsTheServerThroughTheCaFile) {
  Serve({"localhost"}, {"127.0.0.1"});
  SourceSpec spec = Spec();
  const Answer untrusted = MakeHttpSdSource(spec)->Fetch();  // the system's CAs
  EXPECT_EQ(untrusted.failure, Failure::kTls) << untrusted.error;
  spec.http.ca_file = dir_.File("ca.pem");
  const Answer a = MakeHttpSdSource(spec)->Fetch();
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_EQ(a.endpoints.size(), 1u);
}

TEST_F(HttpSdTlsTest, ServerNameIsVerifiedWhileConnectingToTheUrlsHost) {
  Serve({"inventory.internal"}, {});
  SourceSpec spec = Spec();
  spec.http.ca_file = dir_.File("ca.pem");
  const Answer mismatch = MakeHttpSdSource(spec)->Fetch();
  EXPECT_EQ(mismatch.failure, Failure::kTls) << mismatch.error;
  spec.http.server_name = "inventory.internal";
  const Answer a = MakeHttpSdSource(spec)->Fetch();
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_EQ(host(), "127.0.0.1:" + std::to_string(port_));  // the URL's, as without server_name
}

TEST_F(HttpSdTlsTest, InsecureSkipVerifyTrustsAnyCertificate) {
  Serve({"elsewhere.internal"}, {});
  SourceSpec spec = Spec();
  spec.http.insecure_skip_verify = true;
  const Answer a = MakeHttpSdSource(spec)->Fetch();
  EXPECT_TRUE(a.ok()) << a.error;
}

}  // namespace
}  // namespace registrar::sources
