#include "discovery/discovery_state.h"

#include <algorithm>

namespace registrar::etcd::discovery_internal {

std::vector<EndpointEvent> EndpointSet::Reset(const std::vector<KeyValue>& kvs, int64_t revision) {
  std::map<std::string, Endpoint> next;
  for (const KeyValue& kv : kvs) next.emplace(kv.key, ParseEndpoint(kv, prefix_, format_));

  std::vector<EndpointEvent> events;
  auto old_it = endpoints_.begin();
  auto new_it = next.begin();
  while (old_it != endpoints_.end() || new_it != next.end()) {
    if (new_it == next.end() || (old_it != endpoints_.end() && old_it->first < new_it->first)) {
      events.push_back({EndpointEvent::Type::kRemoved, old_it->second, revision});
      ++old_it;
    } else if (old_it == endpoints_.end() || new_it->first < old_it->first) {
      events.push_back({EndpointEvent::Type::kAdded, new_it->second, new_it->second.mod_revision});
      ++new_it;
    } else {
      if (old_it->second.mod_revision != new_it->second.mod_revision ||
          old_it->second.value != new_it->second.value) {
        events.push_back(
            {EndpointEvent::Type::kUpdated, new_it->second, new_it->second.mod_revision});
      }
      ++old_it;
      ++new_it;
    }
  }
  endpoints_ = std::move(next);
  revision_ = revision;
  listed_ = true;
  return events;
}

std::vector<EndpointEvent> EndpointSet::Apply(const std::vector<WatchEvent>& events) {
  std::vector<EndpointEvent> out;
  const int64_t applied = revision_;
  for (const WatchEvent& event : events) {
    const int64_t rev = event.kv.mod_revision;
    if (rev <= applied) continue;
    revision_ = std::max(revision_, rev);
    auto it = endpoints_.find(event.kv.key);
    if (event.type == WatchEvent::Type::kDelete) {
      if (it == endpoints_.end()) continue;
      out.push_back({EndpointEvent::Type::kRemoved, std::move(it->second), rev});
      endpoints_.erase(it);
      continue;
    }
    Endpoint endpoint = ParseEndpoint(event.kv, prefix_, format_);
    if (it == endpoints_.end()) {
      out.push_back({EndpointEvent::Type::kAdded, endpoint, rev});
      endpoints_.emplace(event.kv.key, std::move(endpoint));
    } else {
      out.push_back({EndpointEvent::Type::kUpdated, endpoint, rev});
      it->second = std::move(endpoint);
    }
  }
  return out;
}

Duration Backoff::Next() {
  Duration d = initial_;
  for (int i = 0; i < attempt_ && d < max_; ++i) d *= 2;
  d = std::min(d, max_);
  if (attempt_ < 62) ++attempt_;
  Duration half = d / 2;
  return half + random_.UniformDuration(d - half);
}

}  // namespace registrar::etcd::discovery_internal
