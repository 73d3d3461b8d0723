// The etcd-registrar binary with targets from DNS: a real dnsmasq on loopback
// answers SRV records whose hosts it also resolves (for the prober, through
// probes.dnsServers). Keys follow the records; a refresh that fails keeps
// them; an answer that loses most targets is held until the next refresh
// confirms it. Two replicas reading different answers never own one target
// twice, and agree once the answers do.
#include <gtest/gtest.h>

#include <httplib.h>

#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cluster/ownership.h"
#include "tests/controller/binary_fixture.h"
#include "tests/support/dnsmasq.h"
#include "tests/support/http_backend.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kSrvName[] = "_http._tcp.web.sd.test";
constexpr int kBackends = 10;

class RegistrarSources : public RegistrarBinaryTest {
 protected:
  void SetUp() override {
    RegistrarBinaryTest::SetUp();
    for (int i = 0; i < kBackends; ++i) backends_.push_back(std::make_unique<HttpBackend>());
  }

  // "b<i>.sd.test": the host the SRV record of backend i names (with
  // `literal_`, "127.0.0.1": probes then need no DNS).
  std::string Host(int i) const {
    return literal_ ? "127.0.0.1" : "b" + std::to_string(i) + ".sd.test";
  }
  std::string Address(int i) const { return Host(i) + ":" + std::to_string(backends_[i]->port()); }

  // SRV records for the backends in `which`; every backend's host resolves.
  Dnsmasq::Records Records(const std::set<int>& which) const {
    Dnsmasq::Records r;
    r.local_ttl = 1;
    for (int i = 0; i < kBackends; ++i) {
      if (!literal_) r.host_records.push_back(Host(i) + ",127.0.0.1");
      if (which.contains(i)) {
        r.srv_hosts.push_back(std::string(kSrvName) + "," + Host(i) + "," +
                              std::to_string(backends_[i]->port()) + ",0,10");
      }
    }
    return r;
  }

  std::unique_ptr<Process> StartRegistrar(const std::string& name, const Dnsmasq& dns,
                                          int admin_port, const std::string& refresh = "1s") {
    const std::string path = dir_.File(name + ".yaml");
    {
      std::ofstream config(path);
      config << "etcd:\n  endpoints: [\"" << etcd_.endpoint() << "\"]\n"
             << "registration:\n  prefix: /services/\n  leaseTTL: 5s\n"
             << "server:\n  listen: 127.0.0.1:" << admin_port << "\n"
             << "probes:\n  dnsServers: [\"" << dns.server() << "\"]\n  dnsMinTTL: 1s\n"
             << "defaults:\n  periodSeconds: 1\n  timeoutSeconds: 0.5\n"
             << "services:\n  - name: web\n    probe:\n      httpGet: {path: /healthz}\n"
             << "    dnsSd: {names: [" << kSrvName << "], refreshInterval: " << refresh
             << ", timeout: 1s}\n";
    }
    auto p = Process::Start({REGISTRAR_BINARY, "--config", path, "--member-id", name},
                            dir_.File(name + ".log"));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }

  // /api/v1/targets of the registrar on `port` (null: no answer).
  static nlohmann::json Api(int port) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(1);
    client.set_read_timeout(2);
    auto res = client.Get("/api/v1/targets");
    if (!res || res->status != 200) return nullptr;
    return nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  }

  // Addresses of the targets the registrar on `port` probes (owns).
  static std::optional<std::set<std::string>> Owned(int port) {
    nlohmann::json api = Api(port);
    if (!api.is_object()) return std::nullopt;
    std::set<std::string> out;
    for (const auto& t : api["targets"]) out.insert(t["address"].get<std::string>());
    return out;
  }

  // Registered addresses (every key under /services/web/, plain layout).
  std::set<std::string> Registered() {
    etcd::RangeOptions options;
    options.prefix = true;
    auto r = reader_->Range("/services/web/", options);
    std::set<std::string> out;
    if (!r.ok()) return {"<etcd did not answer>"};
    for (const auto& kv : r->kvs) out.insert(kv.value);
    return out;
  }

  std::set<std::string> Addresses(const std::set<int>& which) const {
    std::set<std::string> out;
    for (int i : which) out.insert(Address(i));
    return out;
  }

  static std::set<int> Range(int from, int to) {
    std::set<int> out;
    for (int i = from; i < to; ++i) out.insert(i);
    return out;
  }

  std::vector<std::unique_ptr<HttpBackend>> backends_;
  bool literal_ = false;
  TempDir dir_;
};

