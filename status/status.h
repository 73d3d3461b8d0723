// What the admin server shows, and where it gets it from.
//
// The admin server owns no state: main adapts the Prober (Snapshot()) and the
// controller to a `StatusProvider`, and the server asks it on every request.
// These are plain values so the JSON API and the status page can be rendered
// (and tested) from any source.
//
// Thread-safety: a StatusProvider is called from admin server threads,
// concurrently; implementations must be thread-safe and quick (copy a
// snapshot, never wait on etcd).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "probes/prober.h"
#include "sources/runner.h"

namespace registrar::status {

// An operator took a target out of discovery (drain); it is still probed.
struct DrainInfo {
  std::string reason;
  std::string by;  // who drained it (user, member id, "cli")
  WallTime at;
  std::optional<WallTime> until;  // expires by itself then; empty: until undrained
};

// One live replica of the registrar's cluster.
struct MemberView {
  std::string id;
  bool self = false;
  int64_t owned_targets = 0;
};

// The etcd side of the registrar as the controller sees it right now.
struct RegistrationView {
  std::string etcd_endpoint;    // "127.0.0.1:2379"; empty when unknown
  bool etcd_connected = false;  // the last etcd call succeeded
  int64_t lease_id = 0;         // 0: no lease held
  int64_t lease_ttl_seconds = 0;
  int64_t registered_keys = 0;
  std::string last_error;  // last etcd error, empty if none
  std::string etcd_alarm;  // the alarm that refuses our writes ("NOSPACE"), empty if none
  std::map<std::string, std::string> keys_by_target;  // Target::Id() → registered key
  // Several replicas: the live members and each target's owner (member id).
  // Empty member list: membership not (yet) known.
  std::vector<MemberView> members;
  std::map<std::string, std::string> owner_by_target;  // Target::Id() → member id
  std::map<std::string, DrainInfo> drained;            // Target::Id() → why it is drained
  std::vector<std::string> fail_open_services;         // keeping registrations (fail-open)
  std::map<std::string, std::string> rejected_keys;    // key → why etcd refused it
};

// /readyz: ready once config is loaded, the lease is held and the first
// reconcile is done; otherwise `reason` says which is missing.
struct Readiness {
  bool ready = false;
  std::string reason;
};

// The process itself, for the status page header.
struct ProcessView {
  std::string version;                  // "0.1.0 (abc1234)"
  std::string config_file;              // path of the config file, empty when none
  std::optional<WallTime> last_reload;  // last reload attempt; empty: none since start
  bool last_reload_ok = true;
};

class StatusProvider {
 public:
  virtual ~StatusProvider() = default;
  // Every target, in Target::Id() order.
  virtual std::vector<probes::TargetStatus> Targets() const = 0;
  virtual RegistrationView Registration() const = 0;
  virtual Readiness Ready() const = 0;
  // Version, config file and last reload; empty by default.
  virtual ProcessView Process() const { return {}; }
  // The target sources (dnsSd, fileSd, httpSd) and how each fares; empty by default.
  virtual std::vector<sources::SourceState> Sources() const { return {}; }
};

}  // namespace registrar::status
