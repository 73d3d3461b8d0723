// dnsSd against a real DNS server (dnsmasq): what records become targets, how
// each way of failing is told, and, through a Runner on the real clock, that
// a failing server leaves the last good list in place.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "sources/dns_sd.h"
#include "sources/runner.h"
#include "tests/support/dnsmasq.h"
#include "tests/support/wait.h"

namespace registrar::sources {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Dnsmasq;
using testing::WaitFor;

constexpr Duration kTimeout = seconds(1);

Endpoint Srv(const std::string& host, int port, int weight, int priority) {
  return {host, port, weight, {{"priority", std::to_string(priority)}}};
}
Endpoint At(const std::string& host, int port) { return {host, port}; }

std::string Http(const std::string& target, int port, int priority, int weight) {
  return "_http._tcp.sd.test," + target + "," + std::to_string(port) + "," +
         std::to_string(priority) + "," + std::to_string(weight);
}

Duration Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::steady_clock::now() - start;
}

class DnsSdTest : public ::testing::Test {
 protected:
  void Serve(Dnsmasq::Records records) {
    const absl::Status started = dns_.Restart(std::move(records));
    ASSERT_TRUE(started.ok()) << started;
  }
  SourceSpec Spec(std::vector<std::string> names, DnsRecordType type = DnsRecordType::kSrv,
                  int port = 0) {
    SourceSpec spec;
    spec.kind = SourceKind::kDnsSd;
    spec.service = "billing";
    spec.refresh_interval = milliseconds(200);
    spec.max_shrink_percent = 100;
    spec.dns.names = std::move(names);
    spec.dns.type = type;
    spec.dns.port = port;
    spec.dns.servers = {dns_.server()};
    spec.dns.timeout = kTimeout;
    return spec;
  }
  Answer Fetch(const SourceSpec& spec) {
    Answer a = MakeDnsSdSource(spec)->Fetch();
    if (!a.ok()) std::cerr << "fetch: " << FailureName(a.failure) << ": " << a.error << "\n";
    return a;
  }

  Dnsmasq dns_;
};

TEST_F(DnsSdTest, SrvRecordsAreTargetsWithTheirWeightAndPriorityAndUnresolvedHosts) {
  Serve({.srv_hosts = {Http("b.sd.test", 8081, 0, 0), Http("a.sd.test", 8080, 10, 20),
                       Http("nowhere.invalid", 9000, 5, 1)}});
  const Answer a = Fetch(Spec({"_http._tcp.sd.test"}));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.endpoints,
            (std::vector<Endpoint>{Srv("a.sd.test", 8080, 20, 10), Srv("b.sd.test", 8081, 0, 0),
                                   Srv("nowhere.invalid", 9000, 1, 5)}));
}

TEST_F(DnsSdTest, ARecordsAreTargetsAtTheSpecsPort) {
  Serve({.host_records = {"web.sd.test,10.0.0.2,fd00::2", "web.sd.test,10.0.0.1"}});
  const Answer a = Fetch(Spec({"web.sd.test"}, DnsRecordType::kA, 9000));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.endpoints, (std::vector<Endpoint>{At("10.0.0.1", 9000), At("10.0.0.2", 9000)}));
}

TEST_F(DnsSdTest, AaaaRecordsAreTargetsAtTheSpecsPort) {
  Serve({.host_records = {"web.sd.test,10.0.0.2,fd00::2", "web.sd.test,fd00::1"}});
  const Answer a = Fetch(Spec({"web.sd.test"}, DnsRecordType::kAaaa, 9000));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.endpoints, (std::vector<Endpoint>{At("fd00::1", 9000), At("fd00::2", 9000)}));
  EXPECT_EQ(a.endpoints[0].Address(), "[fd00::1]:9000");
}

TEST_F(DnsSdTest, NamesAreMergedSortedAndDistinctByAddressTheFirstNameWinning) {
  Serve({.srv_hosts = {"_a._tcp.sd.test,x.sd.test,80,1,1", "_a._tcp.sd.test,y.sd.test,81,1,1",
                       "_b._tcp.sd.test,x.sd.test,80,9,9", "_b._tcp.sd.test,z.sd.test,82,1,1"}});
  const Answer ab = Fetch(Spec({"_a._tcp.sd.test", "_b._tcp.sd.test"}));
  ASSERT_TRUE(ab.ok());
  EXPECT_EQ(ab.endpoints,
            (std::vector<Endpoint>{Srv("x.sd.test", 80, 1, 1), Srv("y.sd.test", 81, 1, 1),
                                   Srv("z.sd.test", 82, 1, 1)}));
  const Answer ba = Fetch(Spec({"_b._tcp.sd.test", "_a._tcp.sd.test"}));
  ASSERT_TRUE(ba.ok());
  EXPECT_EQ(ba.endpoints,
            (std::vector<Endpoint>{Srv("x.sd.test", 80, 9, 9), Srv("y.sd.test", 81, 1, 1),
                                   Srv("z.sd.test", 82, 1, 1)}));
}

