#include "sources/shrink_guard.h"

#include <algorithm>
#include <map>
#include <set>

namespace registrar::sources {
namespace {

std::vector<std::string> Addresses(const std::vector<Endpoint>& endpoints) {
  std::vector<std::string> out;
  out.reserve(endpoints.size());
  for (const Endpoint& e : endpoints) out.push_back(e.Address());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void ShrinkGuard::Seed(std::vector<Endpoint> applied) {
  std::sort(applied.begin(), applied.end());
  first_ = false;
  holding_ = false;
  held_.clear();
  held_removals_ = 0;
  applied_ = applied;
  confirmed_ = std::move(applied);
}

ShrinkGuard::Verdict ShrinkGuard::Offer(std::vector<Endpoint> answer) {
  std::sort(answer.begin(), answer.end());
  if (first_) {
    first_ = false;
    applied_ = answer;
    confirmed_ = std::move(answer);
    return Verdict::kApplied;
  }
  const std::vector<std::string> now = Addresses(answer);
  // Removals are counted against the last answer believed whole.
  const std::vector<std::string> before = Addresses(confirmed_);
  std::vector<std::string> removed;
  std::set_difference(before.begin(), before.end(), now.begin(), now.end(),
                      std::back_inserter(removed));
  const bool shrinks =
      !before.empty() && !removed.empty() &&
      removed.size() * 100 > static_cast<size_t>(max_shrink_percent_) * before.size();
  if (!shrinks || (holding_ && now == held_)) {
    const bool confirmed = holding_;
    holding_ = false;
    held_.clear();
    held_removals_ = 0;
    const bool same = answer == applied_;
    applied_ = answer;
    confirmed_ = std::move(answer);
    if (confirmed) return Verdict::kConfirmed;
    return same ? Verdict::kUnchanged : Verdict::kApplied;
  }
  // Hold: the answer's own entries, plus the ones it would remove.
  holding_ = true;
  held_ = now;
  std::map<std::string, Endpoint> merged;
  for (const Endpoint& e : confirmed_) merged[e.Address()] = e;
  for (Endpoint& e : answer) merged[e.Address()] = std::move(e);
  std::vector<Endpoint> next;
  next.reserve(merged.size());
  for (auto& [address, e] : merged) next.push_back(std::move(e));
  std::sort(next.begin(), next.end());
  held_removals_ = removed.size();
  applied_ = std::move(next);
  return Verdict::kHeld;
}

}  // namespace registrar::sources
