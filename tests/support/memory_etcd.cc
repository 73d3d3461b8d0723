#include "tests/support/memory_etcd.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/support/memory_store.h"

namespace registrar::testing {
namespace {

constexpr const char* kLeaseNotFound = "etcdserver: requested lease not found";

struct LeaseState {
  int64_t ttl_seconds = 0;
  MonoTime deadline;
  std::set<std::string> keys;
};

// "etcd Put /a on memory: <what>", as the gRPC client words its errors.
absl::Status Failed(absl::StatusCode code, absl::string_view call, absl::string_view what) {
  return absl::Status(code, absl::StrCat("etcd ", call, " on memory: ", what));
}

// The range of a request's key: empty, a prefix's end, or an explicit end.
std::string EndOf(const std::string& key, bool prefix, const std::string& range_end) {
  return prefix ? etcd::PrefixEnd(key) : range_end;
}

}  // namespace

struct MemoryEtcd::Core {
  struct Fault {
    int calls = 0;
    std::string op;
    absl::Status status;
    bool lose_answer = false;
  };

  Core(Clock& c, Options o) : clock(c), options(o) {}

  // Counts a call of `op`; a hook may fail it now (returned) or after its
  // effect (*lose).
  absl::Status Intercept(std::string_view op, std::optional<absl::Status>* lose) {
    ++calls[std::string(op)];
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (!it->op.empty() && it->op != op) continue;
      Fault fault = *it;
      if (--it->calls <= 0) faults.erase(it);
      if (!fault.lose_answer) return fault.status;
      if (lose != nullptr) *lose = fault.status;
      return absl::OkStatus();
    }
    return absl::OkStatus();
  }

  // Ends every lease whose deadline has passed (etcd's lessor), deleting
  // its keys at one revision.
  void ExpireDue() {
    const MonoTime now = clock.Now();
    for (auto it = leases.begin(); it != leases.end();) {
      if (it->second.deadline <= now) {
        End(it->second);
        it = leases.erase(it);
      } else {
        ++it;
      }
    }
  }

  void End(const LeaseState& lease) {
    store.DeleteKeys(lease.keys);
    changed.notify_all();
  }

  MonoTime NextExpiry() const {
    MonoTime next = MonoTime::max();
    for (const auto& [id, lease] : leases) next = std::min(next, lease.deadline);
    return next;
  }

  // Keeps leases' key sets in step with `ops`, applied at the store.
  void Track(const std::vector<etcd::Op>& ops, const std::vector<etcd::KeyValue>& before) {
    for (const etcd::KeyValue& kv : before) {
      if (kv.lease != 0 && leases.contains(kv.lease)) leases[kv.lease].keys.erase(kv.key);
    }
    for (const etcd::Op& op : ops) {
      if (op.type == etcd::Op::Type::kPut && op.lease != 0) leases[op.lease].keys.insert(op.key);
    }
  }

  // Writes `ops` (leases checked first, as etcd does); the revision after.
  absl::StatusOr<int64_t> Write(const std::vector<etcd::Op>& ops, const std::string& call) {
    std::vector<etcd::KeyValue> before;
    for (const etcd::Op& op : ops) {
      if (op.type == etcd::Op::Type::kPut && op.lease != 0 && !leases.contains(op.lease)) {
        return Failed(absl::StatusCode::kNotFound, call, kLeaseNotFound);
      }
      const std::string end =
          op.type == etcd::Op::Type::kDelete && op.prefix ? etcd::PrefixEnd(op.key) : std::string();
      for (etcd::KeyValue& kv : store.LiveIn(op.key, end)) before.push_back(std::move(kv));
    }
    const int64_t revision = store.Apply(ops);
    Track(ops, before);
    changed.notify_all();
    return revision;
  }

  Clock& clock;
  const Options options;
  std::mutex mu;
  std::condition_variable changed;                    // any write, expiry, compaction or cancel
  MemoryStore store;                                  // guarded by mu
  std::map<int64_t, LeaseState> leases;               // guarded by mu
  int64_t next_lease = 0x694d7a0000000001;            // guarded by mu
  std::vector<Fault> faults;                          // guarded by mu
  std::map<std::string, int64_t, std::less<>> calls;  // guarded by mu
};

