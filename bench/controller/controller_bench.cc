// Controller benchmark: one shared lease (the registrar) vs one lease and one
// keepalive stream per instance (the seed's approach), both driven by the same
// etcd client library against a real, fresh etcd per run.
//
// For each N: time to register N healthy targets from a cold start, then etcd
// requests per second and writes per second in steady state, counted by etcd
// itself on its /metrics endpoint (unary calls handled + stream messages
// received). Prints a table and the ratios.
//
//   controller_bench [--n 100,1000,10000] [--steady-seconds 10] [--ttl 10]
//                    [--seed-cap 2000] [--seed-threads 8]
//
// The per-instance approach needs one keepalive stream per instance; beyond
// --seed-cap instances it is measured at the cap and scaled linearly (both its
// registration work and its keepalive rate are linear in N), and the table
// says so.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/common/args.h"
#include "bench/common/metrics_text.h"
#include "controller/controller.h"
#include "etcd/client.h"
#include "httplib.h"
#include "spdlog/spdlog.h"
#include "tests/support/etcd_server.h"
#include "tests/support/wait.h"

namespace registrar::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

struct Args {
  std::vector<int> ns = {100, 1000, 10000};
  int steady_seconds = 10;
  int ttl_seconds = 10;
  int seed_cap = 2000;
  int seed_threads = 8;
};

struct EtcdCounters {
  double requests = 0;  // unary calls handled + messages received on streams
  double writes = 0;    // puts + deletes applied by the store
  double keepalives = 0;
};

struct Figures {
  double register_seconds = 0;
  double requests_per_second = 0;
  double writes_per_second = 0;
  double keepalives_per_second = 0;
  int measured_n = 0;  // < N: measured at this size and scaled
};

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

EtcdCounters ReadCounters(const testing::EtcdServer& etcd) {
  httplib::Client http("127.0.0.1", etcd.port());
  auto res = http.Get("/metrics");
  EtcdCounters c;
  if (!res || res->status != 200) {
    std::fprintf(stderr, "cannot read etcd /metrics\n");
    return c;
  }
  const std::string& m = res->body;
  c.requests = SumSamples(m, "grpc_server_handled_total", {"grpc_type=\"unary\""}) +
               SumSamples(m, "grpc_server_msg_received_total", {"grpc_type=\"bidi_stream\""});
  c.writes = SumSamples(m, "etcd_debugging_mvcc_put_total") +
             SumSamples(m, "etcd_debugging_mvcc_delete_total");
  c.keepalives =
      SumSamples(m, "grpc_server_msg_received_total", {"grpc_method=\"LeaseKeepAlive\""});
  return c;
}

std::unique_ptr<etcd::Client> Connect(const testing::EtcdServer& etcd) {
  etcd::ClientOptions options;
  options.endpoints = {etcd.endpoint()};
  auto client = etcd::Client::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "etcd client: %s\n", client.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(client);
}

int64_t CountKeys(etcd::Client& client, const std::string& prefix) {
  etcd::RangeOptions options;
  options.prefix = true;
  options.count_only = true;
  auto r = client.Range(prefix, options);
  return r.ok() ? r->count : -1;
}

probes::Target TargetNumber(int i) {
  probes::Target t;
  t.service = "svc" + std::to_string(i % 10);
  t.host = "127.0." + std::to_string(1 + i / 60000) + "." + std::to_string(1 + (i / 250) % 240);
  t.port = 10000 + i % 250;
  return t;
}

// Counts the controller's Txns.
class TxnCounter final : public controller::ControllerObserver {
 public:
  void OnTxn(size_t) override { ++txns; }
  std::atomic<int64_t> txns{0};
};

Figures MeasureWindow(const testing::EtcdServer& etcd, int steady_seconds, Figures f) {
  const EtcdCounters before = ReadCounters(etcd);
  const auto start = Clock::now();
  std::this_thread::sleep_for(seconds(steady_seconds));
  const EtcdCounters after = ReadCounters(etcd);
  const double window = Since(start);
  f.requests_per_second = (after.requests - before.requests) / window;
  f.writes_per_second = (after.writes - before.writes) / window;
  f.keepalives_per_second = (after.keepalives - before.keepalives) / window;
  return f;
}

