// Configuration: one YAML file (plus command-line/env overrides) → one
// validated, immutable `Config`.
//
// The file reads like a Kubernetes object (probe fields use Kubernetes probe
// names) and is checked strictly: an unknown key, a wrong type, a missing
// required field, a value out of range, a duplicate service or endpoint is an
// error. Loading never stops at the first error: every error is returned, each
// naming the file, line and column (1-based), the key path and what was
// expected, e.g.
//   config.yaml:14:15: services[1].probe.httpGet.port: expected an integer 1-65535, got "abc"
//
// Relative file paths in the config (passwordFile, TLS files, endpointsFile)
// are relative to the config file's directory, as Prometheus does. Secrets are
// read at load time and held only in `EtcdConfig::password`; nothing in this
// module prints them (see `Summary`).
//
// A `Config` is a plain value: share it as `std::shared_ptr<const Config>`; a
// reload builds a new one and `Diff` says what changed.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/duration.h"
#include "probes/spec.h"
#include "registration/registration.h"
#include "sources/runner.h"
#include "sources/spec.h"

namespace registrar::config {

struct TlsFiles {
  std::string ca_file;  // absolute paths (resolved against the config dir)
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  bool operator==(const TlsFiles&) const = default;
};

struct EtcdConfig {
  std::vector<std::string> endpoints;  // "host:port" or "http(s)://host:port", as written
  Duration dial_timeout = std::chrono::seconds(5);
  std::string username;       // empty: no auth
  std::string password;       // SECRET: read from passwordFile; never log it
  std::string password_file;  // absolute path, for display
  std::optional<TlsFiles> tls;
  // etcd's --max-request-bytes: a key whose put cannot fit is a config error.
  int64_t max_request_bytes = 1536 * 1024;
  bool operator==(const EtcdConfig&) const = default;
};

struct ServerConfig {
  std::string listen = ":9464";  // as written; empty host = every interface
  std::string host = "0.0.0.0";  // resolved bind host (IPv6 without brackets)
  int port = 9464;
  // --web.config.file (admin/web_config.h): TLS and basic auth; re-read on
  // every reload. Empty: plain HTTP, no auth.
  std::string web_config_file;
  bool operator==(const ServerConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";   // trace | debug | info | warn | error
  std::string format = "text";  // text | json
  bool operator==(const LogConfig&) const = default;
};

// metrics.perTargetSeries: whether /metrics has one series per target
// (auto: while there are at most 5000 targets; docs/metrics.md).
enum class PerTargetSeries { kAuto, kAlways, kNever };
struct MetricsConfig {
  PerTargetSeries per_target_series = PerTargetSeries::kAuto;
  bool operator==(const MetricsConfig&) const = default;
};

// Prober-wide settings (`probes:`) the prober is created with.
struct ProbesConfig {
  Duration dns_min_ttl = std::chrono::seconds(5);  // probes::ProberOptions::dns_min_ttl
  std::vector<std::string> dns_servers;            // probes::ProberOptions::dns_servers
  bool operator==(const ProbesConfig&) const = default;
};

struct ServiceConfig {
  controller::ServiceRegistration registration;  // .service is the name
  probes::ProbeSpec probe;                       // defaults already merged
  std::vector<std::string> endpoints;            // literal entries, as written
  std::string endpoints_file;                    // absolute path, or empty
  // dnsSd, fileSd, httpSd (sources/spec.h); their targets join `targets` at
  // run time (TargetsWithSources).
  std::vector<sources::SourceSpec> sources;
  // Literal endpoints then the endpoints file's entries, in order, resolved
  // at load time (the file is re-read by a reload).
  std::vector<probes::Target> targets;
  bool operator==(const ServiceConfig&) const = default;
};

struct Config {
  std::string source_path;  // the config file, absolute
  EtcdConfig etcd;
  controller::RegistrationOptions registration;
  ServerConfig server;
  LogConfig log;
  MetricsConfig metrics;
  ProbesConfig probes;
  std::vector<ServiceConfig> services;

