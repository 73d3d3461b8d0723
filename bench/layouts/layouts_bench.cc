// Layout benchmark: what a registration costs in each layout and with four
// layouts at once, against a real etcd started per run (the registrar's
// controller, healthy targets set directly: no probing). Prints figures; not
// a test.
//
// Per run: cold registration of N targets (time, Txns, operations, bytes of
// keys and values written, etcd revisions), then one target turning
// unhealthy and healthy again (Txns and revisions per change: one each, with
// any number of layouts).
//
//   layouts_bench [--n 10000]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "etcd/client.h"
#include "registration/keys.h"
#include "spdlog/spdlog.h"
#include "tests/support/etcd_server.h"
#include "tests/support/wait.h"

namespace registrar::bench {
namespace {

using controller::ValueFormat;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

class TxnCounter final : public controller::ControllerObserver {
 public:
  void OnTxn(size_t ops) override {
    ++txns;
    this->ops += static_cast<int64_t>(ops);
  }
  void OnRegisteredKeys(size_t keys) override { registered = keys; }
  std::atomic<int64_t> txns{0};
  std::atomic<int64_t> ops{0};
  // Read instead of Controller::Snapshot(), whose copy of every target's key
  // would make the benchmark measure its own polling.
  std::atomic<size_t> registered{0};
};

probes::Target TargetNumber(int i) {
  probes::Target t;
  t.service = "svc" + std::to_string(i % 10);
  t.host = "127.0." + std::to_string(1 + i / 60000) + "." + std::to_string(1 + (i / 250) % 240);
  t.port = 10000 + i % 250;
  t.weight = 1 + i % 3;
  t.metadata = {{"zone", i % 2 ? "a" : "b"}};
  return t;
}

struct Figures {
  double seconds = 0;
  int64_t txns = 0;
  int64_t ops = 0;
  int64_t bytes = 0;      // keys + values now in etcd
  int64_t revisions = 0;  // etcd revision delta of the cold registration
  int64_t change_txns = 0;
  int64_t change_revisions = 0;  // one target: unhealthy, then healthy again
};

int64_t Revision(etcd::Client& client) {
  etcd::RangeOptions o;
  o.count_only = true;
  auto r = client.Range("/", o);
  return r.ok() ? r->revision : 0;
}

Figures Run(const std::vector<ValueFormat>& formats, int n) {
  testing::EtcdServer etcd;
  if (auto s = etcd.Start(); !s.ok()) {
    std::fprintf(stderr, "etcd: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  etcd::ClientOptions co;
  co.endpoints = {etcd.endpoint()};
  auto client = etcd::Client::Create(co);
  if (!client.ok()) std::exit(1);
  std::vector<controller::ServiceRegistration> services;
  for (int s = 0; s < 10; ++s) {
    controller::ServiceRegistration r;
    r.service = "svc" + std::to_string(s);
    r.format = formats.front();
    r.formats = formats;
    services.push_back(r);
  }
  controller::RegistrationOptions options;
  options.prefix = "/registry/";  // dubbo keeps /services/
  SystemRandom random;
  TxnCounter counter;
  controller::Controller c(**client, RealClock(), random, options, services, &counter);
  for (int i = 0; i < n; ++i) c.SetHealthy(TargetNumber(i), true);
  const size_t want = static_cast<size_t>(n) * formats.size();
  Figures f;
  const int64_t rev0 = Revision(**client);
  const auto start = Clock::now();
  c.Start();
  testing::WaitFor([&] { return counter.registered.load() == want && c.Ready(); }, seconds(120));
  f.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  f.txns = counter.txns.load();
  f.ops = counter.ops.load();
  f.revisions = Revision(**client) - rev0;
  etcd::RangeOptions all;  // every key: etcd refuses an empty one
  all.range_end = std::string(1, '\0');
  const int64_t lease = c.Snapshot().lease_id;
  if (auto r = (*client)->Range(std::string(1, '\0'), all); r.ok()) {
    for (const auto& kv : r->kvs) {
      if (kv.lease == lease) f.bytes += kv.key.size() + kv.value.size();
    }
  }
  const int64_t txns0 = counter.txns.load();
  const int64_t rev1 = Revision(**client);
  c.SetHealthy(TargetNumber(7), false);
  testing::WaitFor([&] { return counter.registered.load() == want - formats.size(); }, seconds(30));
  c.SetHealthy(TargetNumber(7), true);
  testing::WaitFor([&] { return counter.registered.load() == want; }, seconds(30));
  f.change_txns = counter.txns.load() - txns0;
  f.change_revisions = Revision(**client) - rev1;
  c.Stop(true);
  return f;
}

std::string Names(const std::vector<ValueFormat>& formats) {
  std::string out;
  for (ValueFormat f : formats) out += (out.empty() ? "" : "+") + std::string(ValueFormatName(f));
  return out;
}

}  // namespace
}  // namespace registrar::bench

int main(int argc, char** argv) {
  using registrar::controller::ValueFormat;
  int n = 10000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--n") n = std::atoi(argv[i + 1]);
  }
  spdlog::set_level(spdlog::level::warn);
  std::vector<std::vector<ValueFormat>> runs;
  for (ValueFormat f :
       {ValueFormat::kPlain, ValueFormat::kJson, ValueFormat::kGrpcNaming, ValueFormat::kSkyDns,
        ValueFormat::kGoZero, ValueFormat::kKratos, ValueFormat::kGoMicro, ValueFormat::kKitex,
        ValueFormat::kDubbo, ValueFormat::kTraefik}) {
    runs.push_back({f});
  }
  runs.push_back(
      {ValueFormat::kGrpcNaming, ValueFormat::kSkyDns, ValueFormat::kKratos, ValueFormat::kGoZero});
  std::printf("cold registration of %d targets (10 services), then one target down and up\n", n);
  std::printf("%-36s | %8s | %6s | %7s | %11s | %9s | %10s | %10s\n", "layouts", "cold s", "Txns",
              "ops", "bytes", "revisions", "change Txn", "change rev");
  for (const auto& formats : runs) {
    const registrar::bench::Figures f = registrar::bench::Run(formats, n);
    std::printf("%-36s | %8.2f | %6lld | %7lld | %11lld | %9lld | %10lld | %10lld\n",
                registrar::bench::Names(formats).c_str(), f.seconds, static_cast<long long>(f.txns),
                static_cast<long long>(f.ops), static_cast<long long>(f.bytes),
                static_cast<long long>(f.revisions), static_cast<long long>(f.change_txns),
                static_cast<long long>(f.change_revisions));
    std::fflush(stdout);
  }
  return 0;
}
