// Fenced writes: a Txn written under a membership view passes only while the
// writer is still the member it joined as and no member joined after the view
// was computed. Each test runs against a real etcd (real time) and against
// the etcd in memory (simulated time, advanced while the test waits): the
// fence is etcd's Compare with range_end, so both must agree.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "cluster/membership.h"
#include "etcd/client.h"
#include "registration/txn_writer.h"
#include "tests/controller/test_client.h"
#include "tests/support/etcd_server.h"
#include "tests/support/memory_etcd.h"
#include "tests/support/wait.h"

namespace registrar::controller {
namespace {

using std::chrono::seconds;
using testing::WaitFor;

class FenceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "Memory") {
      memory_ = std::make_unique<testing::MemoryEtcd>(simulated_);
      return;
    }
    ASSERT_TRUE(etcd_.Start().ok()) << etcd_.log();
    auto client = testing::ConnectTestClient(etcd_);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  etcd::Client& client() { return memory_ ? *memory_ : *client_; }
  Clock& clock() { return memory_ ? static_cast<Clock&>(simulated_) : RealClock(); }
  // Waits for `done`; in simulated time, advancing the clock between checks.
  bool Eventually(const std::function<bool()>& done) {
    return WaitFor([&] {
      if (done()) return true;
      if (memory_) simulated_.Advance(std::chrono::milliseconds(10));
      return false;
    });
  }

  std::unique_ptr<Membership> Join(const std::string& id) {
    MembershipOptions m;
    m.members_prefix = "/etcd-registrar/test/members/";
    m.member_id = id;
    m.session_ttl_seconds = 2;
    auto membership = std::make_unique<Membership>(client(), clock(), random_, m, nullptr);
    membership->Start();
    EXPECT_TRUE(Eventually([&] { return membership->View().joined; }));
    return membership;
  }

  WriteResult Write(const Membership& m, const MembershipView& view, const std::string& key) {
    Plan plan;
    plan.puts.emplace_back(key, "v");
    return WritePlan(client(), plan, 0, m.Fence(view), nullptr);
  }

  testing::EtcdServer etcd_;
  std::unique_ptr<etcd::Client> client_;
  SimulatedClock simulated_;
  std::unique_ptr<testing::MemoryEtcd> memory_;
  SystemRandom random_{7};
};

TEST_P(FenceTest, AWriteWithACurrentViewPasses) {
  auto a = Join("a");
  const WriteResult w = Write(*a, a->View(), "/services/x");
  EXPECT_TRUE(w.status.ok()) << w.status;
  EXPECT_FALSE(w.fenced);
  EXPECT_EQ(w.done.puts.size(), 1u);
}

TEST_P(FenceTest, AWriteWithAViewOlderThanAJoinIsFenced) {
  auto a = Join("a");
  const MembershipView stale = a->View();
  auto b = Join("b");
  const WriteResult w = Write(*a, stale, "/services/x");
  EXPECT_TRUE(w.fenced);
  EXPECT_TRUE(w.done.empty());
  ASSERT_TRUE(Eventually([&] { return a->View().members.size() == 2; }));
  EXPECT_FALSE(Write(*a, a->View(), "/services/x").fenced);  // the new view passes
}

TEST_P(FenceTest, AMemberWhoseSessionEndedCannotWriteWithItsOldMembership) {
  auto a = Join("a");
  const MembershipView before = a->View();
  // Our member key goes (as when the session expires during a pause) and the
  // member joins again: the old membership's writes are refused.
  client().Delete(a->SelfKey()).IgnoreError();
  ASSERT_TRUE(Eventually([&] {
    const MembershipView v = a->View();
    return v.joined && v.self_create_revision != before.self_create_revision;
  }));
  EXPECT_TRUE(Write(*a, before, "/services/x").fenced);
  EXPECT_FALSE(Write(*a, a->View(), "/services/x").fenced);
}

INSTANTIATE_TEST_SUITE_P(Backends, FenceTest, ::testing::Values("Memory", "Etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace registrar::controller
