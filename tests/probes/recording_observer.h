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

  void OnLocalError(const Target& /*target*/, const std::string& reason) override {
    std::lock_guard lock(mu_);
    ++local_errors_[reason];
  }
  // Local errors reported, of every reason.
  int LocalErrors() const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& [reason, count] : local_errors_) n += count;
    return n;
  }
  int LocalErrors(const std::string& reason) const {
    std::lock_guard lock(mu_);
    auto it = local_errors_.find(reason);
    return it == local_errors_.end() ? 0 : it->second;
  }
  // Failed results of every target.
  int Failures() const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& [id, events] : results_) {
      for (const auto& e : events) n += e.result.ok ? 0 : 1;
    }
    return n;
  }
  // Targets with at least `n` results.
  size_t TargetsWithResults(size_t n) const {
    std::lock_guard lock(mu_);
    size_t count = 0;
    for (const auto& [id, events] : results_) count += events.size() >= n ? 1 : 0;
    return count;
  }
  std::string AnyFailureReason() const {
    std::lock_guard lock(mu_);
    for (const auto& [id, events] : results_) {
      for (const auto& e : events) {
        if (!e.result.ok) return id + ": " + e.result.reason;
      }
    }
    return "";
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
  std::map<std::string, int> local_errors_;
};

}  // namespace registrar::probes
