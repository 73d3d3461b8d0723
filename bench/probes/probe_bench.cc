// Probe engine benchmark: prints figures, is not a timed test.
//
// N targets (period 1 s) on distinct loopback addresses 127.1.x.y, all served
// by one nginx (our generated config, one `listen` per address). For each N
// and connection mode it runs, each in its own process for clean CPU/RSS:
//   prober   — registrar::probes::Prober (this module), CPU of its thread
//   prober-curl — the same with the direct path off (every probe via libcurl)
//   bare     — a bare libcurl-multi loop doing the same requests
//   floor    — the kernel's floor: blocking sockets, no loop (tcp_floor.h)
// and, side by side at N_bb targets, blackbox_exporter driven through its
// /probe endpoint at the same rate (its CPU from /proc/<pid>/stat).
//
// and gRPC health probes (grpc.health.v1) to one grpc++ server in its own
// process at N_grpc targets (one channel each), with the HTTP prober rows
// at the same N beside them, a bare gRPC health-check loop (grpc_bare.h) and
// blackbox_exporter's grpc module (grpc-bb) against the same server; the
// prober and bare rows count the whole process's CPU (gRPC work runs on its
// completion-queue and library threads), grpc-bb blackbox_exporter's.
//
// and HTTPS probes (`https`, --https-targets=1000; nginx with TLS on the
// same addresses, certificate verified, name "localhost"): on the direct
// path (`https`) and through libcurl (`https-curl`), kept-alive and fresh
// (fresh ones resume the session), beside the plain-HTTP prober rows at the
// same N, and `tls-crypto`, the CPU of a bare resumed TLS handshake over a
// memory BIO pair (tls_crypto.h): a fresh HTTPS probe is compared with a
// fresh plain one plus that.
//
// Usage: probe_bench [--targets=1000,10000] [--seconds=10] [--warmup=3]
//                    [--period=1] [--max-in-flight=4096] [--blackbox-targets=1000]
//                    [--grpc-targets=1000] [--https-targets=1000]
//                    [--https-conns=reuse,fresh]
//                    [--only=prober,prober-curl,bare,floor,blackbox,grpc,grpc-bb,https]
//                    [--conns=reuse,fresh] [--no-fork]
#include <curl/curl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/probes/backends.h"
#include "bench/probes/curl_driver.h"
#include "bench/probes/figures.h"
#include "bench/probes/grpc_backend.h"
#include "bench/probes/grpc_bare.h"
#include "bench/probes/tcp_floor.h"
#include "bench/probes/tls_crypto.h"
#include "probes/prober.h"
#include "spdlog/spdlog.h"

namespace registrar::bench {
namespace {

using probes::ProbeResult;
using probes::Target;

struct Args {
  std::vector<int> targets = {1000, 10000};
  double seconds = 10;
  double warmup = 3;
  double period = 1;
  int max_in_flight = probes::ProberOptions{}.max_in_flight;
  int blackbox_targets = 1000;
  int grpc_targets = 1000;
  int https_targets = 1000;
  std::string https_conns = "reuse,fresh";
  std::string only = "prober,prober-curl,bare,floor,blackbox,grpc,grpc-bb,https";
  std::string conns = "reuse,fresh";
  bool fork = true;  // --no-fork: rows in this process (for heaptrack / perf of one row)
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&](const char* flag) -> const char* {
      size_t n = std::strlen(flag);
      return s.compare(0, n, flag) == 0 ? s.c_str() + n : nullptr;
    };
    if (const char* v = value("--targets=")) {
      a.targets.clear();
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ',')) a.targets.push_back(std::stoi(item));
    } else if (const char* v = value("--seconds=")) {
      a.seconds = std::stod(v);
    } else if (const char* v = value("--max-in-flight=")) {
      a.max_in_flight = std::stoi(v);
    } else if (const char* v = value("--period=")) {
      a.period = std::stod(v);
    } else if (const char* v = value("--warmup=")) {
      a.warmup = std::stod(v);
    } else if (const char* v = value("--blackbox-targets=")) {
      a.blackbox_targets = std::stoi(v);
    } else if (const char* v = value("--grpc-targets=")) {
      a.grpc_targets = std::stoi(v);
    } else if (const char* v = value("--https-conns=")) {
      a.https_conns = v;
    } else if (const char* v = value("--https-targets=")) {
      a.https_targets = std::stoi(v);
    } else if (const char* v = value("--only=")) {
      a.only = v;
    } else if (const char* v = value("--conns=")) {
      a.conns = v;
    } else if (s == "--no-fork") {
      a.fork = false;
    }
  }
  return a;
}

