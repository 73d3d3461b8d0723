// The fixtures other tests rely on behave as they claim.
#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/support/etcd_server.h"
#include "tests/support/http_backend.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

TEST(EtcdServer, StartsServesAndSurvivesRestartWithItsData) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.Start().ok()) << etcd.log();
  int code = -1;
  etcd.EtcdCtl({"put", "/k", "v"}, &code);
  ASSERT_EQ(code, 0);
  EXPECT_EQ(etcd.EtcdCtl({"get", "/k", "--print-value-only"}), "v\n");
  ASSERT_TRUE(etcd.Restart().ok()) << etcd.log();
  EXPECT_EQ(etcd.EtcdCtl({"get", "/k", "--print-value-only"}), "v\n");
}

TEST(EtcdServer, ServesTlsWithGeneratedCertificates) {
  EtcdServer etcd({.tls = true, .client_cert_auth = true});
  ASSERT_TRUE(etcd.Start().ok()) << etcd.log();
  int code = -1;
  etcd.EtcdCtl({"put", "/tls", "yes"}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(etcd.url().rfind("https://", 0), 0u);
}

TEST(HttpBackend, AnswersWithTheStatusItIsTold) {
  HttpBackend backend;
  httplib::Client client("127.0.0.1", backend.port());
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  backend.SetStatus(503);
  res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(backend.hits(), 2);
}

TEST(WaitFor, ReturnsFalseWhenTheConditionNeverHolds) {
  EXPECT_FALSE(WaitFor([] { return false; }, std::chrono::milliseconds(20)));
  EXPECT_TRUE(WaitFor([] { return true; }, std::chrono::milliseconds(20)));
}

}  // namespace
}  // namespace registrar::testing
