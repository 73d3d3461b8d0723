// High-availability benchmark: real etcd-registrar processes sharing one
// config, against a real etcd, on loopback. Prints figures; not a test.
//
//   1. 3 replicas, N tcpSocket targets (S services × E endpoints, the same E
//      listening sockets in every service), until every key exists, spread
//      over the 3 members' leases;
//   2. kill -9 of one replica (R rounds): time until no key is left under the
//      dead replica's lease, DELETE events meanwhile (must be 0), etcd writes
//      (PUT events, revision delta); the replica restarts (same member id)
//      and the cluster converges before the next round;
//   3. rolling restart: per replica start a new one, wait for its /readyz,
//      SIGTERM the old one, wait for its exit; total time, DELETEs, PUTs;
//   4. steady etcd load with 3, 2, 1 replicas (sum of the replicas'
//      registrar_etcd_requests_total, etcd's revision delta, etcd's own
//      request count);
//   5. the peer in the same run: one registrar alone, kill -9 and restarted
//      as a supervisor would (after each --single-restart-delays): keys
//      absent and for how long.
//
//   takeover_bench [--targets 10000] [--endpoints 100] [--rounds 3]
//                  [--steady-seconds 20] [--settle-seconds 10]
//                  [--single-restart-delays 0,15] [--log-dir DIR] [--quick]
//
// Every wait has a deadline; a failed one (or SIGINT/SIGTERM) ends the run
// with the replicas' log tails, and every child (etcd, registrars) is killed
// on the way out.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/common/args.h"
#include "bench/common/metrics_text.h"
#include "bench/replicas/accept_server.h"
#include "bench/replicas/key_tracker.h"
#include "etcd/client.h"
#include "httplib.h"
#include "tests/support/cluster_members.h"
#include "tests/support/etcd_server.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace registrar::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPrefix[] = "/services/";
constexpr int kLeaseTtl = 10;   // seconds
constexpr int kSessionTtl = 3;  // seconds
constexpr int kPeriod = 5;      // seconds
constexpr int kReplicas = 3;
// "Converged": every member holds at least this share of an even split.
constexpr double kBalanced = 0.8;

std::atomic<int> g_signal{0};
extern "C" void OnSignal(int sig) { g_signal.store(sig); }

struct Args {
  int targets = 10000;
  int endpoints = 100;
  int rounds = 3;
  int steady_seconds = 20;
  int settle_seconds = 10;
  std::vector<int> single_delays = {0, 15};
  std::string log_dir;
};

double Seconds(Duration d) { return ToSeconds(d); }
MonoTime Now() { return RealClock().Now(); }