// Is `name` one of the comma-separated `list`?
bool Selected(const std::string& list, const std::string& name) {
  return ("," + list + ",").find("," + name + ",") != std::string::npos;
}

// Counts results in the window; lags are kept on the prober thread only and
// read after Stop().
class BenchObserver final : public probes::ProbeObserver {
 public:
  void OnResult(const Target&, const ProbeResult& result, Duration lag) override {
    if (!have_clock_.load(std::memory_order_relaxed)) {
      pthread_getcpuclockid(pthread_self(), &clock_);
      have_clock_.store(true);
    }
    if (!measuring_.load(std::memory_order_relaxed)) return;
    probes_.fetch_add(1, std::memory_order_relaxed);
    if (!result.ok) {
      if (failures_.fetch_add(1) < 5) spdlog::warn("bench: probe failed: {}", result.reason);
    }
    lags_.push_back(lag.count());
  }
  void OnTransition(const Target&, const probes::Transition&) override {}

  std::atomic<bool> measuring_{false};
  std::atomic<bool> have_clock_{false};
  clockid_t clock_{};
  std::atomic<int64_t> probes_{0};
  std::atomic<int64_t> failures_{0};
  std::vector<int64_t> lags_;
};

// `grpc_port` > 0: gRPC health probes to that server (one target per
// service name), and the figures count the whole process's CPU. `https`:
// to nginx's TLS port, verifying its certificate for "localhost".
Figures RunProber(const Backends& backends, int n, bool reuse, bool direct, const Args& args,
                  int grpc_port = 0, bool process_cpu = false, bool https = false) {
  std::vector<Target> targets;
  targets.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    Target t;
    t.service = "bench";
    t.host = backends.Address(i);
    t.port = backends.port();
    if (grpc_port > 0) {
      t.service = "grpc-" + std::to_string(i);
      t.host = "127.0.0.1";
      t.port = grpc_port;
      t.probe.kind = probes::ProbeKind::kGrpc;
    }
    if (https) {
      t.port = backends.tls_port();
      t.probe.http_get.scheme = "HTTPS";
      t.probe.http_get.tls.ca_file = backends.CertFile();
      t.probe.http_get.tls.server_name = "localhost";
    }
    t.probe.period = FromSeconds(args.period);
    t.probe.timeout = std::chrono::milliseconds(900);
    t.probe.reuse_connections = reuse;
    targets.push_back(std::move(t));
  }
  SystemRandom random;
  BenchObserver observer;
  observer.lags_.reserve(static_cast<size_t>(n * (args.seconds + 2)));
  probes::ProberOptions options;
  options.max_in_flight = args.max_in_flight;
  options.direct_sockets = direct;
  auto prober = probes::Prober::Create(RealClock(), random, options, &observer);
  prober->SetTargets(std::move(targets));
  prober->Start();
  std::this_thread::sleep_for(std::chrono::duration<double>(args.warmup));
  Figures f;
  if (!observer.have_clock_.load()) return f;
  auto cpu = [&] { return process_cpu ? ProcessCpuSeconds() : ThreadCpuSeconds(observer.clock_); };
  double cpu0 = cpu();
  observer.measuring_.store(true);
  std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
  observer.measuring_.store(false);
  f.cpu_seconds = cpu() - cpu0;
  f.seconds = args.seconds;
  f.probes = observer.probes_.load();
  f.failures = observer.failures_.load();
  f.rss_mb = RssMb();
  f.time_wait = NewTimeWaitSockets(args.seconds);
  f.open_sockets = OpenSockets();
  prober->Stop();
  SetLags(f, observer.lags_);
  return f;
}

Figures RunBare(const Backends& backends, int n, bool reuse, const Args& args) {
  DriverOptions o;
  for (int i = 0; i < n; ++i) o.urls.push_back(backends.Url(i));
  o.timeout_s = 0.9;
  o.period_s = args.period;
  o.reuse = reuse;
  o.warmup_s = args.warmup;
  o.measure_s = args.seconds;
  return RunCurlDriver(o);
}