Figures RunRegistrar(const Args& args, int n, int64_t* txns_out) {
  testing::EtcdServer etcd;
  if (auto s = etcd.Start(); !s.ok()) {
    std::fprintf(stderr, "etcd: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  auto client = Connect(etcd);
  SystemRandom random;
  TxnCounter counter;
  controller::RegistrationOptions options;
  options.lease_ttl = seconds(args.ttl_seconds);
  controller::Controller c(*client, RealClock(), random, options, {}, &counter);
  for (int i = 0; i < n; ++i) c.SetHealthy(TargetNumber(i), true);  // all probed healthy

  Figures f;
  f.measured_n = n;
  const auto start = Clock::now();
  c.Start();
  testing::WaitFor([&] { return c.Ready() && c.Snapshot().registered_keys == size_t(n); },
                   seconds(60));
  f.register_seconds = Since(start);
  if (CountKeys(*client, options.prefix) != n) std::fprintf(stderr, "registrar: keys missing\n");
  *txns_out = counter.txns.load();
  f = MeasureWindow(etcd, args.steady_seconds, f);
  c.Stop(true);
  return f;
}

Figures RunPerInstance(const Args& args, int n) {
  testing::EtcdServer etcd;
  if (auto s = etcd.Start(); !s.ok()) {
    std::fprintf(stderr, "etcd: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  auto client = Connect(etcd);
  const int m = std::min(n, args.seed_cap);
  const int threads = std::max(1, std::min(args.seed_threads, m));
  std::atomic<int> failures{0};
  std::atomic<int> registered{0};
  std::atomic<bool> stop{false};
  const auto period = std::chrono::milliseconds(args.ttl_seconds * 1000 / 3);

  // Each worker plays m/threads instances. An instance grants its own lease,
  // puts its key with it and opens its keepalive stream; from then on it
  // renews every TTL/3, as clientv3 does, also while later instances are still
  // registering (else the first leases would expire during a long start).
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::vector<std::unique_ptr<etcd::KeepAliveStream>> streams;
      auto round = Clock::now();
      auto renew_if_due = [&] {
        if (Clock::now() < round + period) return;
        round = Clock::now();
        for (auto& s : streams) (void)s->KeepAliveOnce();
      };
      for (int i = t; i < m && !stop; i += threads) {
        const probes::Target target = TargetNumber(i);
        auto lease = client->LeaseGrant(args.ttl_seconds);
        if (lease.ok()) {
          const std::string key = "/services/" + target.service + "/" + target.Address();
          if (!client->Put(key, target.Address(), lease->id).ok()) ++failures;
          auto stream = client->OpenKeepAlive(lease->id);
          if (stream.ok()) {
            streams.push_back(*std::move(stream));
          } else {
            ++failures;
          }
        } else {
          ++failures;
        }
        ++registered;
        renew_if_due();
      }
      while (!stop) {
        renew_if_due();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  testing::WaitFor([&] { return registered.load() == m; }, std::chrono::minutes(5));
  Figures f;
  f.measured_n = m;
  f.register_seconds = Since(start);
  if (failures > 0) std::fprintf(stderr, "per-instance: %d failed calls\n", failures.load());

  f = MeasureWindow(etcd, args.steady_seconds, f);
  stop = true;
  for (auto& w : workers) w.join();
  if (m < n) {  // linear in N: scale the measured figures
    const double scale = double(n) / m;
    f.register_seconds *= scale;
    f.requests_per_second *= scale;
    f.writes_per_second *= scale;
    f.keepalives_per_second *= scale;
  }
  return f;
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--n") {
      a.ns = ParseIntList(value);
    } else if (flag == "--steady-seconds") {
      a.steady_seconds = std::atoi(value.c_str());
    } else if (flag == "--ttl") {
      a.ttl_seconds = std::atoi(value.c_str());
    } else if (flag == "--seed-cap") {
      a.seed_cap = std::atoi(value.c_str());
    } else if (flag == "--seed-threads") {
      a.seed_threads = std::atoi(value.c_str());
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return a;
}

int Main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  std::printf("lease TTL %ds, steady window %ds; etcd requests = unary calls + stream messages\n",
              args.ttl_seconds, args.steady_seconds);
  std::printf("%7s | %-14s | %10s | %5s | %10s | %10s | %9s\n", "N", "approach", "register s",
              "txns", "req/s", "writes/s", "ka/s");
  struct Row {
    int n;
    Figures shared, per_instance;
  };
  std::vector<Row> rows;
  for (int n : args.ns) {
    int64_t txns = 0;
    Figures shared = RunRegistrar(args, n, &txns);
    std::printf("%7d | %-14s | %10.3f | %5lld | %10.2f | %10.2f | %9.2f\n", n, "one lease",
                shared.register_seconds, static_cast<long long>(txns), shared.requests_per_second,
                shared.writes_per_second, shared.keepalives_per_second);
    std::fflush(stdout);
    Figures seed = RunPerInstance(args, n);
    std::printf("%7d | %-14s | %10.3f | %5s | %10.2f | %10.2f | %9.2f%s\n", n, "lease/instance",
                seed.register_seconds, "-", seed.requests_per_second, seed.writes_per_second,
                seed.keepalives_per_second,
                seed.measured_n < n
                    ? ("  (measured at " + std::to_string(seed.measured_n) + ", scaled)").c_str()
                    : "");
    std::fflush(stdout);
    rows.push_back({n, shared, seed});
  }
  std::printf("\nratios (lease per instance / one lease):\n");
  for (const auto& r : rows) {
    std::printf("  N=%-6d register time x%.1f, steady etcd req/s x%.0f\n", r.n,
                r.per_instance.register_seconds / std::max(r.shared.register_seconds, 1e-9),
                r.per_instance.requests_per_second / std::max(r.shared.requests_per_second, 1e-9));
  }
  return 0;
}

}  // namespace
}  // namespace registrar::bench

int main(int argc, char** argv) { return registrar::bench::Main(argc, argv); }
