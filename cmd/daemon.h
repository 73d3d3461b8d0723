// The registrar daemon: the composition root of the `run` command.
//
// Builds the modules from a validated Config and wires them (cmd/wiring.h):
// the prober's results and transitions go to the metrics and to the
// controller's target table (ProbeIntake), drains from the DrainStore too;
// the controller judges what to register and hands the prober the targets
// this replica owns; the admin server reads the prober and the controller
// through status::LiveStatus. Runs until
// SIGTERM/SIGINT (stop probing, hand the keys over to other members or revoke
// the lease, exit 0); SIGHUP or a change of the config file on disk reloads
// the config: an invalid one is logged and counted, and the old one stays in
// force.
#pragma once

#include "config/cli.h"
#include "config/config.h"

#include <vector>

namespace registrar {

// Runs until a stop signal; returns the process exit code. The caller has
// blocked SIGTERM, SIGINT and SIGHUP in every thread (they are taken with
// sigtimedwait here).
// `warnings` are the load's warnings, logged once logging is set up.
int RunDaemon(const config::Config& config, const std::vector<config::ConfigError>& warnings,
              const config::Command& command, const config::VersionInfo& version);

}  // namespace registrar
