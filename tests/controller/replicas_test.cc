// Several etcd-registrar processes on one config share the targets (real
// etcd, real binaries, real backends): each target is probed by exactly one
// replica and registered under exactly one replica's lease; kill -9, SIGSTOP,
// rolling restarts and config-changing upgrades never delete a healthy
// target's key (a watch records every event); the last replica's SIGTERM
// removes every key at once.
#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "etcd/client.h"
#include "tests/support/cluster_members.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/etcd_server.h"
#include "tests/support/http_backend.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

using std::chrono::seconds;

constexpr int kBackends = 30;
constexpr int kServices = 10;   // × kBackends = 300 targets
constexpr int kSessionTtl = 2;  // seconds
constexpr int kLeaseTtl = 6;    // seconds
// The least share of the keys each member must hold to count as converged:
// the issue's ±20 %. Bounded loads guarantee at least 90 % of an even share
// with three members (95 % with two), so a run never waits for a balance the
// assignment does not give.
constexpr double kEvenShare = 0.8;

// Records every event under /services/ from the revision it started at.
// `before` (the keys as they were then) lets it tell a put that changes a
// value from one that only moves the key to another lease.
class EventRecorder {
 public:
  EventRecorder(etcd::Client& client, int64_t from,
                const std::map<std::string, etcd::KeyValue>& before = {}) {
    for (const auto& [key, kv] : before) last_value_[key] = kv.value;
    etcd::WatchOptions w;
    w.key = "/services/";
    w.prefix = true;
    w.start_revision = from;
    auto stream = client.OpenWatch(w);
    EXPECT_TRUE(stream.ok()) << stream.status();
    if (stream.ok()) stream_ = std::move(*stream);
    thread_ = std::thread([this] {
      while (!stop_.load() && stream_) {
        auto r = stream_->Next(std::chrono::milliseconds(100));
        if (!r.ok()) {
          if (r.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
          break;
        }
        std::lock_guard lock(mu_);
        for (const auto& e : r->events) {
          if (e.type == etcd::WatchEvent::Type::kDelete) {
            deletes_.push_back(e.kv.key);
          } else {
            ++puts_;
            leases_by_key_[e.kv.key].push_back(e.kv.lease);
            auto [last, first] = last_value_.try_emplace(e.kv.key, e.kv.value);
            if (!first && last->second != e.kv.value) {
              value_changes_.push_back(e.kv.key + ": " + last->second + " → " + e.kv.value);
            }
            last->second = e.kv.value;
          }
        }
      }
    });
  }
  ~EventRecorder() {
    stop_.store(true);
    if (stream_) stream_->Cancel();
    thread_.join();
  }
  std::vector<std::string> deletes() const {
    std::lock_guard lock(mu_);
    return deletes_;
  }
  // Puts that changed a key's value ("key: old → new"). Adoption keeps
  // every value byte-for-byte, so with healthy backends this stays empty.
  std::vector<std::string> value_changes() const {
    std::lock_guard lock(mu_);
    return value_changes_;
  }
  // The most times one key changed lease.
  size_t MaxLeaseChanges() const {
    std::lock_guard lock(mu_);
    size_t most = 0;
    for (const auto& [key, leases] : leases_by_key_) {
      size_t changes = 0;
      for (size_t i = 1; i < leases.size(); ++i) changes += leases[i] != leases[i - 1] ? 1 : 0;
      most = std::max(most, changes);
    }
    return most;
  }

 private:
  std::unique_ptr<etcd::WatchStream> stream_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> deletes_;
  std::map<std::string, std::vector<int64_t>> leases_by_key_;
  std::map<std::string, std::string> last_value_;
  std::vector<std::string> value_changes_;
  int64_t puts_ = 0;
};

class Replicas : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartEtcd());
    ASSERT_NO_FATAL_FAILURE(ReadFrom(endpoints_));
    for (int i = 0; i < kBackends; ++i) backends_.push_back(std::make_unique<HttpBackend>());
  }

  // The test's own reads and watches (reader_) go to `endpoints`.
  void ReadFrom(const std::vector<std::string>& endpoints) {
    etcd::ClientOptions options;
    options.endpoints = endpoints;
    options.request_timeout = seconds(2);
    auto client = etcd::Client::Create(options);
    ASSERT_TRUE(client.ok()) << client.status();
    reader_ = *std::move(client);
  }

  // One etcd member; ReplicasOnThreeEtcdMembers starts a cluster instead.
  virtual void StartEtcd() {
    ASSERT_TRUE(etcd_.Start().ok()) << etcd_.log();
    endpoints_ = {etcd_.endpoint()};
  }

  // Services s<n> for each n of `services`, every backend in each.
  std::string WriteConfig(const std::string& name, const std::string& replica,
                          const std::vector<int>& services) {
    const std::string path = dir_.File(name + ".yaml");
    std::ofstream c(path);
    c << "etcd:\n  endpoints: [";
    for (size_t i = 0; i < endpoints_.size(); ++i)
      c << (i ? ", \"" : "\"") << endpoints_[i] << "\"";
    c << "]\n"
      << "registration:\n  prefix: /services/\n  format: json\n  leaseTTL: " << kLeaseTtl << "s\n"
      << "cluster:\n  sessionTTL: " << kSessionTtl << "s\n  handoverTimeout: 10s\n"
      << "server:\n  listen: 127.0.0.1:" << FreePort()
      << "\n"
      // Generous timeout and threshold: on a loaded machine a slow answer must
      // not look like a failing backend (these tests are about the registrar).
      << "defaults:\n  periodSeconds: 2\n  timeoutSeconds: 1.5\n  failureThreshold: 10\n"
      << "services:\n";
    for (int s : services) {
      c << "  - name: s" << s << "\n    probe:\n      httpGet:\n        path: /h/s" << s
        << "\n        httpHeaders: [{name: X-Replica, value: " << replica << "}]\n"
        << "    endpoints: [";
      for (int b = 0; b < kBackends; ++b) {
        c << (b ? ", " : "") << "\"" << backends_[b]->address() << "\"";
      }
      c << "]\n";
    }
    return path;
  }

  // Starts replicas r0, r1 and r2 on the whole config and waits until they
  // share it (at least 80 % of the targets registered).
  void StartThree(std::unique_ptr<Process>& r0, std::unique_ptr<Process>& r1,
                  std::unique_ptr<Process>& r2) {
    r0 = Start("r0");
    r1 = Start("r1");
    r2 = Start("r2");
    ASSERT_TRUE(
        WaitFor([&] { return Converged(kBackends * kServices, 3, kEvenShare); }, seconds(60)))
        << Logs({r0.get(), r1.get(), r2.get()});
  }

  // Replica `id` on services s0..s<kServices-1>, or on `services`.
  std::unique_ptr<Process> Start(const std::string& id, std::vector<int> services = {}) {
    if (services.empty()) {
      for (int s = 0; s < kServices; ++s) services.push_back(s);
    }
    const std::string config = WriteConfig(id, id, services);
    auto p = Process::Start({REGISTRAR_BINARY, "--config", config, "--member-id", id},
                            dir_.File(id + ".log"));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }

  std::map<std::string, etcd::KeyValue> Keys() {
    etcd::RangeOptions options;
    options.prefix = true;
    auto r = reader_->Range("/services/", options);
    std::map<std::string, etcd::KeyValue> out;
    if (r.ok()) {
      for (auto& kv : r->kvs) out[kv.key] = kv;
    }
    return out;
  }

  // member id → its registration lease.
  std::map<std::string, int64_t> Members() { return ReadMemberLeases(*reader_); }

  // Every one of `want` keys exists, each under the lease of one of exactly
  // `members` live members, none of which holds fewer than `min_share` keys.
  bool Converged(size_t want, size_t members, double min_share = 0) {
    const auto m = Members();
    if (m.size() != members) return false;
    std::map<int64_t, size_t> per_lease;
    for (const auto& [id, lease] : m) per_lease[lease] = 0;
    const auto keys = Keys();
    if (keys.size() != want) return false;
    for (const auto& [key, kv] : keys) {
      auto it = per_lease.find(kv.lease);
      if (it == per_lease.end()) return false;
      ++it->second;
    }
    for (const auto& [lease, n] : per_lease) {
      if (n < min_share * static_cast<double>(want) / static_cast<double>(members)) return false;
    }
    return true;
  }

  int64_t Revision() {
    etcd::RangeOptions options;
    options.count_only = true;
    auto r = reader_->Range("/", options);
    return r.ok() ? r->revision : 0;
  }

  // Issue 22: every ownership change adopts values as they are (json's
  // registeredAt included): consumers see 0 value changes.
  static void ExpectNoValueChanged(const EventRecorder& events) {
    const auto changed = events.value_changes();
    EXPECT_TRUE(changed.empty()) << changed.size() << " values changed, e.g. " << changed.front();
  }

  std::string Logs(const std::vector<Process*>& ps) {
    std::string out;
    for (auto* p : ps) out += p->Log().substr(p->Log().size() > 4000 ? p->Log().size() - 4000 : 0);
    return out;
  }

  EtcdServer etcd_;
  std::vector<std::string> endpoints_;
  TempDir dir_;
  std::unique_ptr<etcd::Client> reader_;
  std::vector<std::unique_ptr<HttpBackend>> backends_;
};

