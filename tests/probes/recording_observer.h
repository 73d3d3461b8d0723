// Test helper: a ProbeObserver that records everything, thread-safely.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "probes/prober.h"

namespace registrar::probes {

class RecordingObserver final : public ProbeObserver {
 public:
  struct Event {
    ProbeResult result;
    Duration lag;
  };

  void OnResult(const Target& target, const ProbeResult& result, Duration lag) override {
    std::lock_guard lock(mu_);
    results_[target.Id()].push_back({result, lag});
  }
  void OnTransition(const Target& target, const Transition& t) override {
    std::lock_guard lock(mu_);
    transitions_[target.Id()].push_back(t);
  }

  std::vector<Event> Results(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = results_.find(id);
    return it == results_.end() ? std::vector<Event>{} : it->second;
  }
  size_t ResultCount(const std::string& id) const { return Results(id).size(); }
  std::vector<Transition> Transitions(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = transitions_.find(id);
    return it == transitions_.end() ? std::vector<Transition>{} : it->second;
  }
  // Health after the last transition (kUnknown when none).
  Health HealthOf(const std::string& id) const {
    auto t = Transitions(id);
    return t.empty() ? Health::kUnknown : t.back().to;
  }
  std::string LastReason(const std::string& id) const {
    auto r = Results(id);
    return r.empty() ? "" : r.back().result.reason;
  }
  Duration MaxLag(const std::string& id) const {
    Duration max{};
    for (const auto& e : Results(id)) max = std::max(max, e.lag);
    return max;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<Event>> results_;
  std::map<std::string, std::vector<Transition>> transitions_;
};

}  // namespace registrar::probes
