// Fenced writes against a real etcd: a Txn written under a membership view
// passes only while the writer is still the member it joined as and no member
// joined after the view was computed.
#include <gtest/gtest.h>

#include "controller/membership.h"
#include "controller/txn_writer.h"
#include "etcd/client.h"
#include "tests/controller/test_client.h"
#include "tests/support/etcd_server.h"
#include "tests/support/wait.h"

namespace registrar::controller {
namespace {

using std::chrono::seconds;
using testing::WaitFor;

class FenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.Start().ok()) << etcd_.log();
    auto client = testing::ConnectTestClient(etcd_);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  std::unique_ptr<Membership> Join(const std::string& id) {
    MembershipOptions m;
    m.members_prefix = "/etcd-registrar/test/members/";
    m.member_id = id;
    m.session_ttl_seconds = 2;
    auto membership = std::make_unique<Membership>(*client_, RealClock(), random_, m, nullptr);
    membership->Start();
    EXPECT_TRUE(WaitFor([&] { return membership->View().joined; }));
    return membership;
  }

  WriteResult Write(const Membership& m, const MembershipView& view, const std::string& key) {
    Plan plan;
    plan.puts.emplace_back(key, "v");
    return WritePlan(*client_, plan, 0, m.Fence(view), nullptr);
  }

  testing::EtcdServer etcd_;
  std::unique_ptr<etcd::Client> client_;
  SystemRandom random_{7};
};

TEST_F(FenceTest, AWriteWithACurrentViewPasses) {
  auto a = Join("a");
  const WriteResult w = Write(*a, a->View(), "/services/x");
  EXPECT_TRUE(w.status.ok()) << w.status;
  EXPECT_FALSE(w.fenced);
  EXPECT_EQ(w.done.puts.size(), 1u);
}

TEST_F(FenceTest, AWriteWithAViewOlderThanAJoinIsFenced) {
  auto a = Join("a");
  const MembershipView stale = a->View();
  auto b = Join("b");
  const WriteResult w = Write(*a, stale, "/services/x");
  EXPECT_TRUE(w.fenced);
  EXPECT_TRUE(w.done.empty());
  ASSERT_TRUE(WaitFor([&] { return a->View().members.size() == 2; }));
  EXPECT_FALSE(Write(*a, a->View(), "/services/x").fenced);  // the new view passes
}

TEST_F(FenceTest, AMemberWhoseSessionEndedCannotWriteWithItsOldMembership) {
  auto a = Join("a");
  const MembershipView before = a->View();
  // Our member key goes (as when the session expires during a pause) and the
  // member joins again: the old membership's writes are refused.
  client_->Delete(a->SelfKey()).IgnoreError();
  ASSERT_TRUE(WaitFor([&] {
    const MembershipView v = a->View();
    return v.joined && v.self_create_revision != before.self_create_revision;
  }));
  EXPECT_TRUE(Write(*a, before, "/services/x").fenced);
  EXPECT_FALSE(Write(*a, a->View(), "/services/x").fenced);
}

}  // namespace
}  // namespace registrar::controller
