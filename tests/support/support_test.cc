// The fixtures other tests rely on behave as they claim.
#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/support/etcd_cluster.h"
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

TEST(EtcdCluster, ElectsALeaderAndSurvivesKillPauseAndRestartOfMembers) {
  EtcdCluster cluster;
  ASSERT_TRUE(cluster.Start().ok()) << cluster.log(0);
  ASSERT_EQ(cluster.endpoints().size(), 3u);
  absl::StatusOr<int> leader = cluster.Leader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  const int follower = (*leader + 1) % 3;
  EXPECT_EQ(cluster.MemberOf(cluster.endpoint(follower)), follower);
  int code = -1;
  cluster.EtcdCtl(follower, {"put", "/k", "v"}, &code);
  ASSERT_EQ(code, 0);

  // kill -9 of the leader: the other two elect a new one and keep serving.
  cluster.Kill(*leader);
  EXPECT_FALSE(cluster.Running(*leader));
  absl::StatusOr<int> next = cluster.Leader();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_NE(*next, *leader);
  EXPECT_EQ(cluster.EtcdCtl(follower, {"get", "/k", "--print-value-only"}), "v\n");

  // A paused member answers nothing; resumed, it serves again.
  const int paused = (*next + 1) % 3 == *leader ? (*next + 2) % 3 : (*next + 1) % 3;
  ASSERT_TRUE(cluster.Restart(*leader).ok()) << cluster.log(*leader);
  cluster.Pause(paused);
  cluster.EtcdCtl(paused, {"get", "/k", "--command-timeout=1s"}, &code);
  EXPECT_NE(code, 0);
  cluster.Resume(paused);
  ASSERT_TRUE(cluster.WaitHealthy().ok());
  EXPECT_EQ(cluster.EtcdCtl(*leader, {"get", "/k", "--print-value-only"}), "v\n");
  EXPECT_EQ(cluster.EtcdCtl(paused, {"get", "/k", "--print-value-only"}), "v\n");
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
