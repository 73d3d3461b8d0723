#include "config/cli.h"

#include <CLI/CLI.hpp>

#include <cstring>
#include <ostream>
#include <string>
#include <utility>

namespace registrar::config {
namespace {

// The flags that override the file, with their environment variables.
struct OverrideFlag {
  const char* flag;
  const char* alias;  // the older spelling, still accepted; null if none
  const char* env;
  const char* help;
  std::optional<OverrideValue> Overrides::*field;
};

const OverrideFlag kOverrideFlags[] = {
    {"--etcd-endpoints", nullptr, "REGISTRAR_ETCD_ENDPOINTS",
     "etcd endpoints, comma-separated host:port or http(s)://host:port (replaces etcd.endpoints)",
     &Overrides::etcd_endpoints},
    // Exporter spellings first (as Prometheus exporters name them); the
    // older ones stay as aliases.
    {"--web.listen-address", "--listen", "REGISTRAR_LISTEN",
     "admin HTTP address [host]:port (replaces server.listen)", &Overrides::listen},
    {"--web.config.file", nullptr, "REGISTRAR_WEB_CONFIG_FILE",
     "TLS and basic auth of the admin port, exporter-toolkit format (replaces "
     "server.webConfigFile)",
     &Overrides::web_config_file},
    {"--prefix", nullptr, "REGISTRAR_PREFIX", "etcd key prefix (replaces registration.prefix)",
     &Overrides::prefix},
    {"--lease-ttl", nullptr, "REGISTRAR_LEASE_TTL",
     "lease TTL, e.g. 10s (replaces registration.leaseTTL)", &Overrides::lease_ttl},
    {"--log.level", "--log-level", "REGISTRAR_LOG_LEVEL",
     "trace, debug, info, warn or error (replaces log.level)", &Overrides::log_level},
    {"--log.format", "--log-format", "REGISTRAR_LOG_FORMAT", "text or json (replaces log.format)",
     &Overrides::log_format},
    {"--member-id", nullptr, "REGISTRAR_MEMBER_ID",
     "this replica's id in its cluster, e.g. the pod name (default: hostname-pid)",
     &Overrides::member_id},
};

// True if argv names `flag` ("--flag value" or "--flag=value"), so the value
// came from the command line and not the environment.
bool OnCommandLine(int argc, const char* const* argv, const char* flag) {
  size_t n = std::strlen(flag);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], flag, n) == 0 && (argv[i][n] == '\0' || argv[i][n] == '=')) {
      return true;
    }
  }
  return false;
}

}  // namespace