constexpr size_t kTargets = kBackends * kServices;

TEST_F(Replicas, ThreeReplicasShareThreeHundredTargetsEachProbedAndRegisteredByExactlyOne) {
  std::unique_ptr<Process> r0, r1, r2;
  ASSERT_NO_FATAL_FAILURE(StartThree(r0, r1, r2));
  // Once every replica's view has caught up with the others (the registry shows
  // three members before each replica has read all of them), a window of
  // probes shows every target probed by exactly one replica.
  std::map<std::string, size_t> probed_by;
  std::string overlap;
  auto one_window = [&] {
    for (auto& b : backends_) b->ResetHits();
    // Every target probed a few times since the reset...
    if (!WaitFor(
            [&] {
              for (auto& b : backends_) {
                std::map<std::string, int64_t> per_path;
                for (const auto& [k, n] : b->HitsByPathAndReplica())
                  per_path[k.substr(0, k.find(' '))] += n;
                if (per_path.size() != kServices) return false;
                for (const auto& [path, n] : per_path) {
                  if (n < 3) return false;
                }
              }
              return true;
            },
            seconds(30))) {
      overlap = "not every target was probed three times in 30 s";
      return false;
    }
    // ...each by exactly one replica.
    probed_by.clear();
    overlap.clear();
    for (auto& b : backends_) {
      std::map<std::string, std::set<std::string>> replicas_of_path;
      for (const auto& [k, n] : b->HitsByPathAndReplica()) {
        replicas_of_path[k.substr(0, k.find(' '))].insert(k.substr(k.find(' ') + 1));
      }
      for (const auto& [path, replicas] : replicas_of_path) {
        if (replicas.size() != 1) overlap += b->address() + path + " ";
        ++probed_by[*replicas.begin()];
      }
    }
    return overlap.empty();
  };
  ASSERT_TRUE(WaitFor(one_window, seconds(90))) << "probed by more than one replica: " << overlap;
  // The replicas share the targets evenly, within the issue's ±20 % whatever
  // the target ids (they come from random ports): pure rendezvous hashing
  // misses that in a few percent of runs (σ ≈ 8 of 100), bounded loads keep
  // every share within ±10 %.
  ASSERT_EQ(probed_by.size(), 3u);
  for (const auto& [replica, n] : probed_by) {
    EXPECT_NEAR(static_cast<double>(n), kTargets / 3.0, kTargets / 3.0 * 0.2) << replica;
  }
  EXPECT_TRUE(WaitFor([&] { return Converged(kTargets, 3, kEvenShare); }, seconds(30)));
}

