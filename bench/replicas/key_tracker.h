// Benchmark support: every key under a prefix and its lease, kept current by
// one watch that starts at the revision of an initial listing, so every PUT
// and DELETE from then on is counted (by revision, so a phase can count the
// events after any revision it read) and the absence of keys is timed on the
// watch thread itself (a dip shorter than the caller's poll is still seen).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "etcd/client.h"

namespace registrar::bench {

class KeyTracker final {
 public:
  // Lists `prefix`, then watches it from the listing's revision + 1. `want`
  // is the number of keys there should be (for the absence figures).
  KeyTracker(etcd::Client& client, std::string prefix, size_t want);  // throws
  ~KeyTracker();
  KeyTracker(const KeyTracker&) = delete;
  KeyTracker& operator=(const KeyTracker&) = delete;

  struct Events {
    int64_t puts = 0;
    int64_t deletes = 0;
    int64_t value_changes = 0;  // puts whose value differs from the key's previous one
    std::vector<std::string> deleted;  // the first few deleted keys
  };
  // Events with a revision > `after`.
  Events Since(int64_t after) const;
  // The highest revision applied (events only: idle etcd does not move it).
  int64_t revision() const;
  // When the last event was applied (construction time before any).
  MonoTime last_event_at() const;
  bool broken() const { return broken_.load(); }

  size_t size() const;
  size_t CountUnder(int64_t lease) const;
  std::map<int64_t, size_t> PerLease() const;

  // Absence of keys (fewer than `want`) since the last ResetGap().
  struct Gap {
    size_t max_absent = 0;
    Duration span{0};  // first moment short of `want` → last moment back at it
    bool still_short = false;
  };
  void ResetGap();
  Gap gap() const;

 private:
  void Run(std::unique_ptr<etcd::WatchStream> stream);
  void ApplyLocked(const etcd::WatchEvent& e);

  etcd::Client& client_;
  const std::string prefix_;
  const size_t want_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> broken_{false};
  std::thread thread_;

  mutable std::mutex mu_;
  etcd::WatchStream* stream_ = nullptr;  // guarded by mu_ (Cancel from the destructor)
  std::map<std::string, int64_t> lease_of_;
  std::map<std::string, std::string> value_of_;
  std::map<int64_t, size_t> per_lease_;
  struct Event {
    int64_t revision;
    bool deleted;
    bool value_changed;
    std::string key;
  };
  std::vector<Event> events_;  // by revision
  int64_t revision_ = 0;
  MonoTime last_event_at_ = RealClock().Now();
  bool short_ = false;
  MonoTime short_since_{};
  size_t max_absent_ = 0;
  Duration span_{0};
};

}  // namespace registrar::bench
