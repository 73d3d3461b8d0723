// Target sources benchmark: N targets (default 10 000) from one http_sd
// answer, then from 100 SRV names served by a real dnsmasq, through the real
// etcd-registrar binary into a real etcd, and the same sources discovered by
// Prometheus in the same run. Prints figures; not a test.
//
// Per source kind (httpSd, then dnsSd), three processes run side by side:
//   - registrar "keys": tcpSocket probes (every target's probe goes to one
//     accept socket, period 5 s), registration under /services/;
//   - registrar "cpu": the same source but no probe before an hour has
//     passed (initialDelaySeconds 3600) and its own prefix, so its CPU is
//     the sources' and not the prober's;
//   - Prometheus: the same source, refresh_interval 1s, scrapes every 1h to
//     a dead port (it only discovers).
// Figures: time from each process's start to all N targets (keys in etcd /
// Prometheus's active targets); after a change (10% of the targets replaced
// by others) time until the source applied it, until etcd's keys are exactly
// the new set, and until Prometheus's active targets are; then over a window
// of unchanged answers: CPU per refresh, and etcd's revision (must not move).
//
//   sources_bench [--targets 10000] [--names 100] [--window 20] [--only http,dns]
//                 [--log-dir DIR] [--quick]   (1 000 targets, 8 s window)
//
// Every wait has a deadline; every child is killed on the way out.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/common/metrics_text.h"
#include "bench/replicas/accept_server.h"
#include "bench/sources/support.h"
#include "etcd/client.h"
#include "tests/support/etcd_server.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace registrar::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kService[] = "sd";
constexpr int kPeriod = 5;  // probe period of the "keys" registrar, seconds
// Seconds a change may take: refresh 1 s + probe period 5 s + Prometheus's
// 5 s update throttle, several times over.
constexpr int kChangeDeadline = 40;

struct Args {
  int targets = 10000;
  int names = 100;
  int window = 20;
  std::string only = "http,dns";
  std::string log_dir;  // keep the registrars' configs and logs here (default: removed)
};

std::atomic<int> g_signal{0};
extern "C" void OnSignal(int sig) { g_signal.store(sig); }

MonoTime Now() { return RealClock().Now(); }
double Since(MonoTime t) { return ToSeconds(Now() - t); }

void Require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}
// Sleeps, but an interrupted run unwinds (and its children are killed).
void Sleep(Duration d) {
  const MonoTime until = Now() + d;
  while (Now() < until) {
    if (g_signal.load() != 0) throw std::runtime_error("interrupted");
    std::this_thread::sleep_for(std::min<Duration>(until - Now(), milliseconds(50)));
  }
}

// One row of figures per source kind.
struct Row {
  std::string kind;
  double reg_cold = -1, prom_cold = -1;          // s, start → all N
  double reg_applied = -1, reg_keys = -1;        // s, change → source applied / keys exact
  double reg_removed = -1;                       // s, change → the removed targets' keys gone
  double prom_change = -1;                       // s, change → active targets exact
  double reg_refreshes = 0, prom_refreshes = 0;  // in the unchanged window
  double reg_cpu_ms = 0, prom_cpu_ms = 0;        // per refresh
  double keys_cpu_ms = 0;                        // "keys" registrar per refresh, probes included
  int64_t revisions = -1, events = -1;           // etcd, over the unchanged window
  double sd_requests = 0;                        // http_sd answers served in the window
  std::string mismatch;  // etcd's keys at the change deadline when they did not match
};

class Bench {
 public:
  explicit Bench(const Args& args) : args_(args) {}
  void Run();

 private:
  struct Registrar {
    int admin_port = 0;
    std::unique_ptr<testing::Process> process;
    double Metric(const std::string& family, const std::vector<std::string>& with = {}) const {
      auto body = HttpGet(admin_port, "/metrics", 2000);
      return body ? SumSamples(*body, family, with) : -1;
    }
  };