TEST_F(DnsSdTest, TheNextFetchFollowsRecordsAddedAndRemoved) {
  Serve({.srv_hosts = {Http("a.sd.test", 80, 0, 1), Http("b.sd.test", 80, 0, 1)}});
  const auto source = MakeDnsSdSource(Spec({"_http._tcp.sd.test"}));
  Answer a = source->Fetch();
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_EQ(a.endpoints,
            (std::vector<Endpoint>{Srv("a.sd.test", 80, 1, 0), Srv("b.sd.test", 80, 1, 0)}));
  Serve({.srv_hosts = {Http("b.sd.test", 80, 0, 1), Http("c.sd.test", 80, 0, 1)}});
  a = source->Fetch();
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_EQ(a.endpoints,
            (std::vector<Endpoint>{Srv("b.sd.test", 80, 1, 0), Srv("c.sd.test", 80, 1, 0)}));
}

TEST_F(DnsSdTest, TtlIsTheSmallestAmongTheRecordsOfAllNames) {
  Serve({.srv_hosts = {Http("a.sd.test", 80, 0, 0)},
         .host_records = {"one.sd.test,10.0.0.1", "two.sd.test,10.0.0.2,17"},
         .local_ttl = 42});
  Answer a = Fetch(Spec({"_http._tcp.sd.test"}));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.ttl, seconds(42));
  a = Fetch(Spec({"one.sd.test"}, DnsRecordType::kA, 80));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.ttl, seconds(42));
  a = Fetch(Spec({"one.sd.test", "two.sd.test"}, DnsRecordType::kA, 80));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.ttl, seconds(17));
}

TEST_F(DnsSdTest, AHundredSrvRecordsComeWholeOverTcp) {
  Dnsmasq::Records records;
  for (int i = 0; i < 100; ++i)
    records.srv_hosts.push_back(Http("h" + std::to_string(i) + ".sd.test", 1000 + i, 1, 5));
  Serve(records);
  const Answer a = Fetch(Spec({"_http._tcp.sd.test"}));
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a.endpoints.size(), 100u);  // a UDP answer holds about 15
  EXPECT_EQ(a.endpoints.front(), Srv("h0.sd.test", 1000, 5, 1));
}

TEST_F(DnsSdTest, NamesWithoutRecordsListNothingWithoutFailing) {
  Serve({.srv_hosts = {Http("a.sd.test", 80, 0, 0)}, .host_records = {"web.sd.test,10.0.0.1"}});
  Answer a = Fetch(Spec({"nothing.sd.test"}));  // NXDOMAIN
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a.endpoints.empty());
  EXPECT_FALSE(a.ttl.has_value());
  a = Fetch(Spec({"web.sd.test"}));  // NODATA: an A record, no SRV
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a.endpoints.empty());
  a = Fetch(Spec({"nothing.sd.test", "_http._tcp.sd.test"}));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.endpoints, (std::vector<Endpoint>{Srv("a.sd.test", 80, 0, 0)}));
}

TEST_F(DnsSdTest, ServFailForOneNameFailsTheWholeRefresh) {
  Serve({.srv_hosts = {Http("a.sd.test", 80, 0, 0)}});
  const Answer a = Fetch(Spec({"_http._tcp.sd.test", "_http._tcp.fail.test"}));
  EXPECT_EQ(a.failure, Failure::kServFail);
  EXPECT_NE(a.error.find("_http._tcp.fail.test"), std::string::npos) << a.error;
  EXPECT_TRUE(a.endpoints.empty());
}

TEST_F(DnsSdTest, RefusedIsAServerFailure) {
  Serve({.srv_hosts = {Http("a.sd.test", 80, 0, 0)}});
  const Answer a = Fetch(Spec({"_http._tcp.elsewhere.test"}));
  EXPECT_EQ(a.failure, Failure::kServFail);
}

TEST_F(DnsSdTest, AKilledServerFailsWithinTheTimeout) {
  Serve({.srv_hosts = {Http("a.sd.test", 80, 0, 0)}});
  dns_.Kill();
  const auto start = std::chrono::steady_clock::now();
  const Answer a = Fetch(Spec({"_http._tcp.sd.test"}));
  EXPECT_TRUE(a.failure == Failure::kConnect || a.failure == Failure::kTimeout)
      << FailureName(a.failure);
  EXPECT_LT(Since(start), kTimeout + milliseconds(500));
}