// Polls `cond` every `poll` until true (→ true) or `timeout` (→ false);
// throws when the benchmark was interrupted.
bool Until(const std::function<bool()>& cond, Duration timeout, Duration poll = milliseconds(20)) {
  const MonoTime deadline = Now() + timeout;
  while (true) {
    if (g_signal.load() != 0) throw std::runtime_error("interrupted");
    if (cond()) return true;
    if (Now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}
void Pause(Duration d) {
  Until([] { return false; }, d, milliseconds(50));
}

struct Replica {
  std::string id;
  int port = 0;
  std::unique_ptr<testing::Process> process;
};

class Bench {
 public:
  explicit Bench(const Args& args) : args_(args) {}

  void Run();
  // The last lines of every replica's log (for a failure report).
  std::string LogTails() const;

 private:
  // Setup.
  void StartEtcd();
  void WriteConfig(const std::vector<int>& ports);
  Replica StartReplica(const std::string& id);
  // Reads.
  std::map<std::string, int64_t> Members();  // member id → registration lease
  int64_t Revision();
  bool Converged(size_t members, double min_share);
  double RegistrarRequests(const std::vector<Replica*>& replicas);
  double EtcdRequests();
  int Readyz(const Replica& r);
  void Require(bool ok, const std::string& what);
  int64_t LeaseOf(const std::string& id);
  void PrintShares();

  // Phases.
  void ColdStart();
  void Takeovers();
  void RollingRestart();
  void SteadyLoad();
  void SingleRegistrar();
  void Summary();

  const Args args_;
  std::unique_ptr<testing::TempDir> dir_;
  std::string log_dir_;
  std::string config_;
  testing::EtcdServer etcd_;
  std::unique_ptr<etcd::Client> reader_;
  std::unique_ptr<AcceptServer> backends_;
  std::unique_ptr<KeyTracker> keys_;
  std::vector<Replica> replicas_;  // the live ones
  std::vector<Replica> retired_;   // exited, kept for their logs
  size_t want_ = 0;
  int generation_ = 0;

  // Figures.
  std::vector<double> takeover_s_;
  std::vector<size_t> takeover_absent_;  // most keys absent at once, kill → rejoined
  std::vector<int64_t> takeover_deletes_, takeover_puts_, takeover_revs_;
  struct SingleRow {
    int delay;
    double recovered_s;
    size_t max_absent;
    double absent_s;
  };
  std::vector<SingleRow> single_;
};

void Bench::Require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

void Bench::StartEtcd() {
  auto s = etcd_.Start();
  Require(s.ok(), "etcd: " + s.ToString());
  etcd::ClientOptions options;
  options.endpoints = {etcd_.endpoint()};
  options.request_timeout = seconds(5);
  auto client = etcd::Client::Create(options);
  Require(client.ok(), "etcd client: " + client.status().ToString());
  reader_ = *std::move(client);
}

void Bench::WriteConfig(const std::vector<int>& ports) {
  config_ = log_dir_ + "/registrar.yaml";
  std::ofstream c(config_);
  c << "etcd:\n  endpoints: [\"" << etcd_.endpoint()
    << "\"]\n"
    // json values carry registeredAt: adoption must keep it (0 value changes).
    << "registration:\n  prefix: " << kPrefix << "\n  format: json\n  leaseTTL: " << kLeaseTtl
    << "s\n"
    << "cluster:\n  sessionTTL: " << kSessionTtl
    << "s\n"
    // A generous timeout and threshold: on a loaded 2-core machine a slow
    // accept must not look like a failing backend (this measures takeovers).
    << "defaults:\n  periodSeconds: " << kPeriod
    << "\n  timeoutSeconds: 2\n  failureThreshold: 5\n  tcpSocket: {}\n"
    << "services:\n";
  const int services = args_.targets / args_.endpoints;
  for (int s = 0; s < services; ++s) {
    c << "  - name: s" << s << "\n    endpoints: [";
    for (size_t e = 0; e < ports.size(); ++e) {
      c << (e ? ", " : "") << "\"127.0.0.1:" << ports[e] << "\"";
    }
    c << "]\n";
  }
  Require(c.good(), "cannot write " + config_);
}

Replica Bench::StartReplica(const std::string& id) {
  Replica r;
  r.id = id;
  r.port = testing::FreePort();
  auto p = testing::Process::Start({REGISTRAR_BINARY, "--config", config_, "--member-id", id,
                                    "--listen", "127.0.0.1:" + std::to_string(r.port)},
                                   log_dir_ + "/" + id + ".log");
  Require(p.ok(), "start " + id + ": " + p.status().ToString());
  r.process = *std::move(p);
  return r;
}

std::map<std::string, int64_t> Bench::Members() { return testing::ReadMemberLeases(*reader_); }

int64_t Bench::LeaseOf(const std::string& id) {
  const auto m = Members();
  auto it = m.find(id);
  return it == m.end() ? 0 : it->second;
}

int64_t Bench::Revision() {
  etcd::RangeOptions options;
  options.count_only = true;
  auto r = reader_->Range("/", options);
  return r.ok() ? r->revision : 0;
}

// Every key exists, each under the lease of one of exactly `members` live
// members, none holding fewer than `min_share` of an even share, and no key
// changed for a second (a rebalance writes its Txns back to back, so a
// quiet second means it is over).
bool Bench::Converged(size_t members, double min_share) {
  if (keys_->broken()) throw std::runtime_error("the watch of " + std::string(kPrefix) + " broke");
  if (keys_->size() != want_ || Now() - keys_->last_event_at() < seconds(1)) return false;
  const auto m = Members();
  if (m.size() != members) return false;
  const auto per_lease = keys_->PerLease();
  size_t covered = 0;
  for (const auto& [id, lease] : m) {
    auto it = per_lease.find(lease);
    const size_t n = it == per_lease.end() ? 0 : it->second;
    if (n < min_share * static_cast<double>(want_) / static_cast<double>(members)) return false;
    covered += n;
  }
  return covered == want_;
}

void Bench::PrintShares() {
  const auto per_lease = keys_->PerLease();
  std::printf("  keys per member:");
  for (const auto& [id, lease] : Members()) {
    auto it = per_lease.find(lease);
    std::printf(" %s=%zu", id.c_str(), it == per_lease.end() ? size_t{0} : it->second);
  }
  std::printf("\n");
}

double Bench::RegistrarRequests(const std::vector<Replica*>& replicas) {
  double total = 0;
  for (const Replica* r : replicas) {
    httplib::Client http("127.0.0.1", r->port);
    http.set_read_timeout(5, 0);
    auto res = http.Get("/metrics");
    Require(res && res->status == 200, "cannot read /metrics of " + r->id);
    total += SumSamples(res->body, "registrar_etcd_requests_total");
  }
  return total;
}

double Bench::EtcdRequests() {
  httplib::Client http("127.0.0.1", etcd_.port());
  http.set_read_timeout(5, 0);
  auto res = http.Get("/metrics");
  Require(res && res->status == 200, "cannot read etcd's /metrics");
  return SumSamples(res->body, "grpc_server_handled_total", {"grpc_type=\"unary\""}) +
         SumSamples(res->body, "grpc_server_msg_received_total", {"grpc_type=\"bidi_stream\""});
}

int Bench::Readyz(const Replica& r) {
  httplib::Client http("127.0.0.1", r.port);
  http.set_connection_timeout(1, 0);
  http.set_read_timeout(2, 0);
  auto res = http.Get("/readyz");
  return res ? res->status : 0;
}

std::string Bench::LogTails() const {
  std::string out;
  auto tail = [&](const Replica& r) {
    const std::string log = r.process ? r.process->Log() : "";
    out += "--- " + r.id + " (last 1500 bytes)\n" +
           log.substr(log.size() > 1500 ? log.size() - 1500 : 0) + "\n";
  };
  for (const auto& r : replicas_) tail(r);
  for (const auto& r : retired_) tail(r);
  return out;
}

void Bench::ColdStart() {
  const MonoTime start = Now();
  for (int i = 0; i < kReplicas; ++i) replicas_.push_back(StartReplica("r" + std::to_string(i)));
  Require(Until([&] { return Converged(kReplicas, kBalanced); }, seconds(240), milliseconds(200)),
          "cold start: not every key under the 3 members' leases after 240 s (" +
              std::to_string(keys_->size()) + " keys)");
  std::printf("cold start: %zu keys over %d members in %.2f s\n", want_, kReplicas,
              Seconds(keys_->last_event_at() - start));
  PrintShares();
  std::fflush(stdout);
}

void Bench::Takeovers() {
  std::printf("\n## Takeover after kill -9 (%d rounds)\n", args_.rounds);
  std::printf("%5s | %6s | %8s | %10s | %7s | %6s | %9s | %12s | %13s | %12s\n", "round", "victim",
              "orphans", "adopted s", "DELETEs", "PUTs", "revisions", "PUTs +period",
              "value changes", "rebalanced s");
  for (int round = 0; round < args_.rounds; ++round) {
    Replica& victim = replicas_[static_cast<size_t>(round) % replicas_.size()];
    const int64_t dead_lease = LeaseOf(victim.id);
    Require(dead_lease != 0, "no member key for " + victim.id);
    const size_t orphans = keys_->CountUnder(dead_lease);
    // Events are counted by revision (> rev_before), so a watch that lags
    // behind still counts every one of them.
    const int64_t rev_before = Revision();
    keys_->ResetGap();
    const MonoTime killed = Now();
    victim.process->Signal(SIGKILL);
    Require(victim.process->Wait(seconds(5)) >= 0, "kill -9 did not end " + victim.id);
    const bool adopted =
        Until([&] { return keys_->CountUnder(dead_lease) == 0; }, seconds(60), milliseconds(5));
    const double took = Seconds(Now() - killed);
    Require(adopted, "round " + std::to_string(round) + ": " +
                         std::to_string(keys_->CountUnder(dead_lease)) +
                         " keys still under the dead replica's lease after 60 s");
    // What the takeover wrote; then what followed within one probe period
    // (the new owners' own verdicts).
    const KeyTracker::Events at = keys_->Since(rev_before);
    const int64_t revs = Revision() - rev_before;
    Pause(seconds(kPeriod));
    const KeyTracker::Events later = keys_->Since(rev_before);
    // Restart it as a new process with the same member id.
    const MonoTime restarted = Now();
    retired_.push_back(Replica{victim.id, victim.port, std::move(victim.process)});
    victim = StartReplica(victim.id);
    Require(Until([&] { return Converged(kReplicas, kBalanced); }, seconds(120), milliseconds(100)),
            "round " + std::to_string(round) + ": no convergence after the restart");
    const double rejoin = std::max(0.0, Seconds(keys_->last_event_at() - restarted));
    const KeyTracker::Events rejoined = keys_->Since(rev_before);
    std::printf("%5d | %6s | %8zu | %10.3f | %7lld | %6lld | %9lld | %12lld | %13lld | %12.2f\n",
                round + 1, victim.id.c_str(), orphans, took, static_cast<long long>(later.deletes),
                static_cast<long long>(at.puts), static_cast<long long>(revs),
                static_cast<long long>(later.puts - at.puts),
                static_cast<long long>(rejoined.value_changes), rejoin);
    for (const auto& k : later.deleted) std::printf("        DELETED %s\n", k.c_str());
    const KeyTracker::Gap gap = keys_->gap();
    if (gap.max_absent > 0) {
      std::printf("        keys absent: up to %zu for %.3f s\n", gap.max_absent, Seconds(gap.span));
    }
    std::fflush(stdout);
    takeover_s_.push_back(took);
    takeover_deletes_.push_back(later.deletes);
    takeover_absent_.push_back(gap.max_absent);
    takeover_puts_.push_back(at.puts);
    takeover_revs_.push_back(revs);
  }
}

template <typename T>
T P50(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? T{} : v[(v.size() - 1) / 2];
}
template <typename T>
T Max(const std::vector<T>& v) {
  return v.empty() ? T{} : *std::max_element(v.begin(), v.end());
}

void Bench::RollingRestart() {
  std::printf("\n## Rolling restart (start new, /readyz 200, SIGTERM old, exit)\n");
  std::printf("%4s | %-8s | %-8s | %8s | %11s\n", "step", "old", "new", "ready s", "handover s");
  ++generation_;
  const int64_t rev_before = Revision();
  keys_->ResetGap();
  const MonoTime start = Now();
  for (size_t i = 0; i < replicas_.size(); ++i) {
    const MonoTime step = Now();
    Replica fresh = StartReplica("r" + std::to_string(i) + "-g" + std::to_string(generation_));
    Require(Until([&] { return Readyz(fresh) == 200; }, seconds(120), milliseconds(100)),
            fresh.id + ": /readyz not 200 after 120 s");
    const double ready = Seconds(Now() - step);
    const MonoTime term = Now();
    Replica old = std::move(replicas_[i]);
    old.process->Signal(SIGTERM);
    const int code = old.process->Wait(seconds(60));
    Require(code >= 0, old.id + " did not exit within 60 s of SIGTERM");
    const double handover = Seconds(Now() - term);
    std::printf("%4zu | %-8s | %-8s | %8.2f | %11.2f%s\n", i + 1, old.id.c_str(), fresh.id.c_str(),
                ready, handover, code == 0 ? "" : ("  exit " + std::to_string(code)).c_str());
    std::fflush(stdout);
    replicas_[i] = std::move(fresh);
    retired_.push_back(std::move(old));
  }
  const double total = Seconds(Now() - start);
  const KeyTracker::Events ev = keys_->Since(rev_before);
  const int64_t revs = Revision() - rev_before;
  const MonoTime done = Now();
  Require(Until([&] { return Converged(kReplicas, kBalanced); }, seconds(120), milliseconds(100)),
          "rolling restart: no convergence after 120 s");
  const double converge = std::max(0.0, Seconds(keys_->last_event_at() - done));
  const KeyTracker::Gap gap = keys_->gap();
  std::printf(
      "total %.2f s (then converged in %.2f s): DELETEs %lld, PUTs %lld (value changes %lld), "
      "revisions %lld, keys absent max %zu\n",
      total, converge, static_cast<long long>(ev.deletes), static_cast<long long>(ev.puts),
      static_cast<long long>(ev.value_changes), static_cast<long long>(revs), gap.max_absent);
  for (const auto& k : ev.deleted) std::printf("        DELETED %s\n", k.c_str());
  PrintShares();
  std::fflush(stdout);
}

void Bench::SteadyLoad() {
  std::printf("\n## Steady load (%d s window after %d s settle; all targets healthy)\n",
              args_.steady_seconds, args_.settle_seconds);
  std::printf("%2s | %16s | %14s | %13s | %15s | %10s\n", "R", "registrar req/s", "per replica/s",
              "revisions/s", "etcd-counted/s", "accepts/s");
  struct Row {
    size_t r;
    double registrar, revisions, etcd, accepts;
  };
  std::vector<Row> rows;
  while (true) {
    Require(Until([&] { return Converged(replicas_.size(), kBalanced); }, seconds(120),
                  milliseconds(100)),
            "steady: no convergence with " + std::to_string(replicas_.size()) + " replicas");
    Pause(seconds(args_.settle_seconds));
    std::vector<Replica*> live;
    for (auto& r : replicas_) live.push_back(&r);
    const double req0 = RegistrarRequests(live);
    const double etcd0 = EtcdRequests();
    const int64_t rev0 = Revision();
    const int64_t acc0 = backends_->accepted();
    const MonoTime t0 = Now();
    Pause(seconds(args_.steady_seconds));
    const double req1 = RegistrarRequests(live);
    const double etcd1 = EtcdRequests();
    const int64_t rev1 = Revision();
    const int64_t acc1 = backends_->accepted();
    const double w = Seconds(Now() - t0);
    Row row{live.size(), (req1 - req0) / w, static_cast<double>(rev1 - rev0) / w,
            (etcd1 - etcd0) / w, static_cast<double>(acc1 - acc0) / w};
    rows.push_back(row);
    std::printf("%2zu | %16.2f | %14.2f | %13.2f | %15.2f | %10.0f\n", row.r, row.registrar,
                row.registrar / static_cast<double>(row.r), row.revisions, row.etcd, row.accepts);
    std::fflush(stdout);
    if (replicas_.size() == 1) break;
    // One fewer: SIGTERM hands its keys over.
    Replica old = std::move(replicas_.back());
    replicas_.pop_back();
    old.process->Signal(SIGTERM);
    Require(old.process->Wait(seconds(60)) >= 0, old.id + " did not exit after SIGTERM");
    retired_.push_back(std::move(old));
  }
  if (rows.size() > 1) {
    const Row& most = rows.front();
    const Row& one = rows.back();
    auto ratio = [](double a, double b) {
      return b > 0 ? "x" + std::to_string(a / b).substr(0, 5) : std::string("- (0 with 1)");
    };
    std::printf(
        "  %zu replicas / 1 (N = %zu each time): etcd-counted req/s %s, registrar req/s %s, "
        "revisions/s %s\n",
        most.r, want_, ratio(most.etcd, one.etcd).c_str(),
        ratio(most.registrar, one.registrar).c_str(), ratio(most.revisions, one.revisions).c_str());
  }
  std::printf(
      "  (registrar req/s = Δ sum of registrar_etcd_requests_total over the live replicas, which "
      "counts unary calls and stream opens, not keepalive messages; etcd-counted = etcd's unary "
      "calls + stream messages, keepalives included)\n");
}

void Bench::SingleRegistrar() {
  std::printf("\n## The peer: one registrar alone, kill -9, restarted as a supervisor would\n");
  std::printf("%15s | %11s | %16s | %10s | %7s | %6s\n", "restart after s", "recovered s",
              "keys absent max", "absent s", "DELETEs", "PUTs");
  for (int delay : args_.single_delays) {
    Require(Until([&] { return Converged(1, 1.0); }, seconds(120), milliseconds(100)),
            "single: no convergence");
    Replica& only = replicas_.front();
    const int64_t old_lease = LeaseOf(only.id);
    const int64_t rev_before = Revision();
    keys_->ResetGap();
    const MonoTime killed = Now();
    only.process->Signal(SIGKILL);
    Require(only.process->Wait(seconds(5)) >= 0, "kill -9 did not end " + only.id);
    Pause(seconds(delay));
    retired_.push_back(Replica{only.id, only.port, std::move(only.process)});
    only = StartReplica(only.id);
    // Recovered: every key present, under the new process's lease.
    const bool ok = Until(
        [&] {
          const int64_t lease = LeaseOf(only.id);
          return lease != 0 && lease != old_lease && keys_->CountUnder(lease) == want_;
        },
        seconds(delay + 120), milliseconds(50));
    Require(ok, "single: not recovered after " + std::to_string(delay + 120) + " s");
    const double recovered = Seconds(Now() - killed);
    const KeyTracker::Gap gap = keys_->gap();
    const KeyTracker::Events ev = keys_->Since(rev_before);
    std::printf("%15d | %11.2f | %16zu | %10.3f | %7lld | %6lld\n", delay, recovered,
                gap.max_absent, Seconds(gap.span), static_cast<long long>(ev.deletes),
                static_cast<long long>(ev.puts));
    std::fflush(stdout);
    single_.push_back({delay, recovered, gap.max_absent, Seconds(gap.span)});
  }
}

void Bench::Summary() {
  std::printf("\n## Summary\n");
  std::printf(
      "takeover after kill -9: p50 %.3f s, max %.3f s (session TTL %d s, lease TTL %d s, "
      "period %d s)\n",
      P50(takeover_s_), Max(takeover_s_), kSessionTtl, kLeaseTtl, kPeriod);
  std::printf("  DELETE events during takeovers: p50 %lld, max %lld (must be 0)\n",
              static_cast<long long>(P50(takeover_deletes_)),
              static_cast<long long>(Max(takeover_deletes_)));
  std::printf(
      "  etcd writes per takeover: PUTs p50 %lld max %lld; revisions p50 %lld max %lld\n",
      static_cast<long long>(P50(takeover_puts_)), static_cast<long long>(Max(takeover_puts_)),
      static_cast<long long>(P50(takeover_revs_)), static_cast<long long>(Max(takeover_revs_)));
  const double ha = std::max(P50(takeover_s_), 1e-9);
  for (const SingleRow& row : single_) {
    std::printf(
        "single registrar restarted after %d s: every key back under its new lease after "
        "%.2f s = %.1f x the HA takeover p50; %zu keys absent for %.3f s (HA: at most %zu)\n",
        row.delay, row.recovered_s, row.recovered_s / ha, row.max_absent, row.absent_s,
        Max(takeover_absent_));
  }
  std::printf(
      "consul-esm: takeover after a crash 30-60 s -- its documented design figure as quoted "
      "in issue 12, NOT measured here\n");
}

void Bench::Run() {
  if (args_.log_dir.empty()) {
    dir_ = std::make_unique<testing::TempDir>();
    log_dir_ = dir_->path();
  } else {
    log_dir_ = args_.log_dir;
  }
  want_ = static_cast<size_t>(args_.targets);
  StartEtcd();
  backends_ = std::make_unique<AcceptServer>(args_.endpoints);
  WriteConfig(backends_->ports());
  keys_ = std::make_unique<KeyTracker>(*reader_, kPrefix, want_);
  std::printf(
      "# etcd-registrar HA benchmark: %d targets (%d services x %d endpoints, tcpSocket, "
      "period %d s), leaseTTL %d s, sessionTTL %d s, %d replicas, one etcd, loopback\n",
      args_.targets, args_.targets / args_.endpoints, args_.endpoints, kPeriod, kLeaseTtl,
      kSessionTtl, kReplicas);
  ColdStart();
  Takeovers();
  RollingRestart();
  SteadyLoad();
  SingleRegistrar();
  const KeyTracker::Events all = keys_->Since(0);
  std::printf("\nwhole run: %lld PUT and %lld DELETE events under %s\n",
              static_cast<long long>(all.puts), static_cast<long long>(all.deletes), kPrefix);
  Summary();
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--quick") {
      a.targets = 1000;
      a.rounds = 1;
      a.steady_seconds = 5;
      a.settle_seconds = 2;
      a.single_delays = {0};
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", flag.c_str());
      std::exit(2);
    }
    const std::string value = argv[++i];
    if (flag == "--targets") {
      a.targets = std::atoi(value.c_str());
    } else if (flag == "--endpoints") {
      a.endpoints = std::atoi(value.c_str());
    } else if (flag == "--rounds") {
      a.rounds = std::atoi(value.c_str());
    } else if (flag == "--steady-seconds") {
      a.steady_seconds = std::atoi(value.c_str());
    } else if (flag == "--settle-seconds") {
      a.settle_seconds = std::atoi(value.c_str());
    } else if (flag == "--single-restart-delays") {
      a.single_delays = ParseIntList(value);
    } else if (flag == "--log-dir") {
      a.log_dir = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  if (a.endpoints <= 0 || a.targets < a.endpoints || a.targets % a.endpoints != 0 || a.rounds < 0) {
    std::fprintf(stderr, "--targets must be a positive multiple of --endpoints\n");
    std::exit(2);
  }
  return a;
}

int Main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  setvbuf(stdout, nullptr, _IOLBF, 0);
  // Everything with a child process lives inside `bench`: on any failure its
  // destructor kills them (Process kills its process group).
  Bench bench(args);
  try {
    bench.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nbenchmark failed: %s\n%s", e.what(), bench.LogTails().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace registrar::bench

int main(int argc, char** argv) { return registrar::bench::Main(argc, argv); }
