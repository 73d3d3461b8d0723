#include "registration/judge.h"

namespace registrar::controller {

Judgement Judge(const std::vector<JudgeRow>& rows, const std::map<std::string, int>& below_percent,
                bool drains_known) {
  Judgement j;
  std::map<std::string, FailOpenShare> shares;
  for (const JudgeRow& row : rows) {
    auto t = below_percent.find(*row.service);
    if (t == below_percent.end() || !row.owned || row.last_result < 0) continue;
    FailOpenShare& s = shares[*row.service];
    s.below_percent = t->second;
    ++s.with_result;
    s.passed += row.last_result;
  }
  for (const auto& [service, s] : shares) {
    // passed / with_result < percent / 100, in integers.
    if (s.passed * 100 < s.below_percent * s.with_result) j.fail_open.emplace(service, s);
  }
  j.registered.reserve(rows.size());
  for (const JudgeRow& row : rows) {
    probes::Health verdict = row.registered;
    if (row.owned && drains_known) {
      if (row.drained) {
        verdict = probes::Health::kUnhealthy;
      } else if (row.probe != probes::Health::kUnknown) {
        const bool hold =
            row.registered == probes::Health::kHealthy && j.fail_open.contains(*row.service);
        verdict = row.probe == probes::Health::kHealthy || hold ? probes::Health::kHealthy
                                                                : probes::Health::kUnhealthy;
      }
    }
    j.registered.push_back(verdict);
  }
  return j;
}

}  // namespace registrar::controller