TEST_F(RegistrarSources, KeysFollowTheSrvRecordsAndSayWhereTheyCameFrom) {
  Dnsmasq dns;
  ASSERT_TRUE(dns.Start(Records(Range(0, 3))).ok()) << dns.log();
  const int admin = FreePort();
  auto registrar = StartRegistrar("r1", dns, admin);
  ASSERT_NE(registrar, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Registered() == Addresses(Range(0, 3)); }, seconds(20)))
      << registrar->Log();
  nlohmann::json api = Api(admin);
  ASSERT_TRUE(api.is_object());
  EXPECT_EQ(api["targets"][0]["source"], std::string("dnsSd ") + kSrvName);
  EXPECT_EQ(api["sources"][0]["targets"], 3);
  EXPECT_EQ(api["sources"][0]["kind"], "dnsSd");

  ASSERT_TRUE(dns.Restart(Records(Range(0, 5))).ok()) << dns.log();
  EXPECT_TRUE(WaitFor([&] { return Registered() == Addresses(Range(0, 5)); }, seconds(20)))
      << registrar->Log();
  ASSERT_TRUE(dns.Restart(Records(Range(1, 5))).ok()) << dns.log();
  EXPECT_TRUE(WaitFor([&] { return Registered() == Addresses(Range(1, 5)); }, seconds(20)))
      << registrar->Log();
}

TEST_F(RegistrarSources, ADeadDnsServerKeepsEveryKey) {
  literal_ = true;  // the probes must not depend on the DNS server this test kills
  Dnsmasq dns;
  ASSERT_TRUE(dns.Start(Records(Range(0, 4))).ok()) << dns.log();
  const int admin = FreePort();
  auto registrar = StartRegistrar("r1", dns, admin);
  ASSERT_NE(registrar, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Registered() == Addresses(Range(0, 4)); }, seconds(20)))
      << registrar->Log();
  dns.Kill();
  ASSERT_TRUE(WaitFor(
      [&] {
        nlohmann::json api = Api(admin);
        return api.is_object() && api["sources"][0]["failures"].is_object() &&
               !api["sources"][0]["failures"].empty() &&
               !api["sources"][0]["last_error"].get<std::string>().empty();
      },
      seconds(20)));
  EXPECT_EQ(Api(admin)["sources"][0]["targets"], 4);
  ASSERT_TRUE(dns.Start(Records(Range(0, 4))).ok()) << dns.log();
  EXPECT_TRUE(WaitFor(
      [&] {
        nlohmann::json api = Api(admin);
        return api.is_object() && api["sources"][0]["last_error"] == "";
      },
      seconds(20)));
  EXPECT_EQ(Registered(), Addresses(Range(0, 4))) << registrar->Log();
}

TEST_F(RegistrarSources, AnAnswerLosingNinetyPercentIsHeldUntilTheNextRefreshConfirmsIt) {
  Dnsmasq dns;
  ASSERT_TRUE(dns.Start(Records(Range(0, kBackends))).ok()) << dns.log();
  const int admin = FreePort();
  auto registrar = StartRegistrar("r1", dns, admin, "2s");
  ASSERT_NE(registrar, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Registered() == Addresses(Range(0, kBackends)); }, seconds(20)))
      << registrar->Log();
  // A half-written zone for one refresh: held, then the full answer is back.
  ASSERT_TRUE(dns.Restart(Records({0})).ok()) << dns.log();
  ASSERT_TRUE(WaitFor(
      [&] {
        nlohmann::json api = Api(admin);
        return api.is_object() && api["sources"][0]["held_removals"] == kBackends - 1;
      },
      seconds(20)))
      << registrar->Log();
  EXPECT_EQ(Registered(), Addresses(Range(0, kBackends)));
  ASSERT_TRUE(dns.Restart(Records(Range(0, kBackends))).ok()) << dns.log();
  ASSERT_TRUE(WaitFor(
      [&] {
        nlohmann::json api = Api(admin);
        return api.is_object() && api["sources"][0]["held_removals"] == 0;
      },
      seconds(20)));
  EXPECT_EQ(Registered(), Addresses(Range(0, kBackends))) << registrar->Log();
  EXPECT_EQ(Api(admin)["sources"][0]["changes_held"], 1);

  // The same shrink, confirmed by the next refresh: applied.
  ASSERT_TRUE(dns.Restart(Records({0})).ok()) << dns.log();
  EXPECT_TRUE(WaitFor([&] { return Registered() == Addresses({0}); }, seconds(30)))
      << registrar->Log();
  nlohmann::json api = Api(admin);
  ASSERT_TRUE(api.is_object());
  EXPECT_EQ(api["sources"][0]["changes_held"], 2);
  EXPECT_EQ(api["sources"][0]["targets"], 1);
}

