// Helpers shared by the metrics tests: a settable StatusProvider, the
// exposition text of a Metrics, and reading one sample out of it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "probes/prober.h"
#include "status/status.h"

namespace registrar::metrics::testing {

using status::Readiness;
using status::RegistrationView;
using status::StatusProvider;

// A StatusProvider whose answers the test sets.
class FakeStatus final : public StatusProvider {
 public:
  std::vector<probes::TargetStatus> Targets() const override;
  RegistrationView Registration() const override;
  Readiness Ready() const override;

  void SetTargets(std::vector<probes::TargetStatus> targets);
  void SetRegistration(RegistrationView registration);
  void SetReady(Readiness ready);
  std::vector<sources::SourceState> Sources() const override {
    std::lock_guard lock(mu_);
    return sources_;
  }
  void SetSources(std::vector<sources::SourceState> sources) {
    std::lock_guard lock(mu_);
    sources_ = std::move(sources);
  }

 private:
  mutable std::mutex mu_;
  std::vector<sources::SourceState> sources_;    // guarded by mu_
  std::vector<probes::TargetStatus> targets_;    // guarded by mu_
  RegistrationView registration_;                // guarded by mu_
  Readiness ready_{false, "config not loaded"};  // guarded by mu_
};

// A StatusProvider whose targets are a real Prober's Snapshot(); the etcd
// side and readiness are set by the test.
class ProberStatus final : public StatusProvider {
 public:
  explicit ProberStatus(const probes::Prober& prober) : prober_(prober) {}
  std::vector<probes::TargetStatus> Targets() const override { return prober_.Snapshot(); }
  RegistrationView Registration() const override { return rest_.Registration(); }
  Readiness Ready() const override { return rest_.Ready(); }
  FakeStatus& rest() { return rest_; }

 private:
  const probes::Prober& prober_;
  FakeStatus rest_;
};

// The Prometheus text exposition of everything `metrics` serves.
std::string Exposition(const Metrics& metrics);
// ... and of these collectables (e.g. Collectables() plus a TargetCollector).
std::string Exposition(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables);

// The value of the sample `name{labels}` in exposition `text`, if present.
std::optional<double> Sample(const std::string& text, const std::string& name,
                             const std::map<std::string, std::string>& labels = {});

// An HTTP GET /health target on 127.0.0.1:port probed every `period`;
// healthy after 1 success, unhealthy after 2 failures.
probes::Target HttpTarget(const std::string& service, int port,
                          Duration period = std::chrono::milliseconds(200));

// Runs `promtool check metrics` on `text`; returns its output, sets *exit_code.
std::string PromtoolCheckMetrics(const std::string& text, int* exit_code);

}  // namespace registrar::metrics::testing