// `grpc_port` > 0: blackbox's grpc module against that server, n times.
Figures RunBlackbox(const Backends& backends, int n, const Args& args, int grpc_port = 0) {
  DriverOptions o;
  for (int i = 0; i < n; ++i) {
    o.urls.push_back(grpc_port > 0 ? backends.BlackboxGrpcProbeUrl(grpc_port)
                                   : backends.BlackboxProbeUrl(i));
  }
  o.timeout_s = 5;
  o.period_s = args.period;
  o.reuse = true;  // driver → blackbox keep-alive; blackbox itself dials fresh per probe
  o.must_contain = "probe_success 1";
  o.warmup_s = args.warmup;
  o.measure_s = args.seconds;
  double bb0 = 0;
  double bb1 = 0;
  o.on_window_start = [&] { bb0 = backends.BlackboxCpuSeconds(); };
  o.on_window_end = [&] { bb1 = backends.BlackboxCpuSeconds(); };
  Figures f = RunCurlDriver(o);
  f.other_cpu_seconds = bb1 - bb0;
  return f;
}

// Runs `run` in a child process (clean RSS and CPU), returns its figures.
// Without `fork` it runs here (a profiler sees it; RSS includes earlier rows).
Figures InChild(const std::function<Figures()>& run, bool in_child = true) {
  if (!in_child) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return run();
  }
  std::fflush(stdout);  // or the child flushes our buffered lines again
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Figures f = run();
    [[maybe_unused]] auto w = write(fds[1], &f, sizeof(f));
    _exit(0);
  }
  close(fds[1]);
  Figures f;
  [[maybe_unused]] auto r = read(fds[0], &f, sizeof(f));
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return f;
}

void PrintHeader() {
  std::printf("%-11s %6s %-6s %9s %9s %8s %8s %8s %8s %8s %8s %9s %8s\n", "engine", "N", "conns",
              "probes/s", "failures", "CPU us/p", "cores", "RSS MB", "lag p50", "lag p99",
              "lag max", "TIME_WAIT", "sockets");
}

void Print(const char* engine, int n, const char* conns, const Figures& f) {
  std::printf("%-11s %6d %-6s %9.0f %9lld %8.1f %8.3f %8.1f %8.2f %8.2f %8.2f %9lld %8lld\n",
              engine, n, conns, f.probes_per_second(), static_cast<long long>(f.failures),
              f.cpu_us_per_probe(), f.cores(), f.rss_mb, f.lag_p50_ms, f.lag_p99_ms, f.lag_max_ms,
              static_cast<long long>(f.time_wait), static_cast<long long>(f.open_sockets));
  std::fflush(stdout);
}

// A prober "reuse" row that could keep only some of its targets alive (the fd
// budget; its sockets at the window's end) against the floor at the same
// mix: kept share x floor reuse + the rest x floor fresh.
void MixedFloorRatio(const std::map<std::string, Figures>& rows, int n) {
  std::string suffix = " " + std::to_string(n);
  auto prober = rows.find("prober" + suffix + " reuse");
  auto reuse = rows.find("floor" + suffix + " reuse");
  auto fresh = rows.find("floor" + suffix + " fresh");
  if (prober == rows.end() || reuse == rows.end() || fresh == rows.end()) return;
  const Figures& p = prober->second;
  if (p.open_sockets < 0 || p.open_sockets >= n || p.probes == 0) return;
  double kept = static_cast<double>(p.open_sockets) / n;
  double floor =
      kept * reuse->second.cpu_us_per_probe() + (1 - kept) * fresh->second.cpu_us_per_probe();
  std::printf(
      "  %-28s / %-28s = %6.2f  (%.1f / %.1f us: %.0f%% kept alive; the floor at that mix "
      "is %.2f cores)\n",
      ("prober" + suffix + " reuse").c_str(), "floor at the same mix", p.cpu_us_per_probe() / floor,
      p.cpu_us_per_probe(), floor, kept * 100, floor * p.probes_per_second() / 1e6);
}