// Replicas read DNS themselves and may see different answers for a while:
// r1's server lists backends 0-5, r2's lists 3-8. Ownership depends on the
// target and the members only, so a target both see has exactly one owner,
// and no target is ever owned (probed, registered) by both.
TEST_F(RegistrarSources, TwoReplicasWithDifferentAnswersNeverOwnATargetTwice) {
  Dnsmasq dns1, dns2;
  ASSERT_TRUE(dns1.Start(Records(Range(0, 6))).ok()) << dns1.log();
  ASSERT_TRUE(dns2.Start(Records(Range(3, 9))).ok()) << dns2.log();
  const int admin1 = FreePort(), admin2 = FreePort();
  auto r1 = StartRegistrar("r1", dns1, admin1);
  auto r2 = StartRegistrar("r2", dns2, admin2);
  ASSERT_NE(r1, nullptr);
  ASSERT_NE(r2, nullptr);
  const std::set<std::string> both = Addresses(Range(3, 6));
  // Both replicas see each other and the targets both list are registered.
  ASSERT_TRUE(WaitFor(
      [&] {
        nlohmann::json a = Api(admin1);
        if (!a.is_object() || a["registration"]["members"].size() != 2) return false;
        std::set<std::string> registered = Registered();
        return std::includes(registered.begin(), registered.end(), both.begin(), both.end());
      },
      seconds(30)))
      << r1->Log() << r2->Log();
  // For a while (bounded), sample: never one target owned twice; every target
  // both see owned by exactly one.
  const MonoTime end = RealClock().Now() + seconds(6);
  int samples = 0;
  while (RealClock().Now() < end) {
    auto o1 = Owned(admin1), o2 = Owned(admin2);
    ASSERT_TRUE(o1 && o2);
    for (const std::string& t : *o1) EXPECT_FALSE(o2->contains(t)) << t << " owned twice";
    for (const std::string& t : both) {
      EXPECT_EQ(o1->contains(t) + o2->contains(t), 1) << t;
    }
    // Each replica owns exactly the targets of its own answer that the
    // members' rendezvous gives it: the rest of its list plays no part.
    for (const std::string& t : Addresses(Range(0, 6))) {
      EXPECT_EQ(o1->contains(t), controller::OwnerOf("web/" + t, {"r1", "r2"}) == "r1") << t;
    }
    for (const std::string& t : Addresses(Range(3, 9))) {
      EXPECT_EQ(o2->contains(t), controller::OwnerOf("web/" + t, {"r1", "r2"}) == "r2") << t;
    }
    for (const std::string& t : *o1) EXPECT_TRUE(Addresses(Range(0, 6)).contains(t)) << t;
    for (const std::string& t : *o2) EXPECT_TRUE(Addresses(Range(3, 9)).contains(t)) << t;
    std::set<std::string> registered = Registered();
    for (const std::string& t : both) EXPECT_TRUE(registered.contains(t)) << t << " missing";
    ++samples;
    RealClock().SleepUntil(RealClock().Now() + milliseconds(200));
  }
  EXPECT_GT(samples, 5);
  // The answers agree again: every listed target has exactly one owner and a key.
  ASSERT_TRUE(dns2.Restart(Records(Range(0, 6))).ok()) << dns2.log();
  EXPECT_TRUE(WaitFor(
      [&] {
        auto o1 = Owned(admin1), o2 = Owned(admin2);
        if (!o1 || !o2) return false;
        std::set<std::string> all = *o1;
        for (const std::string& t : *o2) {
          if (!all.insert(t).second) return false;
        }
        return all == Addresses(Range(0, 6)) && Registered() == Addresses(Range(0, 6));
      },
      seconds(30)))
      << r1->Log() << r2->Log();
}