  Row RunKind(const std::string& kind);
  Registrar StartRegistrar(const std::string& name, const std::string& prefix, bool probing,
                           const std::string& source_yaml, const std::string& dns_server);
  std::set<std::string> Keys(const std::vector<int>& ids, const std::string& prefix) const;
  std::vector<std::string> SrvRecords(const std::vector<int>& ids) const;
  std::string NameOf(int n) const { return "_t" + std::to_string(n) + "._tcp.bench.test"; }
  int64_t Revision();
  void Print() const;

  const Args args_;
  testing::TempDir dir_;
  testing::EtcdServer etcd_;
  std::unique_ptr<etcd::Client> client_;
  std::unique_ptr<AcceptServer> accept_;
  std::vector<Row> rows_;
};

int64_t Bench::Revision() {
  etcd::RangeOptions o;
  o.count_only = true;
  auto r = client_->Range("/", o);
  Require(r.ok(), "etcd range: " + r.status().ToString());
  return r->revision;
}

std::set<std::string> Bench::Keys(const std::vector<int>& ids, const std::string& prefix) const {
  std::set<std::string> out;
  for (int i : ids) out.insert(prefix + TargetAddress(i));
  return out;
}

std::vector<std::string> Bench::SrvRecords(const std::vector<int>& ids) const {
  std::vector<std::string> out;
  for (int i : ids) {
    out.push_back(NameOf(i % args_.names) + "," + TargetHost(i) + "," +
                  std::to_string(kTargetPort) + ",0,1");
  }
  return out;
}

Bench::Registrar Bench::StartRegistrar(const std::string& name, const std::string& prefix,
                                       bool probing, const std::string& source_yaml,
                                       const std::string& dns_server) {
  Registrar r;
  r.admin_port = testing::FreePort();
  const std::string dir = args_.log_dir.empty() ? dir_.path() : args_.log_dir;
  const std::string path = dir + "/" + name + ".yaml";
  {
    std::ofstream c(path);
    c << "etcd:\n  endpoints: [\"" << etcd_.endpoint() << "\"]\n"
      << "registration:\n  prefix: " << prefix << "\n  leaseTTL: 10s\n"
      << "server:\n  listen: 127.0.0.1:" << r.admin_port << "\n"
      << "metrics:\n  perTargetSeries: never\n";
    if (!dns_server.empty()) c << "probes:\n  dnsServers: [\"" << dns_server << "\"]\n";
    c << "defaults:\n  timeoutSeconds: 2\n  successThreshold: 1\n  failureThreshold: 5\n"
      << "  tcpSocket: {host: 127.0.0.1, port: " << accept_->ports()[0] << "}\n";
    if (probing) {
      c << "  periodSeconds: " << kPeriod << "\n";
    } else {
      c << "  periodSeconds: 3600\n  initialDelaySeconds: 3600\n";
    }
    c << "services:\n  - name: " << kService << "\n" << source_yaml;
  }
  auto p = testing::Process::Start(
      {REGISTRAR_BINARY, "--config", path, "--member-id", name, "--log-level", "info"},
      dir + "/" + name + ".log");
  Require(p.ok(), "registrar: " + p.status().ToString());
  r.process = std::move(*p);
  return r;
}

