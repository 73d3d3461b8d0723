// Every layout against a real etcd: targets turn healthy and unhealthy, are
// drained, lose their lease and change owner; at
// each step the consumer's own decoding (tests/controller/consumers.h, which
// cites its source) sees exactly the healthy, undrained targets. Several
// layouts at once: a target's keys in every layout appear and go in one
// revision, and a takeover rewrites no value.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "controller/controller.h"
#include "registration/keys.h"
#include "registration/layouts.h"
#include "tests/controller/consumers.h"
#include "tests/controller/controller_fixture.h"

namespace registrar::controller {
namespace {

using std::chrono::seconds;
using testing::WaitFor;
using Addresses = std::set<std::string>;

// A JSON template with a registration time: adoption must keep its bytes.
ServiceRegistration WithTemplate(ServiceRegistration s) {
  s.layout.key_template = "${prefix}tpl/${service}/${address}";
  s.layout.value_template = R"({"addr":"${address}","since":"${registeredAt}"})";
  s.layout.value_is_json = true;
  return s;
}

// What the consumer of `format` dials for service "orders".
Addresses ConsumerView(ValueFormat format, const consumers::Kvs& kvs,
                       const RegistrationOptions& options, bool tcp = false) {
  consumers::View view;
  const std::string p = options.prefix;
  switch (format) {
    case ValueFormat::kPlain:
      for (const auto& [k, v] : kvs) {
        if (k.starts_with(p + "orders/")) view[v] = 0;
      }
      break;
    case ValueFormat::kJson:
      for (const auto& [k, v] : kvs) {
        if (k.starts_with(p + "orders/")) view[nlohmann::json::parse(v)["address"]] = 0;
      }
      break;
    case ValueFormat::kGrpcNaming:
      view = consumers::GrpcResolver(kvs, "etcd:///" + p + "orders");
      break;
    case ValueFormat::kSkyDns:
      view = consumers::CoreDnsSrv(kvs, "/skydns/local/cluster/orders");
      break;
    case ValueFormat::kGoZero:
      view = consumers::GoZero(kvs, "orders");
      break;
    case ValueFormat::kKratos:
      view = consumers::Kratos(kvs, "orders");
      break;
    case ValueFormat::kGoMicro:
      view = consumers::GoMicro(kvs, "orders");
      break;
    case ValueFormat::kKitex:
      view = consumers::Kitex(kvs, "orders");
      break;
    case ValueFormat::kDubbo:
      view = consumers::Dubbo(kvs, "orders");
      break;
    case ValueFormat::kTraefik:
      view = consumers::Traefik(kvs, "orders", tcp);
      break;
    case ValueFormat::kTemplate:
      for (const auto& [k, v] : kvs) {
        if (k.starts_with(p + "tpl/orders/")) view[nlohmann::json::parse(v)["addr"]] = 0;
      }
      break;
  }
  Addresses out;
  for (const auto& [address, weight] : view) out.insert(address);
  return out;
}

class LayoutE2E : public ControllerTest {
 protected:
  void SetUp() override {
    ControllerTest::SetUp();
    for (int port : {8081, 8082, 8083}) targets_.push_back(MakeTarget("orders", port));
  }

  // Every key in etcd (etcd refuses an empty key: from "\0" to the end).
  static std::map<std::string, etcd::KeyValue> Everything(etcd::Client& client) {
    etcd::RangeOptions o;
    o.range_end = std::string(1, '\0');
    std::map<std::string, etcd::KeyValue> out;
    if (auto r = client.Range(std::string(1, '\0'), o); r.ok()) {
      for (auto& kv : r->kvs) out[kv.key] = kv;
    }
    return out;
  }

  consumers::Kvs All() {
    consumers::Kvs out;
    for (const auto& [k, kv] : Everything(*reader_)) out[k] = kv.value;
    return out;
  }

  // Waits until every consumer of `formats` sees exactly `want`.
  bool EveryConsumerSees(const std::vector<ValueFormat>& formats, const Addresses& want) {
    return WaitFor(
        [&] {
          const auto kvs = All();
          for (ValueFormat f : formats) {
            if (ConsumerView(f, kvs, options_) != want) return false;
          }
          return true;
        },
        seconds(15));
  }

  Addresses AllOf(std::initializer_list<int> indexes) {
    Addresses out;
    for (int i : indexes) out.insert(targets_[i].Address());
    return out;
  }