// CPU per probe of one row over another's, for every pair measured in this
// run: the prober against the bare libcurl loop and against blackbox_exporter.
// `x25519_us`: openssl speed's cost of one X25519 operation (0: not measured).
void PrintRatios(const std::map<std::string, Figures>& rows, const Args& args, double x25519_us) {
  auto ratio = [&](const std::string& a, const std::string& b) {
    auto x = rows.find(a);
    auto y = rows.find(b);
    if (x == rows.end() || y == rows.end() || y->second.cpu_us_per_probe() <= 0) return;
    std::printf("  %-28s / %-28s = %6.2f\n", a.c_str(), b.c_str(),
                x->second.cpu_us_per_probe() / y->second.cpu_us_per_probe());
  };
  std::printf("CPU per probe, ratios (same run):\n");
  for (int n : args.targets) {
    for (const char* conns : {"reuse", "fresh"}) {
      std::string suffix = " " + std::to_string(n) + " " + conns;
      ratio("prober" + suffix, "bare" + suffix);
      ratio("prober-curl" + suffix, "bare" + suffix);
      ratio("prober" + suffix, "floor" + suffix);
    }
    MixedFloorRatio(rows, n);
  }
  std::string g = std::to_string(args.grpc_targets) + " reuse";
  ratio("grpc " + g, "prober-proc " + g);
  ratio("grpc " + g, "grpc-bare " + g);
  ratio("grpc " + g, "grpc-bb " + std::to_string(args.grpc_targets) + " fresh");
  std::string h = " " + std::to_string(args.https_targets);
  ratio("https" + h + " reuse", "prober" + h + " reuse");
  ratio("https-curl" + h + " reuse", "https" + h + " reuse");
  ratio("https-curl" + h + " fresh", "https" + h + " fresh");
  auto fresh = rows.find("https" + h + " fresh");
  auto plain = rows.find("prober" + h + " fresh");
  auto crypto = rows.find("tls-crypto 1 resumed");
  if (fresh != rows.end() && plain != rows.end() && crypto != rows.end()) {
    double floor = plain->second.cpu_us_per_probe() + crypto->second.cpu_us_per_probe();
    std::printf("  %-28s / %-28s = %6.2f  (%.1f / (%.1f + %.1f) us)\n",
                ("https" + h + " fresh").c_str(), "(prober fresh + tls-crypto)",
                fresh->second.cpu_us_per_probe() / floor, fresh->second.cpu_us_per_probe(),
                plain->second.cpu_us_per_probe(), crypto->second.cpu_us_per_probe());
    if (x25519_us > 0) {
      double primitives = plain->second.cpu_us_per_probe() + 2 * x25519_us;
      std::printf("  %-28s / %-28s = %6.2f  (%.1f / (%.1f + 2 x %.1f) us)\n",
                  ("https" + h + " fresh").c_str(), "(prober fresh + 2 X25519 ops)",
                  fresh->second.cpu_us_per_probe() / primitives, fresh->second.cpu_us_per_probe(),
                  plain->second.cpu_us_per_probe(), x25519_us);
    }
  }
  std::string bb = "blackbox " + std::to_string(args.blackbox_targets) + " fresh";
  ratio("prober " + std::to_string(args.blackbox_targets) + " fresh", bb);
  ratio("prober-curl " + std::to_string(args.blackbox_targets) + " fresh", bb);
}

}  // namespace
}  // namespace registrar::bench

