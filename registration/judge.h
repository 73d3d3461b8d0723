// Which targets should be registered: our probes' verdicts, minus drained
// targets, held by fail-open. Pure: no clock, no etcd, no lock. The
// controller thread judges its target table before every decision (decide.h
// then turns the verdicts into keys and writes).
//
// For every target this replica owns:
//
//   registered = !drained && (healthy || (fail_open(service) && registered before))
//
// A target with no verdict of our probes since it became ours stays
// `unknown` (its existing key is adopted as it is until the probes decide),
// unless it is drained: a drained target is unregistered at once. While the
// drains are not known yet (a restart, before the first read of them),
// nothing is judged: a drained target must not be registered even briefly.
// Targets owned elsewhere are not judged and count toward no share.
//
// Fail-open (per service, off unless the service sets a threshold): the
// service's share is its owned targets' latest probe results (those that
// have one). When fewer than `below_percent` of them passed, the registrar is
// more likely cut off from the targets than the targets are down, so no key
// of the service is deleted because of health; normal judging resumes (and
// deletes what is unhealthy then) once the share is back at or above the
// threshold. Results arrive before the transitions they cause, so with
// failureThreshold >= 2 a partition that fails every target within one
// period trips fail-open before any target turns unhealthy.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "probes/health_state.h"

namespace registrar::controller {

// One target as the judgement sees it.
struct JudgeRow {
  const std::string* service{};  // never null
  bool owned = false;
  probes::Health probe = probes::Health::kUnknown;  // our probes' verdict since it became ours
  int last_result = -1;  // since it became ours: -1 none, 0 failed, 1 passed
  bool drained = false;
  probes::Health registered = probes::Health::kUnknown;  // the previous judgement
};

struct FailOpenShare {
  int passed = 0;
  int with_result = 0;
  int below_percent = 0;
};

struct Judgement {
  // One per row: kHealthy registered, kUnhealthy not, kUnknown not judged
  // yet (adopt what exists).
  std::vector<probes::Health> registered;
  std::map<std::string, FailOpenShare> fail_open;  // the services in fail-open now
};

// `below_percent`: service → threshold (1-100); services not in it never
// fail open.
Judgement Judge(const std::vector<JudgeRow>& rows, const std::map<std::string, int>& below_percent,
                bool drains_known);

}  // namespace registrar::controller
