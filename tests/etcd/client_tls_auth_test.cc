// TLS (CA, client certificates, server name override) and username/password
// auth against a real etcd.
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/etcd/test_util.h"

namespace registrar::etcd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A put, a range, a lease with a keepalive and a watch all go through.
void ExpectEveryKindOfCallWorks(Client& client) {
  ValueOrDie(client.Put("/t/a", "v"));
  EXPECT_EQ(ValueOrDie(client.Range("/t/a", {})).kvs.size(), 1u);
  Lease lease = ValueOrDie(client.LeaseGrant(10));
  std::unique_ptr<KeepAliveStream> keepalive = ValueOrDie(client.OpenKeepAlive(lease.id));
  EXPECT_EQ(ValueOrDie(keepalive->KeepAliveOnce()), 10);
  std::unique_ptr<WatchStream> watch = ValueOrDie(client.OpenWatch({.key = "/t/a"}));
  ValueOrDie(client.Delete("/t/a"));
  EXPECT_EQ(ValueOrDie(watch->Next(seconds(5))).events.size(), 1u);
}

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() : server_({.tls = true, .client_cert_auth = true}) {}
  void SetUp() override { ASSERT_TRUE(server_.Start().ok()) << server_.log(); }

  TlsConfig FullTls() const {
    return {.ca_file = server_.ca_file(),
            .cert_file = server_.cert_file(),
            .key_file = server_.key_file()};
  }

  testing::EtcdServer server_;
};

TEST_F(TlsTest, ClientWithCaAndClientCertificateDoesEverything) {
  std::unique_ptr<Client> client = NewClient({.endpoints = {server_.url()}, .tls = FullTls()});
  ExpectEveryKindOfCallWorks(*client);
}

TEST_F(TlsTest, HttpsEndpointWithoutClientCertificateIsRefused) {
  std::unique_ptr<Client> client = NewClient({.endpoints = {server_.url()},
                                              .dial_timeout = milliseconds(500),
                                              .tls = TlsConfig{.ca_file = server_.ca_file()}});
  absl::StatusOr<int64_t> put = client->Put("/t/a", "v");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable) << put.status();
  EXPECT_NE(put.status().message().find(server_.endpoint()), std::string::npos) << put.status();
}

TEST_F(TlsTest, UntrustedServerCertificateIsRefused) {
  std::unique_ptr<Client> client =
      NewClient({.endpoints = {server_.url()},
                 .dial_timeout = milliseconds(500),
                 .tls = TlsConfig{.cert_file = server_.cert_file(),
                                  .key_file = server_.key_file()}});  // system roots only
  EXPECT_EQ(client->Put("/t/a", "v").status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(TlsTest, ServerNameOverrideDecidesWhichNameTheCertificateMustHave) {
  TlsConfig tls = FullTls();
  tls.server_name = "localhost";  // in the server certificate
  std::unique_ptr<Client> good = NewClient({.endpoints = {server_.endpoint()}, .tls = tls});
  ValueOrDie(good->Put("/t/a", "v"));

  tls.server_name = "etcd.example.com";  // not in it
  std::unique_ptr<Client> bad =
      NewClient({.endpoints = {server_.endpoint()}, .dial_timeout = milliseconds(500), .tls = tls});
  EXPECT_EQ(bad->Put("/t/a", "v").status().code(), absl::StatusCode::kUnavailable);
}

class CountingObserver final : public RequestObserver {
 public:
  void OnRequest(std::string_view op, absl::StatusCode, Duration) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (op == "authenticate") ++authentications_;
  }
  int authentications() const {
    std::lock_guard<std::mutex> lock(mu_);
    return authentications_;
  }

 private:
  mutable std::mutex mu_;
  int authentications_ = 0;
};

class AuthTest : public EtcdClientTest {
 protected:
  void SetUp() override {
    EtcdClientTest::SetUp();
    // "app" has no role, so it may authenticate but not read or write keys.
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"user", "add", "root:secret"}, {"user", "add", "app:apppw"}, {"auth", "enable"}}) {
      int code = -1;
      server_.EtcdCtl(args, &code);
      ASSERT_EQ(code, 0) << args[0] << " " << args[1];
    }
  }

  std::unique_ptr<Client> ClientAs(const std::string& user, const std::string& password) {
    return NewClient({.endpoints = {server_.endpoint()},
                      .username = user,
                      .password = password,
                      .observer = &observer_});
  }

  CountingObserver observer_;
};

TEST_F(AuthTest, WrongPasswordIsUnauthenticatedWithAClearMessage) {
  absl::StatusOr<int64_t> put = ClientAs("root", "wrong")->Put("/t/a", "v");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnauthenticated);
  const std::string message(put.status().message());
  EXPECT_NE(message.find("etcd Authenticate as root on " + server_.endpoint()), std::string::npos)
      << message;
  EXPECT_NE(message.find("wrong user name or password"), std::string::npos) << message;
}

TEST_F(AuthTest, RightPasswordAuthenticatesOnceForManyCalls) {
  std::unique_ptr<Client> client = ClientAs("root", "secret");
  ExpectEveryKindOfCallWorks(*client);
  EXPECT_EQ(observer_.authentications(), 1);
}

TEST_F(AuthTest, UserWithoutPermissionIsDenied) {
  absl::StatusOr<int64_t> put = ClientAs("app", "apppw")->Put("/t/a", "v");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kPermissionDenied) << put.status();
}

TEST_F(AuthTest, NoCredentialsOnAnAuthEnabledEtcdIsUnauthenticated) {
  absl::StatusOr<int64_t> put = client_->Put("/t/a", "v");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnauthenticated) << put.status();
}

TEST_F(AuthTest, InvalidatedTokenIsRenewedTransparently) {
  std::unique_ptr<Client> client = ClientAs("root", "secret");
  ValueOrDie(client->Put("/t/a", "v"));
  ASSERT_EQ(observer_.authentications(), 1);
  // Disabling auth drops every simple token etcd handed out.
  int code = -1;
  server_.EtcdCtl({"--user=root:secret", "auth", "disable"}, &code);
  ASSERT_EQ(code, 0);
  server_.EtcdCtl({"auth", "enable"}, &code);
  ASSERT_EQ(code, 0);

  ValueOrDie(client->Put("/t/a", "again"));
  EXPECT_EQ(observer_.authentications(), 2);
}

TEST_F(AuthTest, WatchWithAnInvalidatedTokenIsRenewedTransparently) {
  std::unique_ptr<Client> client = ClientAs("root", "secret");
  ValueOrDie(client->Put("/t/a", "v"));
  int code = -1;
  server_.EtcdCtl({"--user=root:secret", "auth", "disable"}, &code);
  ASSERT_EQ(code, 0);
  server_.EtcdCtl({"auth", "enable"}, &code);
  ASSERT_EQ(code, 0);

  std::unique_ptr<WatchStream> watch = ValueOrDie(client->OpenWatch({.key = "/t/a"}));
  EXPECT_EQ(observer_.authentications(), 2);
  ValueOrDie(client->Delete("/t/a"));
  EXPECT_EQ(ValueOrDie(watch->Next(seconds(5))).events.size(), 1u);
}

}  // namespace
}  // namespace registrar::etcd