int main(int argc, char** argv) {
  using namespace registrar::bench;
  spdlog::set_level(spdlog::level::warn);
  Args args = Parse(argc, argv);
  int max_n = args.blackbox_targets;
  for (int n : args.targets) max_n = std::max(max_n, n);
  bool with_blackbox = Selected(args.only, "blackbox");
  bool grpc_blackbox = Selected(args.only, "grpc-bb");
  int https_n = Selected(args.only, "https") ? args.https_targets : 0;
  max_n = std::max(max_n, https_n);
  auto backends = Backends::Start(max_n, with_blackbox || grpc_blackbox, https_n);
  if (!backends.ok()) {
    std::fprintf(stderr, "probe_bench: %s\n", backends.status().ToString().c_str());
    return 1;
  }
  std::printf("window %.0f s after %.0f s warm-up; period %.2f s; nginx on %d loopback addresses\n",
              args.seconds, args.warmup, args.period, max_n);
  PrintHeader();
  std::map<std::string, Figures> rows;  // "engine N conns" → figures, for the ratios
  auto row = [&](const char* engine, int n, const char* conns, const Figures& f) {
    Print(engine, n, conns, f);
    rows[std::string(engine) + " " + std::to_string(n) + " " + conns] = f;
  };
  for (int n : args.targets) {
    for (bool reuse : {true, false}) {
      const char* conns = reuse ? "reuse" : "fresh";
      if (!Selected(args.conns, conns)) continue;
      for (bool direct : {true, false}) {
        const char* engine = direct ? "prober" : "prober-curl";
        if (!Selected(args.only, engine)) continue;
        row(engine, n, conns,
            InChild([&] { return RunProber(**backends, n, reuse, direct, args); }, args.fork));
      }
      if (Selected(args.only, "bare")) {
        row("bare", n, conns, InChild([&] { return RunBare(**backends, n, reuse, args); }));
      }
      if (Selected(args.only, "floor")) {
        TcpFloorOptions floor{.targets = n,
                              .reuse = reuse,
                              .period_s = args.period,
                              .warmup_s = args.warmup,
                              .measure_s = args.seconds};
        row("floor", n, conns, InChild([&] { return RunTcpFloor(**backends, floor); }));
      }
    }
  }
  if (Selected(args.only, "grpc")) {
    GrpcBackend server;  // forked before this process touches gRPC
    int n = args.grpc_targets;
    row("prober-proc", n, "reuse",
        InChild([&] { return RunProber(**backends, n, true, true, args, 0, true); }));
    if (server.port() > 0) {
      double s0 = server.CpuSeconds();
      row("grpc", n, "reuse",
          InChild([&] { return RunProber(**backends, n, true, true, args, server.port(), true); }));
      double s1 = server.CpuSeconds();
      BareGrpcOptions bare{.port = server.port(),
                           .targets = n,
                           .period_s = args.period,
                           .timeout_s = 0.9,
                           .warmup_s = args.warmup,
                           .measure_s = args.seconds};
      row("grpc-bare", n, "reuse", InChild([&] { return RunBareGrpc(bare); }));
      double s2 = server.CpuSeconds();
      std::printf(
          "(prober-proc, grpc, grpc-bare rows: CPU = the whole process; gRPC server: %.3f "
          "cores over the grpc row, %.3f over grpc-bare)\n",
          (s1 - s0) / (args.seconds + args.warmup), (s2 - s1) / (args.seconds + args.warmup));
      if (grpc_blackbox) {
        Figures f = InChild([&] { return RunBlackbox(**backends, n, args, server.port()); });
        Figures bb = f;
        bb.cpu_seconds = f.other_cpu_seconds;  // blackbox's own CPU, not the driver's
        bb.rss_mb = (*backends)->BlackboxRssMb();
        row("grpc-bb", n, "fresh", bb);
        std::printf("(grpc-bb row: blackbox_exporter's grpc module, CPU = its process)\n");
      }
    }
  }
  double x25519_us = 0;
  if (https_n > 0) {
    int n = https_n;
    for (bool reuse : {true, false}) {
      const char* conns = reuse ? "reuse" : "fresh";
      if (!Selected(args.https_conns, conns)) continue;
      if (rows.count("prober " + std::to_string(n) + " " + conns) == 0) {
        row("prober", n, conns,
            InChild([&] { return RunProber(**backends, n, reuse, true, args); }, args.fork));
      }
      for (bool direct : {true, false}) {
        row(direct ? "https" : "https-curl", n, conns,
            InChild([&] { return RunProber(**backends, n, reuse, direct, args, 0, false, true); },
                    args.fork));
      }
    }
  }
  if (https_n > 0 && Selected(args.https_conns, "fresh")) {
    int n = https_n;
    Figures f = InChild([&] {
      TlsCrypto c = RunTlsCrypto((*backends)->CertFile(), (*backends)->KeyFile(), args.warmup,
                                 args.seconds, n / args.period);
      Figures out = c.client;
      out.other_cpu_seconds = c.both_us;  // carried through the pipe
      out.lag_p50_ms = c.resumed_share;
      return out;
    });
    row("tls-crypto", 1, "resumed", f);
    x25519_us = X25519OpMicros();
    std::printf(
        "(tls-crypto row: client side of a resumed TLS 1.3 handshake over a memory BIO pair, "
        "%.0f%% resumed; client + server %.1f us per handshake)\n",
        f.lag_p50_ms * 100, f.other_cpu_seconds);
    std::printf("(openssl speed: one X25519 operation = %.1f us CPU)\n", x25519_us);
  }
  if (with_blackbox) {
    int n = args.blackbox_targets;
    Figures f = InChild([&] { return RunBlackbox(**backends, n, args); });
    Figures bb = f;
    bb.cpu_seconds = f.other_cpu_seconds;  // blackbox's own CPU, not the driver's
    bb.rss_mb = (*backends)->BlackboxRssMb();
    row("blackbox", n, "fresh", bb);
    std::printf(
        "(blackbox row: CPU = blackbox_exporter process; lag = driver's; RSS = blackbox)\n");
  }
  PrintRatios(rows, args, x25519_us);
  return 0;
}
