// The digest this replica publishes in its member record, and the target
// sets behind the digests it published (private to controller/).
//
// The digest names the target set: a hash of the configured target ids and,
// for targets of a source (dnsSd, fileSd, httpSd), of the source's name
// instead of its targets. Members of the newest config own (members running
// an older one keep their keys until those are adopted), and all owners
// publish one digest, so bounded loads (ownership.h) may be used over the set
// behind it: they all compute over the same set. Source targets change
// without a config change and two replicas may briefly read different
// answers, so they are not in the set: they get plain rendezvous, exact while
// the answers differ.
//
// A set is remembered from Publish() until the membership view shows our
// newest digest (SeenInView): until then the view may still show an older
// one of ours, and we must compute over the set behind it. At most
// kMaxPublishedSets are kept (reloads faster than etcd hears of them).
//
// Thread-safety: none; the controller holds its lock.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "probes/spec.h"

namespace registrar::controller {

class PublishedDigests {
 public:
  static constexpr size_t kMaxPublishedSets = 8;

  PublishedDigests();  // the empty target set is published

  // `targets` is the new target set: returns its digest, the one to publish.
  const std::string& Publish(const std::vector<probes::Target>& targets);
  const std::string& current() const { return current_; }
  // Our digest as the membership view shows it now.
  void SeenInView(const std::string& self_in_view);
  // The sorted configured target ids behind `digest`; null when not known.
  std::shared_ptr<const std::vector<std::string>> SetBehind(const std::string& digest) const;

 private:
  std::string current_;
  std::string seen_;  // our digest as the last view showed it
  std::map<std::string, std::shared_ptr<const std::vector<std::string>>> sets_;
};

}  // namespace registrar::controller
