// etcd-registrar: run (default), check-config, discover.
#include <signal.h>

#include <iostream>

#include "cmd/daemon.h"
#include "cmd/version.h"
#include "config/cli.h"
#include "config/config.h"

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
  const registrar::config::Command command =
      registrar::config::ParseCommandLine(argc, argv, version, std::cout, std::cerr);
  switch (command.kind) {
    case CommandKind::kExit:
      return command.exit_code;
    case CommandKind::kCheckConfig:
      return registrar::config::RunCheckConfig(command.config_path, command.overrides, std::cout,
                                               std::cerr);
    case CommandKind::kDiscover:
      std::cerr << "etcd-registrar: discover is not available in this build\n";
      return registrar::config::kExitUsage;
    case CommandKind::kRun:
      break;
  }
  registrar::config::LoadResult loaded =
      registrar::config::LoadConfigDetailed(command.config_path, command.overrides);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e.ToString() << "\n";
    return registrar::config::kExitUsage;
  }
  return registrar::RunDaemon(*loaded.config, command, version);
}