namespace {

class MemoryKeepAlive final : public etcd::KeepAliveStream {
 public:
  MemoryKeepAlive(std::shared_ptr<MemoryEtcd::Core> core, int64_t id)
      : core_(std::move(core)), id_(id) {}

  absl::StatusOr<int64_t> KeepAliveOnce() override {
    std::lock_guard lock(core_->mu);
    const std::string call = absl::StrCat("LeaseKeepAlive ", id_);
    if (cancelled_) return Failed(absl::StatusCode::kUnavailable, call, "stream cancelled");
    std::optional<absl::Status> lose;
    if (absl::Status s = core_->Intercept("lease_keepalive", &lose); !s.ok()) return s;
    core_->ExpireDue();
    auto it = core_->leases.find(id_);
    if (it == core_->leases.end()) {
      return Failed(absl::StatusCode::kNotFound, call, "lease expired or revoked (TTL 0)");
    }
    it->second.deadline = core_->clock.Now() + std::chrono::seconds(it->second.ttl_seconds);
    if (lose) return *lose;
    return it->second.ttl_seconds;
  }

  void Cancel() override {
    std::lock_guard lock(core_->mu);
    cancelled_ = true;
  }

 private:
  const std::shared_ptr<MemoryEtcd::Core> core_;
  const int64_t id_;
  bool cancelled_ = false;  // guarded by core_->mu
};

class MemoryWatch final : public etcd::WatchStream {
 public:
  MemoryWatch(std::shared_ptr<MemoryEtcd::Core> core, const etcd::WatchOptions& options)
      : core_(std::move(core)),
        options_(options),
        end_(EndOf(options.key, options.prefix, "")),
        next_(options.start_revision > 0 ? options.start_revision : core_->store.revision() + 1),
        last_sent_(core_->clock.Now()) {}

  absl::StatusOr<etcd::WatchResponse> Next(Duration timeout) override {
    std::unique_lock lock(core_->mu);
    const MonoTime deadline = core_->clock.Now() + timeout;
    const std::string call = absl::StrCat("Watch ", options_.key);
    for (;;) {
      if (cancelled_) return Failed(absl::StatusCode::kUnavailable, call, "stream cancelled");
      if (ended_) return Failed(absl::StatusCode::kUnavailable, call, "watch ended");
      core_->ExpireDue();
      etcd::WatchResponse response;
      response.header_revision = core_->store.revision();
      if (next_ < core_->store.compacted()) {
        // Events it has not seen are gone: etcd cancels the watch.
        ended_ = true;
        response.canceled = true;
        response.compact_revision = core_->store.compacted();
        response.cancel_reason = "mvcc: required revision has been compacted";
        return response;
      }
      for (MemoryStore::Event& e : core_->store.EventsFrom(next_)) {
        if (!Matches(e.event.kv.key)) continue;
        if (!options_.prev_kv) e.event.prev_kv.reset();
        response.events.push_back(std::move(e.event));
      }
      next_ = core_->store.revision() + 1;
      const MonoTime now = core_->clock.Now();
      if (!response.events.empty()) {
        last_sent_ = now;
        return response;
      }
      const MonoTime progress_due = last_sent_ + core_->options.progress_interval;
      if (options_.progress_notify && now >= progress_due) {
        last_sent_ = now;
        return response;  // no events: a progress report
      }
      if (now >= deadline) {
        return Failed(absl::StatusCode::kDeadlineExceeded, call, "no response in time");
      }
      MonoTime wake = std::min(deadline, core_->NextExpiry());
      if (options_.progress_notify) wake = std::min(wake, progress_due);
      core_->clock.WaitUntil(core_->changed, lock, wake);
    }
  }

  void Cancel() override {
    {
      std::lock_guard lock(core_->mu);
      cancelled_ = true;
    }
    core_->changed.notify_all();
  }

 private:
  bool Matches(const std::string& key) const {
    if (end_.empty()) return key == options_.key;
    return key >= options_.key && (end_ == std::string(1, '\0') || key < end_);
  }