TEST_F(Replicas, KillNineOfOneReplicaDeletesNoKeyAndItsTargetsAreAdoptedInTime) {
  std::unique_ptr<Process> r0, r1, r2;
  ASSERT_NO_FATAL_FAILURE(StartThree(r0, r1, r2));
  EventRecorder events(*reader_, Revision() + 1, Keys());
  r2->Signal(SIGKILL);
  r2->Wait(seconds(5));
  const MonoTime killed = RealClock().Now();
  ASSERT_TRUE(WaitFor([&] { return Converged(kTargets, 2); }, seconds(30)))
      << Logs({r0.get(), r1.get()});
  const Duration took = RealClock().Now() - killed;
  std::printf("orphans owned %.2fs after kill -9 (session TTL %ds, lease TTL %ds)\n",
              ToSeconds(took), kSessionTtl, kLeaseTtl);
  // Before the dead replica's registrations could expire: no gap.
  EXPECT_LT(took, seconds(kLeaseTtl));
  EXPECT_TRUE(events.deletes().empty())
      << events.deletes().size() << " keys deleted, first " << events.deletes().front();
  ExpectNoValueChanged(events);
}

TEST_F(Replicas, AReplicaPausedLongerThanItsSessionLosesNoKeyAndRejoinsWithoutPingPong) {
  std::unique_ptr<Process> r0, r1, r2;
  ASSERT_NO_FATAL_FAILURE(StartThree(r0, r1, r2));
  EventRecorder events(*reader_, Revision() + 1, Keys());
  r1->Signal(SIGSTOP);
  ASSERT_TRUE(WaitFor([&] { return Converged(kTargets, 2); }, seconds(30)))
      << Logs({r0.get(), r2.get()});
  ASSERT_FALSE(WaitFor([] { return false; }, seconds(3 * kSessionTtl)));  // paused 3 × session TTL
  r1->Signal(SIGCONT);
  ASSERT_TRUE(WaitFor([&] { return Converged(kTargets, 3, kEvenShare); }, seconds(60)))
      << Logs({r0.get(), r1.get(), r2.get()});
  EXPECT_TRUE(events.deletes().empty())
      << events.deletes().size() << " keys deleted, first " << events.deletes().front() << "\n"
      << Logs({r0.get(), r1.get(), r2.get()});
  // Each key moved at most twice: to its adopter, and back when r1 rejoined.
  EXPECT_LE(events.MaxLeaseChanges(), 2u);
  ExpectNoValueChanged(events);
  EXPECT_NE(r1->Log().find("joined as r1"), std::string::npos);
}

