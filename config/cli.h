// The etcd-registrar command line (CLI11).
//
//   etcd-registrar --config FILE [overrides]        run
//   etcd-registrar check-config [FILE] [overrides]  validate, print a summary
//   etcd-registrar discover …                       (when a hook adds it)
//   etcd-registrar drain … | undrain …              (when hooks add them)
//   etcd-registrar --help | --version
//
// Overrides replace the config file's values; each has an environment
// variable, and a flag beats its variable: --etcd-endpoints
// (REGISTRAR_ETCD_ENDPOINTS, comma-separated), --listen (REGISTRAR_LISTEN),
// --prefix (REGISTRAR_PREFIX), --lease-ttl (REGISTRAR_LEASE_TTL), --log-level
// (REGISTRAR_LOG_LEVEL), --log-format (REGISTRAR_LOG_FORMAT), --dry-run
// (REGISTRAR_DRY_RUN); --config is REGISTRAR_CONFIG. Values are validated by
// LoadConfig, which names the flag or variable in its error.
//
// Exit codes (returned in Command::exit_code when parsing ends the program):
// 0 clean stop (--help, --version), 1 runtime failure, 2 usage or
// configuration error.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include "config/config.h"

namespace CLI {
class App;
}  // namespace CLI

namespace registrar::config {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeFailure = 1;
inline constexpr int kExitUsage = 2;

struct VersionInfo {
  std::string version;   // "0.1.0"
  std::string revision;  // git short hash
};

enum class CommandKind {
  kExit,          // help, version or a usage error was printed: exit with exit_code
  kRun,           // run the daemon
  kCheckConfig,   // call RunCheckConfig(config_path, overrides, …)
  kDiscover,      // the discover subcommand; its options are bound by the hook
  kConfigDocs,    // print docs/configuration.md (ConfigReferenceMarkdown)
  kConfigSchema,  // print the config's JSON Schema, or with chart_values the chart's
  kDrain,         // the drain subcommand (config_path/overrides set; may be empty)
  kUndrain,       // the undrain subcommand (the same)
};

struct Command {
  CommandKind kind = CommandKind::kExit;
  int exit_code = kExitOk;   // kExit only
  std::string config_path;   // kRun, kCheckConfig, kDrain, kUndrain
  Overrides overrides;       // kRun, kCheckConfig, kDrain, kUndrain
  std::string chart_values;  // kConfigSchema: a values.schema.json to fill in, or empty
  bool resolve = false;      // kCheckConfig: also ask every target source once
};

struct CliHooks {
  // When set, the `discover` subcommand exists and this adds its options
  // (binding them to the caller's own variables).
  std::function<void(CLI::App& discover)> add_discover_options;
  // The same for `drain` and `undrain`.
  std::function<void(CLI::App& drain)> add_drain_options;
  std::function<void(CLI::App& undrain)> add_undrain_options;
};

// Parses argv. Help and version go to `out`; usage errors go to `err`.
Command ParseCommandLine(int argc, const char* const* argv, const VersionInfo& version,
                         std::ostream& out, std::ostream& err, const CliHooks& hooks = {});

}  // namespace registrar::config