  std::vector<probes::Target> targets_;
};

class EachLayout : public LayoutE2E, public ::testing::WithParamInterface<ValueFormat> {};

TEST_P(EachLayout, TheConsumerSeesExactlyTheHealthyTargetsThroughDrainAndLeaseLoss) {
  const ValueFormat format = GetParam();
  ServiceRegistration svc = WithTemplate({.service = "orders", .format = format});
  Controller& c = MakeController({svc});
  c.SetTargets(std::make_shared<const TargetSet>(targets_));
  for (const auto& t : targets_) c.SetHealthy(t, true);
  c.Start();
  const std::vector<ValueFormat> one = {format};
  ASSERT_TRUE(EveryConsumerSees(one, AllOf({0, 1, 2}))) << ValueFormatName(format);
  c.SetHealthy(targets_[1], false);
  ASSERT_TRUE(EveryConsumerSees(one, AllOf({0, 2})));
  c.SetDrained({targets_[2].Id()});
  ASSERT_TRUE(EveryConsumerSees(one, AllOf({0})));
  c.SetDrained({});
  c.SetHealthy(targets_[1], true);
  ASSERT_TRUE(EveryConsumerSees(one, AllOf({0, 1, 2})));
  // The lease is revoked behind the registrar's back: every key goes, and
  // comes back under a new lease.
  const int64_t lease = c.Snapshot().lease_id;
  char hex[32];
  std::snprintf(hex, sizeof(hex), "%llx", static_cast<unsigned long long>(lease));
  etcd_.EtcdCtl({"lease", "revoke", hex});
  ASSERT_TRUE(WaitFor([&] { return c.Snapshot().lease_id != lease; }, seconds(15)));
  ASSERT_TRUE(EveryConsumerSees(one, AllOf({0, 1, 2})));
}

INSTANTIATE_TEST_SUITE_P(Layouts, EachLayout,
                         ::testing::Values(ValueFormat::kPlain, ValueFormat::kJson,
                                           ValueFormat::kGrpcNaming, ValueFormat::kSkyDns,
                                           ValueFormat::kGoZero, ValueFormat::kKratos,
                                           ValueFormat::kGoMicro, ValueFormat::kKitex,
                                           ValueFormat::kDubbo, ValueFormat::kTraefik,
                                           ValueFormat::kTemplate),
                         [](const auto& info) {
                           std::string name = ValueFormatName(info.param);
                           std::erase(name, '-');
                           return name;
                         });

// Every layout that can share one service (plain, json and grpc-naming write
// the same key, so one of them), with dubbo's /services/ kept apart by
// moving registration.prefix.
std::vector<ValueFormat> EightLayouts() {
  return {ValueFormat::kGrpcNaming, ValueFormat::kSkyDns,  ValueFormat::kGoZero,
          ValueFormat::kKratos,     ValueFormat::kGoMicro, ValueFormat::kKitex,
          ValueFormat::kDubbo,      ValueFormat::kTraefik, ValueFormat::kTemplate};
}

// The revisions at which each key under `prefixes` was put or deleted since
// `from`, read from watches.
class Revisions {
 public:
  Revisions(etcd::Client& client, const std::vector<std::string>& prefixes, int64_t from) {
    for (const auto& p : prefixes) {
      etcd::WatchOptions w;
      w.key = p;
      w.prefix = true;
      w.start_revision = from;
      auto s = client.OpenWatch(w);
      EXPECT_TRUE(s.ok()) << s.status();
      if (s.ok()) streams_.push_back(std::move(*s));
    }
  }
  // Drains what arrived: key → revisions of its deletes (puts when `puts`).
  void Poll(std::map<std::string, std::vector<int64_t>>& puts,
            std::map<std::string, std::vector<int64_t>>& deletes) {
    for (auto& s : streams_) {
      while (true) {
        auto r = s->Next(std::chrono::milliseconds(50));
        if (!r.ok()) break;
        for (const auto& e : r->events) {
          auto& into = e.type == etcd::WatchEvent::Type::kDelete ? deletes : puts;
          into[e.kv.key].push_back(e.kv.mod_revision);
        }
      }
    }
  }