  // Every target of every service, in file order. Ids are unique.
  std::vector<probes::Target> Targets() const;
  // Every service's target sources, in file order.
  std::vector<sources::SourceSpec> SourceSpecs() const;
  // The config file and every endpoints file: what a watcher should watch.
  std::vector<std::string> WatchedFiles() const;
  bool operator==(const Config&) const = default;
};

// Every target: each service's `targets`, then what its sources list now
// (`listed`, sources::Runner::Endpoints()), in source order; an address
// found twice in one service is one target, from the first place it was
// found. Source targets carry the service's probe, `source` = the source's
// name and `dynamic` = true.
std::vector<probes::Target> TargetsWithSources(const Config& config,
                                               const std::vector<sources::Runner::Listed>& listed);

// The registrar's own etcd prefix for coordination records (drains, and
// cluster membership), outside the registration prefix so no discovery client
// ever reads them: the cluster's coordination prefix (cluster.coordinationPrefix,
// default "/etcd-registrar/<cluster name>/", e.g. "/etcd-registrar/services/"
// for the default prefix; controller::EffectiveCluster). Always ends with "/".
std::string CoordinationPrefix(const controller::RegistrationOptions& registration);
inline std::string CoordinationPrefix(const Config& config) {
  return CoordinationPrefix(config.registration);
}

// Command-line / environment values that replace the file's. Each value
// carries where it came from ("--lease-ttl" or "REGISTRAR_LEASE_TTL") so an
// invalid one is reported against its source. Unset fields leave the file's.
struct OverrideValue {
  std::string value;
  std::string source;
};
struct Overrides {
  std::optional<OverrideValue> etcd_endpoints;  // comma-separated list
  std::optional<OverrideValue> listen;
  std::optional<OverrideValue> web_config_file;
  std::optional<OverrideValue> prefix;
  std::optional<OverrideValue> lease_ttl;
  std::optional<OverrideValue> log_level;
  std::optional<OverrideValue> log_format;
  std::optional<OverrideValue> member_id;  // registration.cluster.member_id
  std::optional<bool> dry_run;
};

// One problem found while loading. `line`/`column` are 1-based; 0 when the
// problem has no position (a command-line value, an unreadable file).
struct ConfigError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string path;  // "services[1].probe.httpGet.port", or "--lease-ttl"
  std::string message;
  // "FILE:LINE:COL: PATH: MESSAGE" (parts without a value are left out).
  std::string ToString() const;
  bool operator==(const ConfigError&) const = default;
};

struct LoadResult {
  std::optional<Config> config;     // set iff errors is empty
  std::vector<ConfigError> errors;  // in document order, as far as possible
  // Settings that are valid but have no effect (metadata with format plain,
  // dnsDomain without skydns, probe TLS options with scheme HTTP). The config
  // is still loaded; check-config and the daemon print them.
  std::vector<ConfigError> warnings;
};

// Reads, parses and validates `path` with `overrides` applied.
LoadResult LoadConfigDetailed(const std::string& path, const Overrides& overrides = {});

// Same as LoadConfigDetailed, for code that only needs a message:
// InvalidArgument listing every error, one per line.
absl::StatusOr<Config> LoadConfig(const std::string& path, const Overrides& overrides = {});

// Parses YAML text as if read from `display_name`; relative paths resolve
// against `base_dir`. For tests and tools.
LoadResult ParseConfig(const std::string& yaml, const std::string& display_name,
                       const std::string& base_dir, const Overrides& overrides = {});

// Durations as the config spells them (common/duration.h).
using ::registrar::FormatDuration;
using ::registrar::ParseDuration;

// What changed between two target sets, matched by Target::Id().
struct TargetDiff {
  std::vector<probes::Target> added;
  std::vector<probes::Target> removed;
  std::vector<probes::Target> changed;  // same id, different probe spec (new version)
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};
TargetDiff Diff(const std::vector<probes::Target>& before,
                const std::vector<probes::Target>& after);

// Settings a reload cannot apply to a running process (etcd connection,
// admin listen address, key prefixes, lease TTL, resync, prefix ownership,
// logging): the key paths that differ. The keys marked Reload::kNeedsRestart
// in config/keys.cc, and no others (a test checks).
// The caller logs them as "needs a restart" and applies the rest.
std::vector<std::string> ChangesNeedingRestart(const Config& before, const Config& after);

// A human summary for check-config and the startup log: services, endpoint
// counts, probe kinds, etcd endpoints. Never contains secrets.
std::string Summary(const Config& config);

// The one of `candidates` closest to `name` (edit distance with
// transpositions), for "did you mean" hints: check-config's for an unknown
// key, `drain`'s for a target id it does not configure. Empty when none is
// within `max_distance` edits, or `name` is too long to compare cheaply.
std::string ClosestName(std::string_view name, const std::vector<std::string_view>& candidates,
                        size_t max_distance = 2);

// `etcd-registrar check-config`: loads `path`; prints the summary to `out`
// and returns 0 when valid, prints every error to `err` and returns 2 if not.
// With `resolve`, a valid config's target sources are each asked once and
// what they list is printed; a source that fails makes it return 1.
int RunCheckConfig(const std::string& path, const Overrides& overrides, std::ostream& out,
                   std::ostream& err, bool resolve = false);

}  // namespace registrar::config
