// This replica's membership of its registrar cluster, and its view of the
// other members.
//
// Joining = holding the key `<members_prefix><member_id>` bound to a short
// session lease (its own LeaseKeeper, separate from the registration lease).
// The value is JSON {"lease": registration lease id, "config": config hash}.
// The member prefix is watched from the revision of its listing, so the view
// (every live member, and the revision it is current at) follows every join
// and leave. When the session is lost (expired during a pause or partition,
// or the key was deleted) the replica joins again as a new member (new key,
// new create revision) and only that new membership can pass the fence.
//
// Fence(): the compares every registration Txn carries. They hold only while
// (1) our member key still exists with the create revision we joined with and
// (2) no member key was created after the view's revision, i.e. the view the
// writer computed ownership from is current. etcd's revision is the fencing
// token: a replica paused past its session, or with a stale view, cannot
// write.
//
// Thread-safety: every public method is thread-safe; `on_change` runs on the
// membership thread (or the session keeper's, or Stop()'s caller) with the
// membership lock held: it must be quick and must not call into Membership.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/backoff.h"
#include "cluster/lease_keeper.h"
#include "common/clock.h"
#include "etcd/client.h"
#include "etcd/list_watch.h"

namespace registrar::controller {

struct MembershipOptions {
  std::string members_prefix;  // ends with '/'; outside every registration prefix
  std::string member_id;
  int64_t session_ttl_seconds = 5;
  BackoffOptions backoff;
  Duration watch_poll = std::chrono::milliseconds(200);
};

struct Member {
  std::string id;
  int64_t create_revision = 0;
  int64_t registration_lease = 0;
  std::string config;  // the member's config hash
};

struct MembershipView {
  bool joined = false;  // our member key exists and the view is listed
  std::string self_id;
  int64_t self_create_revision = 0;
  int64_t revision = 0;         // every member created at or before this is in `members`
  uint64_t epoch = 0;           // changes whenever anything above changes
  std::vector<Member> members;  // by id; includes us once joined
};

// The members that own targets in `view`: those that run the newest config
// (the config digest of the most recently joined member, `digest`); the
// others keep their keys until those are adopted. Pure.
struct OwningMembers {
  std::vector<std::string> ids;
  std::optional<std::string> digest;  // none when the view has no member
};
OwningMembers OwningMembersOf(const MembershipView& view);

class Membership {
 public:
  Membership(etcd::Client& client, Clock& clock, Random& random, MembershipOptions options,
             std::function<void()> on_change);
  ~Membership();  // Stop(false)
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Starts the session keeper and the membership thread; idempotent.
  void Start();
  // Leaves: revokes the session (our member key goes at once) when `leave`,
  // else lets it expire. Idempotent.
  void Stop(bool leave);

  MembershipView View() const;
  HeldLease Session() const { return session_.Current(); }
  // What our member key says; republished when it changes.
  void SetValue(int64_t registration_lease, const std::string& config);
  // A fenced Txn failed: re-read the membership now (our key may be gone).
  void Refresh();

  const MembershipOptions& options() const { return options_; }
  std::string SelfKey() const { return options_.members_prefix + options_.member_id; }
  // The compares for a write made under `view` (empty when not joined).
  std::vector<etcd::Compare> Fence(const MembershipView& view) const;

 private:
  void Run();
  absl::Status Join(int64_t session);
  absl::Status List();
  absl::Status Watch();
  void Apply(const etcd::KeyValue& kv, bool deleted, int64_t revision);
  void Changed();  // under mu_
  std::string ValueLocked() const;

  // Constant after construction.
  etcd::Client& client_;
  Clock& clock_;
  const MembershipOptions options_;
  const std::function<void()> on_change_;

  LeaseKeeper session_;
  Backoff backoff_;  // membership thread only
  std::thread thread_;
  int64_t watch_from_ = 0;                           // membership thread only
  std::unique_ptr<etcd::PrefixWatch> watch_stream_;  // membership thread only (Cancel: any)

  mutable std::mutex mu_;
  std::condition_variable cv_;
  MembershipView view_;             // guarded by mu_
  uint64_t joined_session_ = 0;     // session generation our key was put with; guarded by mu_
  int64_t registration_lease_ = 0;  // guarded by mu_
  std::string config_;              // guarded by mu_
  bool republish_ = false;          // guarded by mu_
  bool refresh_ = false;            // guarded by mu_
  bool started_ = false;            // guarded by mu_
  bool stop_ = false;               // guarded by mu_
  std::mutex watch_mu_;             // guards watch_stream_ pointer for Cancel()
};

}  // namespace registrar::controller
