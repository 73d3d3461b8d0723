// etcd-registrar: run (default), check-config, discover, drain, undrain.
#include <signal.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "cmd/daemon.h"
#include "cmd/discover_cli.h"
#include "cmd/drain_cli.h"
#include "cmd/logging.h"
#include "cmd/version.h"
#include "config/cli.h"
#include "config/config.h"
#include "config/keys.h"

namespace {

// `discover`: runs until SIGTERM/SIGINT (or once); the signals are blocked,
// so a small thread takes them and raises the stop flag.
int Discover(const registrar::etcd::DiscoverOptions& options, const sigset_t& signals) {
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    const timespec tick{0, 100 * 1000 * 1000};
    while (!done.load()) {
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) stop.store(true);
    }
  });
  const int code = registrar::etcd::RunDiscover(options, std::cout, std::cerr, stop);
  done.store(true);
  waiter.join();
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  // Taken synchronously by the main thread (sigtimedwait); blocked before any
  // thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  using registrar::config::CommandKind;
  const registrar::config::VersionInfo version{registrar::kVersion, registrar::kRevision};
  registrar::etcd::DiscoverOptions discover;
  registrar::config::CliHooks hooks;
  hooks.add_discover_options = [&](CLI::App& app) {
    registrar::etcd::AddDiscoverCommand(app, discover);
  };
  registrar::DrainCommandOptions drain;
  hooks.add_drain_options = [&](CLI::App& app) { registrar::AddDrainOptions(app, drain); };
  hooks.add_undrain_options = [&](CLI::App& app) { registrar::AddUndrainOptions(app, drain); };
  const registrar::config::Command command =
      registrar::config::ParseCommandLine(argc, argv, version, std::cout, std::cerr, hooks);
  switch (command.kind) {
    case CommandKind::kExit:
      return command.exit_code;
    case CommandKind::kCheckConfig:
      return registrar::config::RunCheckConfig(command.config_path, command.overrides, std::cout,
                                               std::cerr, command.resolve);
    case CommandKind::kConfigDocs:
      std::cout << registrar::config::ConfigReferenceMarkdown();
      return registrar::config::kExitOk;
    case CommandKind::kConfigSchema:
      return registrar::config::RunConfigSchema(command.chart_values, std::cout, std::cerr);
    case CommandKind::kDiscover:
      // Logs (the discovery client's too) to stderr in the daemon's format,
      // so stdout carries only endpoint lines.
      registrar::SetUpLogging("info", "text");
      return Discover(discover, signals);
    case CommandKind::kDrain:
    case CommandKind::kUndrain:
      return registrar::RunDrainCommand(command, drain, command.kind == CommandKind::kUndrain,
                                        std::cout, std::cerr);
    case CommandKind::kRun:
      break;
  }
  registrar::config::LoadResult loaded =
      registrar::config::LoadConfigDetailed(command.config_path, command.overrides);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e.ToString() << "\n";
    return registrar::config::kExitUsage;
  }
  return registrar::RunDaemon(*loaded.config, loaded.warnings, command, version);
}
