// Faults around the lease and values etcd refuses (issue: hardening).
//  - a lease revoked by hand costs exactly one regrant and one put per key;
//  - one value etcd refuses (too large) costs only its own key.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/controller/controller_fixture.h"

namespace registrar::controller {
namespace {

using std::chrono::seconds;
using testing::WaitFor;

TEST_F(ControllerTest, ALeaseRevokedByHandIsReplacedOnceWithOnePutPerKey) {
  Controller& c = MakeController();
  for (int i = 0; i < 10; ++i) c.SetHealthy(MakeTarget("web", 8000 + i), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(10) && c.Ready(); }));
  const int64_t old_lease = c.Snapshot().lease_id;
  const int64_t ops_before = observer_.txn_ops.load();
  char hex[32];
  std::snprintf(hex, sizeof(hex), "%llx", static_cast<unsigned long long>(old_lease));
  etcd_.EtcdCtl({"lease", "revoke", hex});
  ASSERT_TRUE(WaitFor([&] {
    auto keys = Keys();
    if (keys.size() != 10) return false;
    for (const auto& [k, kv] : keys) {
      if (kv.lease == old_lease || kv.lease != c.Snapshot().lease_id) return false;
    }
    return true;
  }));
  // Several keepalive rounds (TTL/3 each) later, still one loss and one regrant.
  ASSERT_FALSE(WaitFor([&] { return observer_.regrants.load() > 1; }, 2 * options_.lease_ttl));
  EXPECT_EQ(observer_.regrants.load(), 1);
  EXPECT_EQ(observer_.txn_ops.load() - ops_before, 10);  // 10 puts for 10 keys, nothing else
  EXPECT_EQ(KeyCountIs(10), true);
}

TEST_F(ControllerTest, AValueEtcdRefusesCostsOnlyItsOwnKey) {
  ServiceRegistration big;
  big.service = "big";
  big.format = ValueFormat::kJson;
  big.metadata["blob"] = std::string(2 * 1024 * 1024, 'x');  // over etcd's 1.5 MiB request limit
  ServiceRegistration web;
  web.service = "web";
  Controller& c = MakeController({big, web});
  c.SetHealthy(MakeTarget("big", 7000), true);
  for (int i = 0; i < 3; ++i) c.SetHealthy(MakeTarget("web", 8000 + i), true);
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(3, "/services/web/"); }, seconds(20)));
  EXPECT_FALSE(HasKey("/services/big/127.0.0.1:7000"));
  const auto rejected = c.Snapshot().rejected_keys;
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected.begin()->first, "/services/big/127.0.0.1:7000");
  // After a lease loss the small service is registered again; the big value
  // is not retried in a loop.
  const int64_t old_lease = c.Snapshot().lease_id;
  char hex[32];
  std::snprintf(hex, sizeof(hex), "%llx", static_cast<unsigned long long>(old_lease));
  etcd_.EtcdCtl({"lease", "revoke", hex});
  ASSERT_TRUE(WaitFor(
      [&] {
        auto keys = Keys("/services/web/");
        if (keys.size() != 3) return false;
        for (const auto& [k, kv] : keys) {
          if (kv.lease == old_lease) return false;
        }
        return true;
      },
      seconds(20)));
  EXPECT_TRUE(WaitFor([&] { return c.Ready(); }));
}

}  // namespace
}  // namespace registrar::controller