 private:
  std::vector<std::unique_ptr<etcd::WatchStream>> streams_;
};

TEST_F(LayoutE2E, ATargetsKeysInEveryLayoutAppearAndGoInOneRevision) {
  options_.prefix = "/registry/";
  ServiceRegistration svc = WithTemplate({.service = "orders"});
  svc.formats = EightLayouts();
  svc.format = svc.formats.front();
  Controller& c = MakeController({svc});
  for (const auto& t : targets_) c.SetHealthy(t, true);
  c.Start();
  ASSERT_TRUE(EveryConsumerSees(svc.formats, AllOf({0, 1, 2})));
  const auto before = Everything(*reader_);
  int64_t revision = 0;
  for (const auto& [k, kv] : before) revision = std::max(revision, kv.mod_revision);
  Revisions watch(*reader_, ServiceDirectories(svc, options_), revision + 1);
  c.SetHealthy(targets_[1], false);
  ASSERT_TRUE(EveryConsumerSees(svc.formats, AllOf({0, 2})));
  c.SetHealthy(targets_[1], true);
  ASSERT_TRUE(EveryConsumerSees(svc.formats, AllOf({0, 1, 2})));
  std::map<std::string, std::vector<int64_t>> puts, deletes;
  ASSERT_TRUE(WaitFor([&] {
    watch.Poll(puts, deletes);
    return deletes.size() == svc.formats.size() && puts.size() == svc.formats.size();
  }));
  std::set<int64_t> delete_revisions, put_revisions;
  for (const auto& [k, revs] : deletes) delete_revisions.insert(revs.begin(), revs.end());
  for (const auto& [k, revs] : puts) put_revisions.insert(revs.begin(), revs.end());
  EXPECT_EQ(delete_revisions.size(), 1u) << "the deletes took several Txns";
  EXPECT_EQ(put_revisions.size(), 1u) << "the puts took several Txns";
  EXPECT_EQ(observer_.txns.load(), 3);  // first registration, removal, return
}

// Issue 22 part 3 with every layout: a second registrar joins and adopts
// part of the targets, then the first leaves (hand-over); the consumers never
// miss a target and no value changes (the template's registration time
// included), only leases.
TEST_F(LayoutE2E, ATakeoverKeepsEveryLayoutsValueAndNeverEmptiesAConsumersView) {
  options_.prefix = "/registry/";
  options_.cluster.session_ttl = seconds(2);
  options_.cluster.handover_timeout = seconds(10);
  ServiceRegistration svc = WithTemplate({.service = "orders"});
  svc.formats = EightLayouts();
  svc.format = svc.formats.front();
  options_.cluster.member_id = "a";
  Controller& a = MakeController({svc});
  for (const auto& t : targets_) a.SetHealthy(t, true);
  a.Start();
  const Addresses all = AllOf({0, 1, 2});
  ASSERT_TRUE(EveryConsumerSees(svc.formats, all));
  ASSERT_TRUE(WaitFor([&] { return a.Ready(); }));
  const auto before = Everything(*reader_);
  // registeredAt has second precision: B's first verdicts come a second later.
  const WallTime registered = RealClock().WallNow();
  ASSERT_TRUE(WaitFor([&] { return RealClock().WallNow() - registered > seconds(1); }));

  std::atomic<bool> stop{false};
  std::atomic<int> bad_samples{0};
  std::string first_bad;
  std::thread sampler([&] {
    auto reader = testing::ConnectTestClient(etcd_);
    while (!stop.load() && reader.ok()) {
      consumers::Kvs kvs;
      for (const auto& [k, kv] : Everything(**reader)) kvs[k] = kv.value;
      if (kvs.empty()) continue;  // a failed read
      for (ValueFormat f : svc.formats) {
        if (ConsumerView(f, kvs, options_) != all) {
          if (bad_samples++ == 0) first_bad = ValueFormatName(f);
        }
      }
    }
  });
  auto client_b = testing::ConnectTestClient(etcd_);
  ASSERT_TRUE(client_b.ok());
  RegistrationOptions options_b = options_;
  options_b.cluster.member_id = "b";
  CountingObserver observer_b;
  Controller b(**client_b, RealClock(), random_, options_b, {svc}, &observer_b, {});
  for (const auto& t : targets_) b.SetHealthy(t, true);
  b.Start();
  // A leaves: B owns everything.
  ASSERT_TRUE(WaitFor([&] { return b.Ready(); }, seconds(15)));
  a.Stop(true);
  const int64_t lease_b = b.Snapshot().lease_id;
  ASSERT_TRUE(WaitFor(
      [&] {
        size_t ours = 0;
        for (const auto& [k, kv] : Everything(*reader_)) ours += kv.lease == lease_b ? 1 : 0;
        return ours == targets_.size() * svc.formats.size();
      },
      seconds(30)));
  stop.store(true);
  sampler.join();
  EXPECT_EQ(bad_samples.load(), 0) << "a consumer missed a target, first " << first_bad;
  size_t changed = 0;
  for (const auto& [k, kv] : Everything(*reader_)) {
    auto it = before.find(k);
    if (it != before.end() && it->second.value != kv.value) {
      ++changed;
      ADD_FAILURE() << k << ": " << it->second.value << " → " << kv.value;
    }
  }
  EXPECT_EQ(changed, 0u) << "value changes on takeover";
  b.Stop(true);
}

}  // namespace
}  // namespace registrar::controller
