// The last results of one target, kept compact. Module-private.
//
// A ProbeResult is 88 bytes (its reason a std::string); a prober keeps ten per
// target, so at 100 000 targets the history alone was ~90 MB. Here a result is
// a 40-byte entry and each distinct reason is stored once, shared by the
// entries that carry it: a healthy target's ten results share one
// "status 200". At most `limit` results and at most `limit` reasons.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/clock.h"
#include "probes/health_state.h"

namespace registrar::probes {

class ResultHistory final {
 public:
  // `limit` is clamped to 1..65535 (a reason's index is 16 bits).
  explicit ResultHistory(size_t limit);

  // Adds `result`, dropping the oldest once `limit` are kept.
  void Add(const ProbeResult& result);
  // Oldest first.
  std::deque<ProbeResult> Get() const;
  size_t size() const { return ring_.size(); }
  // Distinct reasons stored (for tests).
  size_t reasons() const { return reasons_.size(); }

 private:
  struct Entry {
    MonoTime start;
    WallTime wall_start;
    Duration latency;
    WallTime cert_not_after;  // when flags has kHasCert
    int32_t http_status;
    uint16_t reason;  // index into reasons_
    FailureClass failure;
    uint8_t flags;  // kOk | kHasCert
  };
  static constexpr uint8_t kOk = 1;
  static constexpr uint8_t kHasCert = 2;
  static_assert(sizeof(Entry) == 40);
  // The index of `reason` in reasons_, stored in a slot that no entry but
  // ring_[slot] (about to be overwritten) refers to when it is new.
  uint16_t Intern(const std::string& reason, size_t slot);

  uint32_t limit_;
  uint32_t next_ = 0;        // once full: the oldest entry, overwritten next
  std::vector<Entry> ring_;  // reserved to limit_ at the first result
  std::vector<std::string> reasons_;
};

}  // namespace registrar::probes