TEST_F(Replicas, RollingRestartOfAllThreeLeavesNoGapAndTheLastSigtermRemovesEveryKey) {
  std::vector<std::unique_ptr<Process>> old;
  for (int i = 0; i < 3; ++i) old.push_back(Start("old" + std::to_string(i)));
  ASSERT_TRUE(WaitFor([&] { return Converged(kTargets, 3, kEvenShare); }, seconds(60)));
  EventRecorder events(*reader_, Revision() + 1, Keys());
  std::vector<std::unique_ptr<Process>> fresh;
  for (int i = 0; i < 3; ++i) {
    fresh.push_back(Start("new" + std::to_string(i)));
    ASSERT_TRUE(WaitFor([&] { return Converged(kTargets, 4); }, seconds(60)))
        << Logs({fresh.back().get()});
    old[i]->Signal(SIGTERM);
    EXPECT_EQ(old[i]->Wait(seconds(30)), 0) << old[i]->Log();
    ASSERT_TRUE(WaitFor([&] { return Converged(kTargets, 3); }, seconds(30)));
  }
  EXPECT_TRUE(events.deletes().empty()) << events.deletes().size() << " keys deleted";
  ExpectNoValueChanged(events);
  // Scale to zero: the first two hand over, the last one revokes.
  fresh[0]->Signal(SIGTERM);
  EXPECT_EQ(fresh[0]->Wait(seconds(30)), 0);
  fresh[1]->Signal(SIGTERM);
  EXPECT_EQ(fresh[1]->Wait(seconds(30)), 0);
  ASSERT_TRUE(WaitFor([&] { return Converged(kTargets, 1); }, seconds(30)));
  EXPECT_TRUE(events.deletes().empty());
  // Their logs say what happened: handed over, and no "every key is gone".
  for (int i = 0; i < 2; ++i) {
    EXPECT_NE(fresh[i]->Log().find("handed over"), std::string::npos) << fresh[i]->Log();
    EXPECT_EQ(fresh[i]->Log().find("every key of ours is gone"), std::string::npos)
        << fresh[i]->Log();
  }
  fresh[2]->Signal(SIGTERM);
  EXPECT_EQ(fresh[2]->Wait(seconds(30)), 0) << fresh[2]->Log();
  EXPECT_NE(fresh[2]->Log().find("every key of ours is gone"), std::string::npos)
      << fresh[2]->Log();
  EXPECT_TRUE(Keys().empty());  // no wait: revoked, not expired
  EXPECT_TRUE(Members().empty());
}