  const std::shared_ptr<MemoryEtcd::Core> core_;
  const etcd::WatchOptions options_;
  const std::string end_;
  int64_t next_;            // guarded by core_->mu: first revision not yet delivered
  MonoTime last_sent_;      // guarded by core_->mu
  bool cancelled_ = false;  // guarded by core_->mu
  bool ended_ = false;      // guarded by core_->mu
};

}  // namespace

MemoryEtcd::MemoryEtcd(Clock& clock, Options options)
    : core_(std::make_shared<Core>(clock, options)) {}

MemoryEtcd::~MemoryEtcd() = default;

absl::StatusOr<etcd::RangeResult> MemoryEtcd::Range(const std::string& key,
                                                    const etcd::RangeOptions& options) {
  std::lock_guard lock(core_->mu);
  std::optional<absl::Status> lose;
  if (absl::Status s = core_->Intercept("range", &lose); !s.ok()) return s;
  core_->ExpireDue();
  absl::StatusOr<etcd::RangeResult> result =
      core_->store.Range(key, EndOf(key, options.prefix, options.range_end), options);
  if (!result.ok()) {
    return Failed(result.status().code(), "Range " + key, result.status().message());
  }
  if (lose) return *lose;
  return result;
}

absl::StatusOr<int64_t> MemoryEtcd::Put(const std::string& key, const std::string& value,
                                        int64_t lease) {
  std::lock_guard lock(core_->mu);
  std::optional<absl::Status> lose;
  if (absl::Status s = core_->Intercept("put", &lose); !s.ok()) return s;
  core_->ExpireDue();
  etcd::Op op;
  op.key = key;
  op.value = value;
  op.lease = lease;
  absl::StatusOr<int64_t> revision = core_->Write({op}, "Put " + key);
  if (revision.ok() && lose) return *lose;
  return revision;
}

absl::StatusOr<etcd::DeleteResult> MemoryEtcd::Delete(const std::string& key, bool prefix) {
  std::lock_guard lock(core_->mu);
  std::optional<absl::Status> lose;
  if (absl::Status s = core_->Intercept("delete", &lose); !s.ok()) return s;
  core_->ExpireDue();
  etcd::Op op;
  op.type = etcd::Op::Type::kDelete;
  op.key = key;
  op.prefix = prefix;
  const int64_t deleted =
      static_cast<int64_t>(core_->store.LiveIn(key, EndOf(key, prefix, "")).size());
  absl::StatusOr<int64_t> revision = core_->Write({op}, "Delete " + key);
  if (!revision.ok()) return revision.status();
  if (lose) return *lose;
  return etcd::DeleteResult{*revision, deleted};
}

absl::StatusOr<etcd::TxnResult> MemoryEtcd::Txn(const std::vector<etcd::Compare>& compares,
                                                const std::vector<etcd::Op>& success,
                                                const std::vector<etcd::Op>& failure) {
  if (success.size() + failure.size() > etcd::kMaxTxnOps || compares.size() > etcd::kMaxTxnOps) {
    return Failed(absl::StatusCode::kInvalidArgument, "Txn",
                  "etcdserver: too many operations in txn request");
  }
  for (const std::vector<etcd::Op>* ops : {&success, &failure}) {
    std::set<std::string> puts;
    for (const etcd::Op& op : *ops) {
      if (op.type == etcd::Op::Type::kPut && !puts.insert(op.key).second) {
        return Failed(absl::StatusCode::kInvalidArgument, "Txn",
                      "etcdserver: duplicate key given in txn request");
      }
    }
  }
  std::lock_guard lock(core_->mu);
  std::optional<absl::Status> lose;
  if (absl::Status s = core_->Intercept("txn", &lose); !s.ok()) return s;
  core_->ExpireDue();
  const bool holds = std::all_of(compares.begin(), compares.end(),
                                 [&](const etcd::Compare& c) { return core_->store.Holds(c); });
  absl::StatusOr<int64_t> revision = core_->Write(holds ? success : failure, "Txn");
  if (!revision.ok()) return revision.status();
  if (lose) return *lose;
  return etcd::TxnResult{holds, *revision};
}

