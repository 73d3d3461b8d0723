// The shrink guard: a source's answer that removes more than
// `max_shrink_percent` of the targets it listed (an empty answer too) is not
// believed at once. Its additions and changes apply; its removals wait until
// the next answer confirms them (the same addresses again). Pure logic, no
// time: the runner feeds it answers. Private to sources/.
#pragma once

#include <vector>

#include "sources/source.h"

namespace registrar::sources {

class ShrinkGuard {
 public:
  explicit ShrinkGuard(int max_shrink_percent) : max_shrink_percent_(max_shrink_percent) {}

  enum class Verdict {
    kUnchanged,  // the applied list stays as it was
    kApplied,    // the answer is the applied list now
    kHeld,       // removals wait for confirmation (additions and changes applied)
    kConfirmed,  // a held shrink was confirmed: applied whole
  };

  // Starts from `applied` as if it were the last answer believed whole (a
  // source re-created by a reload keeps what its predecessor listed).
  void Seed(std::vector<Endpoint> applied);

  // Takes a good answer (sorted, distinct addresses); says what became of it.
  Verdict Offer(std::vector<Endpoint> answer);

  // What the source lists now, as far as the guard lets it (sorted).
  const std::vector<Endpoint>& applied() const { return applied_; }
  // Targets kept only because their removal waits for confirmation.
  size_t held_removals() const { return held_removals_; }
  bool first() const { return first_; }

 private:
  int max_shrink_percent_;
  bool first_ = true;                // no answer yet: the first is applied whole
  std::vector<Endpoint> applied_;    // sorted
  std::vector<Endpoint> confirmed_;  // the last answer applied without holding
  std::vector<std::string> held_;    // addresses of the answer waiting for confirmation
  bool holding_ = false;
  size_t held_removals_ = 0;
};

}  // namespace registrar::sources