Command ParseCommandLine(int argc, const char* const* argv, const VersionInfo& version,
                         std::ostream& out, std::ostream& err, const CliHooks& hooks) {
  CLI::App app("Health-probes backends and keeps a lease-bound etcd key for each healthy one.",
               "etcd-registrar");
  app.footer(
      "Exit codes: 0 clean stop, 1 runtime failure, 2 usage or configuration error.\n"
      "SIGHUP or a change of the config file reloads it; an invalid one is rejected.");
  app.set_version_flag(
      "--version", "etcd-registrar " + version.version + " (revision " + version.revision + ")");
  app.require_subcommand(0, 1);

  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (YAML)")
      ->envname("REGISTRAR_CONFIG");
  std::string values[std::size(kOverrideFlags)];
  CLI::Option* options[std::size(kOverrideFlags)];
  for (size_t i = 0; i < std::size(kOverrideFlags); ++i) {
    const OverrideFlag& f = kOverrideFlags[i];
    const std::string names = f.alias != nullptr ? std::string(f.flag) + "," + f.alias : f.flag;
    options[i] = app.add_option(names, values[i], f.help)->envname(f.env);
  }
  bool dry_run = false;
  CLI::Option* dry_run_option =
      app.add_flag("--dry-run", dry_run, "probe and log, but write nothing to etcd")
          ->envname("REGISTRAR_DRY_RUN");

  std::string check_path;
  CLI::App* check = app.add_subcommand(
      "check-config", "validate a config file and print a summary; exit 0 if valid, 2 if not");
  check->add_option("file", check_path, "configuration file (default: --config)");
  bool resolve = false;
  check->add_flag("--resolve", resolve,
                  "also ask every target source (dnsSd, fileSd, httpSd) once and print what it "
                  "lists now");
  check->footer(
      "Exit codes: 0 valid (the summary says where each service's keys go), 1 valid but a "
      "source failed to answer (--resolve), 2 invalid (every error at file:line:col).");
  check->fallthrough();

  CLI::App* docs = app.add_subcommand(
      "config-docs", "print the configuration reference (docs/configuration.md) as Markdown");
  docs->footer("Exit code 0.");
  std::string chart_values;
  CLI::App* schema =
      app.add_subcommand("config-schema", "print the JSON Schema of the config file");
  schema->footer("Exit codes: 0 printed, 1 the --chart-values file is not JSON, 2 usage error.");
  schema
      ->add_option("--chart-values", chart_values,
                   "print this values.schema.json with definitions.registrarConfig replaced by the "
                   "config's schema")
      ->check(CLI::ExistingFile);

  CLI::App* discover = nullptr;
  if (hooks.add_discover_options) {
    discover = app.add_subcommand("discover", "list and watch registrations under a prefix");
    hooks.add_discover_options(*discover);
    discover->footer(
        "stdout carries only endpoint lines (text) or JSON lines (-o json); logs go to stderr.\n"
        "Exit codes: 0 stopped (SIGINT/SIGTERM, or --once done), 1 etcd failure, 2 usage error.");
  }

  CLI::App* drain = nullptr;
  CLI::App* undrain = nullptr;
  if (hooks.add_drain_options) {
    drain = app.add_subcommand("drain", "take targets out of discovery (still probed); --list");
    drain->fallthrough();
    hooks.add_drain_options(*drain);
  }
  if (hooks.add_undrain_options) {
    undrain = app.add_subcommand("undrain", "put a drained target back (registered if healthy)");
    undrain->fallthrough();
    hooks.add_undrain_options(*undrain);
  }
  Command command;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    command.exit_code = code == 0 ? kExitOk : kExitUsage;
    return command;
  }

  for (size_t i = 0; i < std::size(kOverrideFlags); ++i) {
    if (options[i]->count() == 0) continue;
    const OverrideFlag& f = kOverrideFlags[i];
    const char* source = OnCommandLine(argc, argv, f.flag)                          ? f.flag
                         : f.alias != nullptr && OnCommandLine(argc, argv, f.alias) ? f.alias
                                                                                    : f.env;
    command.overrides.*f.field = OverrideValue{values[i], source};
  }
  if (dry_run_option->count() > 0) command.overrides.dry_run = dry_run;

  if (discover != nullptr && discover->parsed()) {
    command.kind = CommandKind::kDiscover;
    return command;
  }
  for (auto [sub, kind] :
       {std::pair{drain, CommandKind::kDrain}, {undrain, CommandKind::kUndrain}}) {
    if (sub != nullptr && sub->parsed()) {
      command.kind = kind;
      command.config_path = config_path;
      return command;
    }
  }
  if (docs->parsed() || schema->parsed()) {
    command.kind = docs->parsed() ? CommandKind::kConfigDocs : CommandKind::kConfigSchema;
    command.chart_values = chart_values;
    return command;
  }
  command.config_path = check->parsed() && !check_path.empty() ? check_path : config_path;
  command.kind = check->parsed() ? CommandKind::kCheckConfig : CommandKind::kRun;
  command.resolve = resolve;
  if (command.config_path.empty()) {
    err << "etcd-registrar: a config file is required: "
        << (check->parsed() ? "check-config FILE" : "--config FILE") << " (or REGISTRAR_CONFIG)\n"
        << "Run with --help for more information.\n";
    command.kind = CommandKind::kExit;
    command.exit_code = kExitUsage;
  }
  return command;
}

}  // namespace registrar::config
