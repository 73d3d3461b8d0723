// Discovery benchmark (prints figures; see bench/README.md).
//
//   discovery_bench [--keys 10000] [--rate 1000] [--seconds 10] [--writers 8]
//
// Starts its own etcd, writes `keys` JSON-format registrations in 128-op
// Txns, then measures: the time from Discovery::Start to the first snapshot,
// the process RSS growth that snapshot costs, the cost of one Snapshot()
// copy, and — while `writers` threads rewrite random keys at `rate` changes
// per second in total — the latency from just before each Put to the
// callback that reports it (p50 / p99 / max).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "discovery/discovery.h"
#include "spdlog/spdlog.h"
#include "tests/support/etcd_server.h"
#include "tests/support/resident_memory.h"

namespace {

using registrar::etcd::Client;
using registrar::etcd::Discovery;
using registrar::etcd::DiscoveryUpdate;
using registrar::etcd::EndpointEvent;
using Steady = std::chrono::steady_clock;

constexpr char kPrefix[] = "/services/bench/";

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
      .count();
}

std::string Value(int key, int64_t seq) {
  return R"({"service":"bench","address":"10.)" + std::to_string(key / 250) + "." +
         std::to_string(key % 250) + R"(.1:8080","metadata":{"seq":")" + std::to_string(seq) +
         R"("},"registeredAt":"2026-01-01T00:00:00Z"})";
}

std::string Key(int key) { return kPrefix + std::to_string(key); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

int Arg(int argc, char** argv, const char* name, int def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  }
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  const int keys = Arg(argc, argv, "--keys", 10000);
  const int rate = Arg(argc, argv, "--rate", 1000);
  const int seconds = Arg(argc, argv, "--seconds", 10);
  const int writers = Arg(argc, argv, "--writers", 8);
  spdlog::set_level(spdlog::level::warn);

  registrar::testing::EtcdServer etcd;
  if (auto s = etcd.Start(); !s.ok()) {
    std::fprintf(stderr, "etcd: %s\n", s.ToString().c_str());
    return 1;
  }
  auto make_client = [&] {
    registrar::etcd::ClientOptions options;
    options.endpoints = {etcd.endpoint()};
    return std::move(*Client::Create(options));
  };
  auto writer = make_client();

  // Seed the prefix.
  const auto seed_start = Steady::now();
  for (int base = 0; base < keys; base += 128) {
    std::vector<registrar::etcd::Op> ops;
    for (int k = base; k < std::min(keys, base + 128); ++k) {
      ops.push_back({registrar::etcd::Op::Type::kPut, Key(k), Value(k, 0), 0, false});
    }
    if (auto r = writer->Txn({}, ops); !r.ok()) {
      std::fprintf(stderr, "seed: %s\n", r.status().ToString().c_str());
      return 1;
    }
  }
  std::printf("seeded %d keys in %.2f s\n", keys,
              std::chrono::duration<double>(Steady::now() - seed_start).count());

  // Latency bookkeeping: send time per sequence number.
  const int64_t max_seq = static_cast<int64_t>(rate) * seconds + 1;
  std::vector<std::atomic<int64_t>> sent(static_cast<size_t>(max_seq + 1));
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::atomic<int64_t> events{0};

  auto client = make_client();
  const int64_t rss_before = registrar::testing::ResidentKb();
  const auto start = Steady::now();
  auto on_update = [&](const DiscoveryUpdate& update) {
    if (update.kind != DiscoveryUpdate::Kind::kWatch) return;
    const int64_t now = NowNs();
    std::lock_guard<std::mutex> lock(mu);
    for (const EndpointEvent& e : update.events) {
      ++events;
      auto it = e.endpoint.metadata.find("seq");
      if (it == e.endpoint.metadata.end()) continue;
      int64_t seq = std::atoll(it->second.c_str());
      if (seq <= 0 || seq > max_seq) continue;
      int64_t t0 = sent[static_cast<size_t>(seq)].load();
      if (t0 > 0) latencies_ms.push_back(static_cast<double>(now - t0) / 1e6);
    }
  };
  registrar::etcd::DiscoveryOptions options;
  options.prefix = kPrefix;
  options.format = registrar::etcd::EndpointFormat::kJson;
  auto discovery = Discovery::Start(*client, options, on_update);
  if (!discovery.ok() || !(*discovery)->WaitSynced(std::chrono::seconds(60))) {
    std::fprintf(stderr, "discovery did not sync\n");
    return 1;
  }
  const double snapshot_ms =
      std::chrono::duration<double, std::milli>(Steady::now() - start).count();
  const int64_t rss_synced = registrar::testing::ResidentKb();
  const auto copy_start = Steady::now();
  auto snapshot = (*discovery)->Snapshot();
  const double copy_ms =
      std::chrono::duration<double, std::milli>(Steady::now() - copy_start).count();
  const int64_t rss_with_copy = registrar::testing::ResidentKb();
  std::printf("initial snapshot: %zu endpoints in %.1f ms (paged Range, 1000 keys/page)\n",
              snapshot->endpoints.size(), snapshot_ms);
  std::printf(
      "RSS: +%.1f MiB for the synced Discovery (%.0f bytes/endpoint), +%.1f MiB for one "
      "Snapshot() copy (built in %.1f ms)\n",
      static_cast<double>(rss_synced - rss_before) / 1024.0,
      static_cast<double>(rss_synced - rss_before) * 1024.0 / keys,
      static_cast<double>(rss_with_copy - rss_synced) / 1024.0, copy_ms);
  snapshot.reset();

  // Steady changes: `writers` threads, each paced at rate/writers per second.
  std::atomic<int64_t> next_seq{1};
  std::atomic<int64_t> failed{0};
  const auto load_start = Steady::now();
  const auto load_end = load_start + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      auto c = make_client();
      std::mt19937 rng(static_cast<unsigned>(w + 1));
      const auto period = std::chrono::nanoseconds(1'000'000'000LL * writers / rate);
      auto due = load_start + period * w / writers;
      while (due < load_end) {
        std::this_thread::sleep_until(due);
        due += period;
        const int64_t seq = next_seq++;
        if (seq > max_seq) break;
        const int k = static_cast<int>(rng() % static_cast<unsigned>(keys));
        sent[static_cast<size_t>(seq)] = NowNs();
        if (!c->Put(Key(k), Value(k, seq)).ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double load_s = std::chrono::duration<double>(Steady::now() - load_start).count();
  const int64_t puts = next_seq.load() - 1 - failed.load();
  // Let the last events arrive.
  for (int i = 0; i < 200 && events.load() < puts; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<double> lat;
  {
    std::lock_guard<std::mutex> lock(mu);
    lat = latencies_ms;
  }
  std::printf("load: %lld puts in %.1f s (%.0f/s achieved, %lld failed), %lld events delivered\n",
              static_cast<long long>(puts), load_s, static_cast<double>(puts) / load_s,
              static_cast<long long>(failed.load()), static_cast<long long>(events.load()));
  std::printf("Put→callback latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%zu samples)\n",
              Percentile(lat, 0.5), Percentile(lat, 0.99), Percentile(lat, 1.0), lat.size());
  std::printf("RSS at end: +%.1f MiB over start of Discovery\n",
              static_cast<double>(registrar::testing::ResidentKb() - rss_before) / 1024.0);
  (*discovery)->Stop();
  return 0;
}