TEST_F(DnsSdTest, APausedServerTimesOutAtTheTimeout) {
  Serve({.srv_hosts = {Http("a.sd.test", 80, 0, 0)}});
  dns_.Pause();
  const auto start = std::chrono::steady_clock::now();
  const Answer a = Fetch(Spec({"_http._tcp.sd.test", "_b._tcp.sd.test"}));
  const Duration took = Since(start);
  dns_.Resume();
  EXPECT_EQ(a.failure, Failure::kTimeout);
  EXPECT_GE(took, kTimeout - milliseconds(100));
  EXPECT_LT(took, kTimeout + milliseconds(500));  // both names within the one timeout
}

TEST_F(DnsSdTest, CancelEndsAFetchFromAPausedServerQuickly) {
  Serve({.srv_hosts = {Http("a.sd.test", 80, 0, 0)}});
  dns_.Pause();
  SourceSpec spec = Spec({"_http._tcp.sd.test"});
  spec.dns.timeout = seconds(20);
  const auto source = MakeDnsSdSource(spec);
  std::atomic<bool> started{false}, done{false};
  Answer answer;
  std::thread fetch([&] {
    started.store(true);
    answer = source->Fetch();
    done.store(true);
  });
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  std::this_thread::sleep_for(milliseconds(300));  // into the wait for an answer
  ASSERT_FALSE(done.load());
  const auto cancelled = std::chrono::steady_clock::now();
  source->Cancel();
  const bool ended = WaitFor([&] { return done.load(); }, seconds(5));
  const Duration took = Since(cancelled);
  fetch.join();
  dns_.Resume();
  ASSERT_TRUE(ended);
  EXPECT_LT(took, milliseconds(400));
  EXPECT_FALSE(answer.ok());
}

// Through the runner, on the real clock.
class DnsSdRunnerTest : public DnsSdTest {
 protected:
  std::vector<Endpoint> Listed() {
    const auto listed = runner_.Endpoints();
    return listed.empty() ? std::vector<Endpoint>{} : listed[0].endpoints;
  }
  uint64_t Failures(const char* reason) {
    const auto states = runner_.States();
    if (states.empty()) return 0;
    auto it = states[0].failures.find(reason);
    return it == states[0].failures.end() ? 0 : it->second;
  }

  Runner runner_{RealClock(), [] {}};
};

TEST_F(DnsSdRunnerTest, TargetsFollowTheRecordsAndTheTtlIsShown) {
  Serve({.srv_hosts = {Http("a.sd.test", 80, 0, 0)}, .local_ttl = 1});
  runner_.SetSpecs({Spec({"_http._tcp.sd.test"})});
  EXPECT_EQ(Listed(), (std::vector<Endpoint>{Srv("a.sd.test", 80, 0, 0)}));
  EXPECT_EQ(runner_.States()[0].ttl, seconds(1));
  Serve({.srv_hosts = {Http("b.sd.test", 81, 2, 3)}, .local_ttl = 1});
  EXPECT_TRUE(
      WaitFor([&] { return Listed() == std::vector<Endpoint>{Srv("b.sd.test", 81, 3, 2)}; }));
}

TEST_F(DnsSdRunnerTest, AServFailKeepsTheLastGoodList) {
  Serve({.srv_hosts = {Http("a.sd.test", 80, 0, 0)}});
  runner_.SetSpecs({Spec({"_http._tcp.sd.test"})});
  const std::vector<Endpoint> good = {Srv("a.sd.test", 80, 0, 0)};
  ASSERT_EQ(Listed(), good);
  Serve({.servfail_all = true});
  ASSERT_TRUE(WaitFor([&] { return Failures("servfail") >= 2; })) << dns_.log();
  EXPECT_EQ(Listed(), good);
}

TEST_F(DnsSdRunnerTest, AKilledServerKeepsTheLastGoodListUntilItAnswersAgain) {
  Serve({.srv_hosts = {Http("a.sd.test", 80, 0, 0)}});
  runner_.SetSpecs({Spec({"_http._tcp.sd.test"})});
  const std::vector<Endpoint> good = {Srv("a.sd.test", 80, 0, 0)};
  ASSERT_EQ(Listed(), good);
  dns_.Kill();
  ASSERT_TRUE(WaitFor([&] { return Failures("connect") + Failures("timeout") >= 2; }));
  EXPECT_EQ(Listed(), good);
  Serve({.srv_hosts = {Http("b.sd.test", 80, 0, 0)}});
  EXPECT_TRUE(
      WaitFor([&] { return Listed() == std::vector<Endpoint>{Srv("b.sd.test", 80, 0, 0)}; }));
}

}  // namespace
}  // namespace registrar::sources
