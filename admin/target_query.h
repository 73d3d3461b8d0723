// Filtering, sorting and paging of targets for /api/v1/targets and the status
// page (the same query string for both): state, service, free text, sort
// column and direction, limit/offset. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "probes/prober.h"
#include "status/status.h"

namespace registrar::admin {

using QueryArgs = std::vector<std::pair<std::string, std::string>>;

struct TargetQuery {
  std::string state;    // "", healthy, unhealthy, unknown, drained, registered, unregistered
  std::string service;  // exact service name; "" for all
  std::string text;     // substring of id, address, key, last reason or owner
  // Column: "" (default: unhealthy first, then unknown, healthy; then id),
  // service, address, state, since, result, latency, key, owner.
  std::string sort;
  bool descending = false;
  int64_t limit = 100;  // 1..10000
  int64_t offset = 0;
};

// ?state=&service=&q=&sort=&order=asc|desc&limit=&offset=. Unknown keys are
// ignored (e.g. refresh); a bad value is kInvalidArgument naming it. Without
// limit=, `default_limit` (the page shows 100, the API up to 10000).
absl::StatusOr<TargetQuery> ParseTargetQuery(const QueryArgs& args, int64_t default_limit = 100);

// The inverse, for links ("state=unhealthy&sort=since"), defaults left out.
std::string FormatTargetQuery(const TargetQuery& query);

struct ServiceSummary {
  std::string service;
  int64_t total = 0, healthy = 0, unhealthy = 0, unknown = 0, registered = 0, drained = 0;
};

struct QueryResult {
  int64_t total = 0;  // targets matching the filters (before paging)
  std::vector<const probes::TargetStatus*> page;
  std::vector<ServiceSummary> services;  // every service, unfiltered, by name
};

// Pointers point into `targets`, which must outlive the result.
QueryResult RunTargetQuery(const std::vector<probes::TargetStatus>& targets,
                           const status::RegistrationView& registration, const TargetQuery& query);

}  // namespace registrar::admin