absl::StatusOr<etcd::Lease> MemoryEtcd::LeaseGrant(int64_t ttl_seconds) {
  std::lock_guard lock(core_->mu);
  std::optional<absl::Status> lose;
  if (absl::Status s = core_->Intercept("lease_grant", &lose); !s.ok()) return s;
  core_->ExpireDue();
  const int64_t ttl = std::max(ttl_seconds, core_->options.min_lease_ttl_seconds);
  const int64_t id = core_->next_lease++;
  core_->leases[id] = LeaseState{ttl, core_->clock.Now() + std::chrono::seconds(ttl), {}};
  if (lose) return *lose;
  return etcd::Lease{id, ttl};
}

absl::Status MemoryEtcd::LeaseRevoke(int64_t lease_id) {
  std::lock_guard lock(core_->mu);
  std::optional<absl::Status> lose;
  if (absl::Status s = core_->Intercept("lease_revoke", &lose); !s.ok()) return s;
  core_->ExpireDue();
  auto it = core_->leases.find(lease_id);
  if (it == core_->leases.end()) {
    return Failed(absl::StatusCode::kNotFound, absl::StrCat("LeaseRevoke ", lease_id),
                  kLeaseNotFound);
  }
  core_->End(it->second);
  core_->leases.erase(it);
  return lose ? *lose : absl::OkStatus();
}

absl::StatusOr<etcd::LeaseInfo> MemoryEtcd::LeaseTimeToLive(int64_t lease_id) {
  std::lock_guard lock(core_->mu);
  std::optional<absl::Status> lose;
  if (absl::Status s = core_->Intercept("lease_ttl", &lose); !s.ok()) return s;
  core_->ExpireDue();
  auto it = core_->leases.find(lease_id);
  if (it == core_->leases.end()) {
    return Failed(absl::StatusCode::kNotFound, absl::StrCat("LeaseTimeToLive ", lease_id),
                  kLeaseNotFound);
  }
  // etcd truncates the remaining time to whole seconds.
  const Duration left = it->second.deadline - core_->clock.Now();
  const int64_t remaining = std::chrono::duration_cast<std::chrono::seconds>(left).count();
  if (lose) return *lose;
  return etcd::LeaseInfo{lease_id, remaining, it->second.ttl_seconds};
}

absl::StatusOr<std::unique_ptr<etcd::KeepAliveStream>> MemoryEtcd::OpenKeepAlive(
    int64_t lease_id, Duration /*answer_within*/) {
  std::lock_guard lock(core_->mu);
  if (absl::Status s = core_->Intercept("lease_keepalive_open", nullptr); !s.ok()) return s;
  return std::make_unique<MemoryKeepAlive>(core_, lease_id);
}

absl::StatusOr<std::unique_ptr<etcd::WatchStream>> MemoryEtcd::OpenWatch(
    const etcd::WatchOptions& options) {
  std::lock_guard lock(core_->mu);
  if (absl::Status s = core_->Intercept("watch", nullptr); !s.ok()) return s;
  return std::make_unique<MemoryWatch>(core_, options);
}

absl::Status MemoryEtcd::Compact(int64_t revision) {
  std::lock_guard lock(core_->mu);
  core_->ExpireDue();
  absl::Status s = core_->store.Compact(revision);
  core_->changed.notify_all();
  return s.ok() ? s : Failed(s.code(), "Compact", s.message());
}

int64_t MemoryEtcd::revision() const {
  std::lock_guard lock(core_->mu);
  core_->ExpireDue();
  return core_->store.revision();
}

void MemoryEtcd::FailNext(int calls, absl::Status status, std::string_view op) {
  std::lock_guard lock(core_->mu);
  core_->faults.push_back({calls, std::string(op), std::move(status), false});
}

void MemoryEtcd::LoseNextAnswers(int calls, std::string_view op, absl::Status status) {
  std::lock_guard lock(core_->mu);
  core_->faults.push_back({calls, std::string(op), std::move(status), true});
}

bool MemoryEtcd::ExpireLease(int64_t id) {
  std::lock_guard lock(core_->mu);
  auto it = core_->leases.find(id);
  if (it == core_->leases.end()) return false;
  core_->End(it->second);
  core_->leases.erase(it);
  return true;
}

int64_t MemoryEtcd::Calls(std::string_view op) const {
  std::lock_guard lock(core_->mu);
  auto it = core_->calls.find(op);
  return it == core_->calls.end() ? 0 : it->second;
}

}  // namespace registrar::testing