// While old and new members run side by side, the members on the newest
// config (the most recently joined member's) own the targets: the new ones get
// keys, the shared ones keep theirs (adopted, never deleted). The keys of
// targets only in the old config stay under the old members' leases until
// those members are gone, then expire: the cluster converges to the new set.
TEST_F(Replicas, AnUpgradeThatChangesTheTargetListKeepsTheKeysOfTargetsInBoth) {
  // Old config: s0..s9. New config: s0..s7 and s10..s11 (s8, s9 removed).
  static_assert(kServices == 10);
  const std::vector<int> kNewServices = {0, 1, 2, 3, 4, 5, 6, 7, 10, 11};
  auto old0 = Start("old0");
  auto old1 = Start("old1");
  ASSERT_TRUE(WaitFor([&] { return Converged(kTargets, 2, 0.8); }, seconds(60)));
  EventRecorder events(*reader_, Revision() + 1, Keys());
  auto only_in = [](const std::string& key, std::initializer_list<int> services) {
    for (int s : services) {
      if (key.starts_with("/services/s" + std::to_string(s) + "/")) return true;
    }
    return false;
  };
  auto count = [&](std::initializer_list<int> services) {
    size_t n = 0;
    for (const auto& [key, kv] : Keys()) n += only_in(key, services) ? 1 : 0;
    return n;
  };
  auto new0 = Start("new0", kNewServices);
  // The new member's targets get keys while the old members still run.
  ASSERT_TRUE(WaitFor(
      [&] {
        return count({10, 11}) == 2 * kBackends;
      },
      seconds(60)))
      << Logs({new0.get()});
  old0->Signal(SIGTERM);
  EXPECT_EQ(old0->Wait(seconds(30)), 0);
  auto new1 = Start("new1", kNewServices);
  old1->Signal(SIGTERM);
  EXPECT_EQ(old1->Wait(seconds(30)), 0);
  // With the old members gone, their leftover keys expire and the two new
  // members share exactly the new set.
  ASSERT_TRUE(WaitFor(
      [&] {
        return count({8, 9}) == 0 && Converged(kTargets, 2, 0.8);
      },
      seconds(60)))
      << Keys().size() << " keys, " << count({8, 9}) << " of s8/s9, " << Members().size()
      << " members\n"
      << Logs({new0.get(), new1.get()});
  for (const auto& key : events.deletes()) {
    EXPECT_TRUE(only_in(key, {8, 9})) << key << " is in both configs and lost its key";
  }
  ExpectNoValueChanged(events);
}

// The replicas on a 3-member etcd cluster, for faults of etcd itself.
class ReplicasOnThreeEtcdMembers : public Replicas {
 protected:
  void StartEtcd() override {
    ASSERT_TRUE(cluster_.Start().ok());
    endpoints_ = cluster_.endpoints();
  }
  // The test's own reads and watch go to `member` only, one that the test
  // leaves alone, so they see every event whatever happens to the others.
  void ReadFrom(int member) { Replicas::ReadFrom({cluster_.endpoint(member)}); }
  // A key deleted while every backend stayed healthy is a gap.
  void ExpectNoKeyDeleted(const EventRecorder& events) {
    const auto deleted = events.deletes();
    EXPECT_TRUE(deleted.empty()) << deleted.size() << " keys deleted, e.g. " << deleted.front();
  }
  EtcdCluster cluster_;
};