Row Bench::RunKind(const std::string& kind) {
  Row row;
  row.kind = kind == "http" ? "httpSd" : "dnsSd";
  const int n = args_.targets;
  std::vector<int> base, changed;
  for (int i = 0; i < n; ++i) base.push_back(i);
  // 10% replaced: the first tenth goes, as many new targets come.
  for (int i = n / 10; i < n + n / 10; ++i) changed.push_back(i);

  std::unique_ptr<SdServer> sd;
  std::unique_ptr<DnsServer> dns;
  std::string source, prom_sd, mechanism;
  if (kind == "http") {
    sd = std::make_unique<SdServer>();
    sd->Set(TargetGroupsJson(base));
    source = "    httpSd: {url: \"" + sd->url() + "\", refreshInterval: 1s}\n";
    prom_sd =
        "    http_sd_configs:\n      - url: " + sd->url() + "\n        refresh_interval: 1s\n";
    mechanism = "http";
  } else {
    dns = std::make_unique<DnsServer>();
    dns->Start(SrvRecords(base));
    std::string names;
    for (int i = 0; i < args_.names; ++i) names += (i ? ", " : "") + NameOf(i);
    source = "    dnsSd: {names: [" + names + "], refreshInterval: 1s}\n";
    prom_sd = "    dns_sd_configs:\n      - names: [" + names +
              "]\n        type: SRV\n        refresh_interval: 1s\n";
    mechanism = "dns";
  }
  const std::string prefix = std::string("/services/") + kService + "/";
  KeyWatch keys(*client_, prefix);
  keys.SetWant(Keys(base, prefix));

  // Prometheus discovers only: the target's address kept as `instance`, every
  // scrape (one per hour) sent to a port where nothing listens.
  const MonoTime prom_start = Now();
  PromPeer prom("  - job_name: sd\n    scrape_interval: 1h\n    scrape_timeout: 1s\n" + prom_sd +
                    "    relabel_configs:\n      - source_labels: [__address__]\n"
                    "        target_label: instance\n      - target_label: __address__\n"
                    "        replacement: 127.0.0.1:1\n",
                dns ? dns->address() : "");
  const MonoTime reg_start = Now();
  const std::string dns_server = dns ? dns->server() : "";
  Registrar reg = StartRegistrar(kind + "-keys", "/services/", true, source, dns_server);
  Registrar cpu = StartRegistrar(kind + "-cpu", "/cpu/", false, source, dns_server);

  // Whether Prometheus's active targets are `want`: listed (10 000 targets:
  // megabytes of JSON) only after its scrape pool synced again, which its
  // cheap /metrics tells.
  double synced = -1;
  auto prom_has = [&](const std::set<std::string>& want) {
    const double now_synced = SumSamples(
        prom.Metrics(), "prometheus_target_sync_length_seconds_count", {"scrape_job=\"sd\""});
    if (now_synced == synced) return false;
    synced = now_synced;
    auto active = prom.ActiveInstances();
    return active && *active == want;
  };
  // Cold: until every key is in etcd and Prometheus has every active target.
  std::set<std::string> want_prom;
  for (int i : base) want_prom.insert(TargetAddress(i));
  const MonoTime cold_deadline = Now() + seconds(180);
  while ((row.reg_cold < 0 || row.prom_cold < 0) && Now() < cold_deadline) {
    if (row.reg_cold < 0 && keys.matches())
      row.reg_cold = ToSeconds(*keys.matched_at() - reg_start);
    if (row.prom_cold < 0 && prom_has(want_prom)) row.prom_cold = Since(prom_start);
    Require(reg.process->Running() && cpu.process->Running(), "a registrar exited");
    Sleep(milliseconds(100));
  }
  Require(row.reg_cold >= 0,
          row.kind + ": keys incomplete after 180 s (" + std::to_string(keys.size()) + " keys)");
  Require(row.prom_cold >= 0, row.kind + ": Prometheus incomplete after 180 s");
  Sleep(seconds(2));

  // Change: 10% of the targets replaced.
  keys.SetWant(Keys(changed, prefix));
  want_prom.clear();
  for (int i : changed) want_prom.insert(TargetAddress(i));
  const double applied_before =
      reg.Metric("registrar_source_changes_total", {"outcome=\"applied\""});
  if (sd) sd->Set(TargetGroupsJson(changed));
  if (dns) dns->Restart(SrvRecords(changed));
  const MonoTime changed_at = Now();
  const MonoTime change_deadline = Now() + seconds(kChangeDeadline);
  MonoTime next_prom_poll = Now();
  while ((row.reg_applied < 0 || !keys.matches() || row.prom_change < 0) &&
         Now() < change_deadline) {
    if (row.reg_applied < 0 &&
        reg.Metric("registrar_source_changes_total", {"outcome=\"applied\""}) > applied_before) {
      row.reg_applied = Since(changed_at);
    }
    if (row.prom_change < 0 && Now() >= next_prom_poll) {
      if (prom_has(want_prom)) row.prom_change = Since(changed_at);
      next_prom_poll = Now() + milliseconds(100);
    }
    Sleep(milliseconds(20));
  }
  if (!keys.matches()) {
    // A figure, not a crash: say what etcd holds and go on with the rest.
    row.mismatch = keys.Describe();
    std::printf("  %s: etcd's keys do not match the new answer %d s after the change: %s\n",
                row.kind.c_str(), kChangeDeadline, row.mismatch.c_str());
  }
  Require(row.prom_change >= 0, row.kind + ": Prometheus did not follow the change in time");
  if (keys.matched_at()) row.reg_keys = ToSeconds(*keys.matched_at() - changed_at);
  if (keys.extras_gone_at()) row.reg_removed = ToSeconds(*keys.extras_gone_at() - changed_at);
  // Past one probe period: the new targets' first probes are done.
  Sleep(seconds(kPeriod + 1));

  // Unchanged answers: refreshes, CPU and etcd writes over the window.
  const std::string refresh_family = "prometheus_sd_refresh_duration_seconds_count";
  const std::string mech = "mechanism=\"" + mechanism + "\"";
  const int64_t rev0 = Revision(), events0 = keys.events();
  const double reg_refresh0 = reg.Metric("registrar_source_refreshes_total");
  const double cpu_refresh0 = cpu.Metric("registrar_source_refreshes_total");
  const double prom_refresh0 = SumSamples(prom.Metrics(), refresh_family, {mech});
  const double reg_cpu0 = CpuSeconds(reg.process->pid()), cpu_cpu0 = CpuSeconds(cpu.process->pid()),
               prom_cpu0 = CpuSeconds(prom.pid());
  const double sd0 = sd ? static_cast<double>(sd->requests()) : 0;
  Sleep(seconds(args_.window));
  const double reg_refreshes = reg.Metric("registrar_source_refreshes_total") - reg_refresh0;
  row.reg_refreshes = cpu.Metric("registrar_source_refreshes_total") - cpu_refresh0;
  row.prom_refreshes = SumSamples(prom.Metrics(), refresh_family, {mech}) - prom_refresh0;
  row.keys_cpu_ms = 1000 * (CpuSeconds(reg.process->pid()) - reg_cpu0) / reg_refreshes;
  row.reg_cpu_ms = 1000 * (CpuSeconds(cpu.process->pid()) - cpu_cpu0) / row.reg_refreshes;
  row.prom_cpu_ms = 1000 * (CpuSeconds(prom.pid()) - prom_cpu0) / row.prom_refreshes;
  row.revisions = Revision() - rev0;
  row.events = keys.events() - events0;
  row.sd_requests = sd ? static_cast<double>(sd->requests()) - sd0 : 0;
  Require(!keys.broken(), "the key watch broke: figures unreliable");
  for (Registrar* r : {&reg, &cpu}) {
    r->process->Signal(SIGTERM);
    if (r->process->Wait(seconds(15)) < 0) r->process->Kill();
  }
  std::printf("  %s done: cold %.2f s / %.2f s, change %.2f s / %.2f s\n", row.kind.c_str(),
              row.reg_cold, row.prom_cold, row.reg_keys, row.prom_change);
  std::fflush(stdout);
  return row;
}

