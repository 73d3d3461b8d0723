#include "probes/result_history.h"

#include <algorithm>

namespace registrar::probes {

ResultHistory::ResultHistory(size_t limit)
    : limit_(static_cast<uint32_t>(std::clamp<size_t>(limit, 1, UINT16_MAX))) {}

void ResultHistory::Add(const ProbeResult& result) {
  size_t slot;
  if (ring_.size() < limit_) {
    if (ring_.empty()) ring_.reserve(limit_);
    slot = ring_.size();
    ring_.push_back({});
  } else {
    slot = next_;
    next_ = (next_ + 1) % limit_;
  }
  uint16_t reason = Intern(result.reason, slot);
  ring_[slot] = Entry{result.start,
                      result.wall_start,
                      result.latency,
                      result.cert_not_after.value_or(WallTime{}),
                      static_cast<int32_t>(result.http_status),
                      reason,
                      result.failure,
                      static_cast<uint8_t>((result.ok ? kOk : 0) |
                                           (result.cert_not_after.has_value() ? kHasCert : 0))};
}

uint16_t ResultHistory::Intern(const std::string& reason, size_t slot) {
  auto same = std::find(reasons_.begin(), reasons_.end(), reason);
  if (same != reasons_.end()) return static_cast<uint16_t>(same - reasons_.begin());
  std::vector<bool> used(reasons_.size(), false);
  for (size_t i = 0; i < ring_.size(); ++i) {
    if (i != slot && ring_[i].reason < used.size()) used[ring_[i].reason] = true;
  }
  auto free = std::find(used.begin(), used.end(), false);
  if (free != used.end()) {
    size_t index = static_cast<size_t>(free - used.begin());
    reasons_[index] = reason;
    return static_cast<uint16_t>(index);
  }
  reasons_.push_back(reason);
  return static_cast<uint16_t>(reasons_.size() - 1);
}

std::deque<ProbeResult> ResultHistory::Get() const {
  std::deque<ProbeResult> out;
  for (size_t k = 0; k < ring_.size(); ++k) {
    const Entry& e = ring_[(next_ + k) % ring_.size()];
    ProbeResult r{e.start,   e.wall_start,  (e.flags & kOk) != 0, reasons_[e.reason],
                  e.latency, e.http_status, std::nullopt,         e.failure};
    if ((e.flags & kHasCert) != 0) r.cert_not_after = e.cert_not_after;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace registrar::probes