// One http_sd answer feeds two services through a service label; check-config
// --resolve prints what the source lists; a 500 keeps every key.
TEST_F(RegistrarSources, OneHttpSdAnswerFeedsTwoServicesByTheirLabel) {
  literal_ = true;
  std::mutex mu;
  int status = 200;
  std::string body;
  auto set_answer = [&](int code, const std::set<int>& web, const std::set<int>& api) {
    nlohmann::json groups = nlohmann::json::array();
    nlohmann::json w = nlohmann::json::array(), a = nlohmann::json::array();
    for (int i : web) w.push_back(Address(i));
    for (int i : api) a.push_back(Address(i));
    groups.push_back({{"targets", w}, {"labels", {{"service", "web"}, {"zone", "a"}}}});
    groups.push_back({{"targets", a}, {"labels", {{"service", "api"}, {"weight", "7"}}}});
    std::lock_guard lock(mu);
    status = code;
    body = groups.dump();
  };
  set_answer(200, Range(0, 3), Range(3, 5));
  httplib::Server server;
  server.Get("/sd", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mu);
    res.status = status;
    res.set_content(body, "application/json");
  });
  const int sd_port = server.bind_to_any_port("127.0.0.1");
  std::thread serve([&] { server.listen_after_bind(); });
  const std::string path = dir_.File("http.yaml");
  const int admin = FreePort();
  {
    std::ofstream config(path);
    const std::string sd = "    httpSd: {url: \"http://127.0.0.1:" + std::to_string(sd_port) +
                           "/sd\", serviceLabel: service, refreshInterval: 1s, timeout: 1s}\n";
    config << "etcd:\n  endpoints: [\"" << etcd_.endpoint() << "\"]\n"
           << "registration:\n  prefix: /services/\n  leaseTTL: 5s\n"
           << "server:\n  listen: 127.0.0.1:" << admin << "\n"
           << "defaults:\n  periodSeconds: 1\n  timeoutSeconds: 0.5\n"
           << "services:\n  - name: web\n    format: json\n    probe: {tcpSocket: {}}\n"
           << sd << "  - name: api\n    format: json\n    probe: {tcpSocket: {}}\n"
           << sd;
  }
  int code = -1;
  const std::string resolved =
      RunCommand({REGISTRAR_BINARY, "check-config", "--resolve", path}, &code);
  EXPECT_EQ(code, 0) << resolved;
  EXPECT_NE(resolved.find("(service web): 3 targets"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find(Address(3) + " weight 7"), std::string::npos) << resolved;

  auto p = Process::Start({REGISTRAR_BINARY, "--config", path}, dir_.File("http.log"));
  ASSERT_TRUE(p.ok()) << p.status();
  auto keys = [&](const std::string& service) {
    etcd::RangeOptions options;
    options.prefix = true;
    auto r = reader_->Range("/services/" + service + "/", options);
    std::map<std::string, nlohmann::json> out;
    if (!r.ok()) return out;
    for (const auto& kv : r->kvs) {
      nlohmann::json v = nlohmann::json::parse(kv.value, nullptr, false);
      if (v.is_object()) out[v.value("address", std::string())] = v;
    }
    return out;
  };
  ASSERT_TRUE(
      WaitFor([&] { return keys("web").size() == 3 && keys("api").size() == 2; }, seconds(20)))
      << (*p)->Log();
  EXPECT_EQ(keys("api").at(Address(3))["weight"], 7);
  EXPECT_EQ(keys("web").at(Address(0))["metadata"]["zone"], "a");

  // `drain --config` knows the targets a source lists (it asks the source),
  // and still refuses an id nothing lists.
  std::string out = RunCommand(
      {REGISTRAR_BINARY, "drain", "--config", path, "web/" + Address(1), "--reason", "r"}, &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(WaitFor([&] { return keys("web").size() == 2; }, seconds(20))) << (*p)->Log();
  out = RunCommand(
      {"sh", "-c",
       std::string(REGISTRAR_BINARY) + " drain --config '" + path + "' web/127.0.0.1:1 2>&1"},
      &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("is not a target of"), std::string::npos) << out;
  out = RunCommand({REGISTRAR_BINARY, "undrain", "--config", path, "web/" + Address(1)}, &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(WaitFor([&] { return keys("web").size() == 3; }, seconds(20))) << (*p)->Log();

  set_answer(500, {}, {});
  ASSERT_TRUE(WaitFor(
      [&] {
        nlohmann::json api = Api(admin);
        return api.is_object() && !api["sources"][0]["last_error"].get<std::string>().empty();
      },
      seconds(20)));
  EXPECT_EQ(keys("web").size(), 3u);
  EXPECT_EQ(keys("api").size(), 2u);
  set_answer(200, Range(0, 4), Range(3, 5));
  EXPECT_TRUE(WaitFor([&] { return keys("web").size() == 4; }, seconds(20))) << (*p)->Log();
  server.stop();
  serve.join();
}

}  // namespace
}  // namespace registrar::testing
