#include "cluster/published_digests.h"

#include <algorithm>
#include <cstdio>

#include "cluster/ownership.h"

namespace registrar::controller {
namespace {

// A hash of the configured target ids and of the target sources (entries
// marked false).
std::string Digest(const std::map<std::string, bool>& ids) {
  uint64_t h = 0;
  for (const auto& entry : ids) h = RendezvousWeight(std::to_string(h), entry.first);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

PublishedDigests::PublishedDigests() { Publish({}); }

const std::string& PublishedDigests::Publish(const std::vector<probes::Target>& targets) {
  std::map<std::string, bool> ids;  // id or "source <service> <name>" → configured
  for (const auto& t : targets) {
    if (t.dynamic) {
      ids.try_emplace("source " + t.service + " " + t.source, false);
    } else {
      ids[t.Id()] = true;
    }
  }
  current_ = Digest(ids);
  auto set = std::make_shared<std::vector<std::string>>();
  for (const auto& [id, configured] : ids) {
    if (configured) set->push_back(id);
  }
  // Bounded: any set but the one the view shows for us may go.
  while (sets_.size() >= kMaxPublishedSets && !sets_.contains(current_)) {
    auto victim =
        std::find_if(sets_.begin(), sets_.end(), [&](const auto& e) { return e.first != seen_; });
    if (victim == sets_.end()) break;
    sets_.erase(victim);
  }
  sets_[current_] = std::move(set);
  return current_;
}

void PublishedDigests::SeenInView(const std::string& self_in_view) {
  seen_ = self_in_view;
  // Settled (the view shows what we publish now): older sets cannot be needed.
  if (self_in_view != current_) return;
  std::erase_if(sets_, [&](const auto& e) { return e.first != current_; });
}

std::shared_ptr<const std::vector<std::string>> PublishedDigests::SetBehind(
    const std::string& digest) const {
  auto it = sets_.find(digest);
  return it != sets_.end() ? it->second : nullptr;
}

}  // namespace registrar::controller