// The member the replicas talk to first hangs (SIGSTOP: connections stay open,
// nothing answers) for 30 s, five times the 6 s lease TTL: they move to the
// other members well inside the TTL and no key is lost.
TEST_F(ReplicasOnThreeEtcdMembers, AHungEtcdMemberForFiveTtlsLosesNoKey) {
  auto r0 = Start("r0");
  auto r1 = Start("r1");
  ASSERT_TRUE(WaitFor([&] { return Converged(kTargets, 2, 0.8); }, seconds(60)))
      << Logs({r0.get(), r1.get()});
  ASSERT_NO_FATAL_FAILURE(ReadFrom(2));
  EventRecorder events(*reader_, Revision() + 1, Keys());
  cluster_.Pause(0);
  const auto until = std::chrono::steady_clock::now() + seconds(30);
  size_t fewest = kTargets;
  int reads = 0;
  while (std::chrono::steady_clock::now() < until) {
    // A read that fails (the paused member was the leader: no linearizable
    // read until another is elected) says nothing about the keys: skipped.
    etcd::RangeOptions count;
    count.prefix = true;
    count.count_only = true;
    if (auto r = reader_->Range("/services/", count); r.ok()) {
      fewest = std::min(fewest, static_cast<size_t>(r->count));
      ++reads;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  cluster_.Resume(0);
  EXPECT_GE(reads, 30) << "the member read from must answer through the pause";
  EXPECT_EQ(fewest, kTargets) << Logs({r0.get(), r1.get()});
  ASSERT_TRUE(WaitFor([&] { return Converged(kTargets, 2, 0.8); }, seconds(60)))
      << Logs({r0.get(), r1.get()});
  ExpectNoKeyDeleted(events);
  EXPECT_TRUE(r0->Running() && r1->Running());
}

// The etcd leader is killed (-9) while the replicas run, and then one replica
// is killed too: a new leader takes over and the survivor adopts the dead
// replica's targets. A key may be missing while etcd elects a leader, but
// never for longer than the lease TTL.
TEST_F(ReplicasOnThreeEtcdMembers, AKilledEtcdLeaderAndThenAKilledReplicaLeaveNoGapOverTheTtl) {
  auto r0 = Start("r0");
  auto r1 = Start("r1");
  ASSERT_TRUE(WaitFor([&] { return Converged(kTargets, 2, 0.8); }, seconds(60)))
      << Logs({r0.get(), r1.get()});
  auto leader = cluster_.Leader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  ASSERT_NO_FATAL_FAILURE(ReadFrom((*leader + 1) % 3));
  const auto before = Keys();
  ASSERT_EQ(before.size(), kTargets);
  cluster_.Kill(*leader);
  ASSERT_TRUE(cluster_.WaitHealthy().ok());
  r1->Kill();
  using Clock = std::chrono::steady_clock;
  std::map<std::string, Clock::time_point> missing_since;
  Clock::duration longest{};
  const auto deadline = Clock::now() + seconds(60);
  bool converged = false;
  while (!converged && Clock::now() < deadline) {
    const auto now_keys = Keys();
    const auto now = Clock::now();
    for (const auto& [key, kv] : before) {
      if (now_keys.count(key)) {
        missing_since.erase(key);
      } else {
        longest = std::max(longest, now - missing_since.emplace(key, now).first->second);
      }
    }
    converged = Converged(kTargets, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(converged) << Logs({r0.get()});
  EXPECT_LE(longest, seconds(kLeaseTtl))
      << "a key was missing for "
      << std::chrono::duration_cast<std::chrono::milliseconds>(longest).count() << " ms";
  EXPECT_TRUE(r0->Running());
}

}  // namespace
}  // namespace registrar::testing