void Bench::Run() {
  auto s = etcd_.Start();
  Require(s.ok(), "etcd: " + s.ToString());
  etcd::ClientOptions options;
  options.endpoints = {etcd_.endpoint()};
  options.request_timeout = seconds(5);
  auto client = etcd::Client::Create(options);
  Require(client.ok(), "etcd client: " + client.status().ToString());
  client_ = *std::move(client);
  accept_ = std::make_unique<AcceptServer>(1);
  std::printf("sources_bench: %d targets, %d SRV names, %d s window of unchanged answers\n",
              args_.targets, args_.names, args_.window);
  std::fflush(stdout);
  for (const std::string kind : {"http", "dns"}) {
    if (args_.only.find(kind) != std::string::npos) rows_.push_back(RunKind(kind));
  }
  Print();
}

void Bench::Print() const {
  // cold: process start → all N (keys in etcd / active targets); applied:
  // change → the source's new list applied; removed: → the replaced targets'
  // keys gone; change: → exactly the new set (added keys need their first
  // probe: a random phase within the 5 s period).
  std::printf("\n%-6s | %-14s | %7s | %9s | %9s | %8s | %9s | %9s | %9s | %6s\n", "source",
              "process", "cold s", "applied s", "removed s", "change s", "refreshes", "CPU ms/r",
              "etcd revs", "events");
  for (const Row& r : rows_) {
    std::printf("%-6s | %-14s | %7.2f | %9.2f | %9.2f | %8.2f | %9.0f | %9.2f | %9lld | %6lld\n",
                r.kind.c_str(), "etcd-registrar", r.reg_cold, r.reg_applied, r.reg_removed,
                r.reg_keys, r.reg_refreshes, r.reg_cpu_ms, static_cast<long long>(r.revisions),
                static_cast<long long>(r.events));
    std::printf("%-6s | %-14s | %7.2f | %9s | %9s | %8.2f | %9.0f | %9.2f | %9s | %6s\n",
                r.kind.c_str(), "prometheus", r.prom_cold, "-", "-", r.prom_change,
                r.prom_refreshes, r.prom_cpu_ms, "-", "-");
  }
  std::printf("\n");
  for (const Row& r : rows_) {
    std::printf(
        "%s, registrar / prometheus: cold x%.2f; change: applied x%.2f, removed x%.2f, all keys "
        "x%.2f; CPU per refresh x%.2f\n",
        r.kind.c_str(), r.reg_cold / r.prom_cold, r.reg_applied / r.prom_change,
        r.reg_removed / r.prom_change, r.reg_keys / r.prom_change, r.reg_cpu_ms / r.prom_cpu_ms);
    std::printf(
        "  unchanged answers: %lld etcd revisions, %lld PUT/DELETE events in %d s (must be 0); "
        "the probing registrar: %.2f ms CPU per refresh (%d tcpSocket probes every %d s "
        "included)",
        static_cast<long long>(r.revisions), static_cast<long long>(r.events), args_.window,
        r.keys_cpu_ms, args_.targets, kPeriod);
    if (r.kind == "httpSd") std::printf("; http_sd answers served: %.0f", r.sd_requests);
    std::printf("\n");
    if (!r.mismatch.empty()) {
      std::printf("  NOT MATCHED: %d s after the change etcd held %s (change s -1 = never)\n",
                  kChangeDeadline, r.mismatch.c_str());
    }
  }
}

}  // namespace
}  // namespace registrar::bench

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGINT, registrar::bench::OnSignal);
  ::signal(SIGTERM, registrar::bench::OnSignal);
  registrar::bench::Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--targets") {
      args.targets = std::stoi(value());
    } else if (a == "--names") {
      args.names = std::stoi(value());
    } else if (a == "--window") {
      args.window = std::stoi(value());
    } else if (a == "--log-dir") {
      args.log_dir = value();
    } else if (a == "--only") {
      args.only = value();
    } else if (a == "--quick") {
      args.targets = 1000;
      args.window = 8;
    } else {
      std::fprintf(stderr,
                   "usage: sources_bench [--targets N] [--names N] [--window S] [--only "
                   "http,dns] [--log-dir DIR] [--quick]\n");
      return 2;
    }
  }
  try {
    registrar::bench::Bench(args).Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sources_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
