// One ProbeObserver that tells several, in the order given (main gives the
// metrics first, then the registration intake, controller/probe_intake.h).
//
// Thread-safety: called on the prober's thread, as every ProbeObserver; the
// observers must outlive it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "probes/prober.h"

namespace registrar::probes {

class ObserverFanout final : public ProbeObserver {
 public:
  explicit ObserverFanout(std::vector<ProbeObserver*> observers)
      : observers_(std::move(observers)) {}

  void OnResult(const Target& target, const ProbeResult& result, Duration schedule_lag) override {
    for (ProbeObserver* o : observers_) o->OnResult(target, result, schedule_lag);
  }
  void OnTransition(const Target& target, const Transition& transition) override {
    for (ProbeObserver* o : observers_) o->OnTransition(target, transition);
  }
  void OnLocalError(const Target& target, const std::string& reason) override {
    for (ProbeObserver* o : observers_) o->OnLocalError(target, reason);
  }

 private:
  const std::vector<ProbeObserver*> observers_;
};

}  // namespace registrar::probes
