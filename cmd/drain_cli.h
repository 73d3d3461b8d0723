// The `drain` and `undrain` commands: an operator takes a target out of
// discovery (it stays probed) and puts it back.
//
//   etcd-registrar [--config FILE] drain SERVICE/ADDRESS [--reason TEXT] [--for 1h] [--by NAME]
//   etcd-registrar [--config FILE] drain --list
//   etcd-registrar [--config FILE] undrain SERVICE/ADDRESS
//
// The etcd connection (endpoints, TLS, auth) and the coordination prefix come
// from the config file, as the daemon reads them; without one, from
// --endpoints (or --etcd-endpoints / REGISTRAR_ETCD_ENDPOINTS) and --prefix.
// SERVICE/ADDRESS is a target id as /api/v1/targets shows it
// ("orders/10.0.0.5:8080"); with a config file an id it does not configure is
// refused, so a typo cannot drain nothing.
//
// Exit codes: 0 done; 1 etcd failed (or undrain of a target not drained);
// 2 bad options or config.
#pragma once

#include <iosfwd>
#include <string>

#include "config/cli.h"

namespace CLI {
class App;
}  // namespace CLI

namespace registrar {

struct DrainCommandOptions {
  std::string target;     // SERVICE/ADDRESS
  std::string reason;     // drain
  std::string duration;   // drain --for ("1h"); empty: until undrained
  std::string by;         // drain --by; empty: "cli:$USER", else the effective user
  bool list = false;      // drain --list
  std::string endpoints;  // --endpoints, comma-separated
};

void AddDrainOptions(CLI::App& app, DrainCommandOptions& options);
void AddUndrainOptions(CLI::App& app, DrainCommandOptions& options);

// Runs `drain` (undrain = false) or `undrain`.
int RunDrainCommand(const config::Command& command, const DrainCommandOptions& options,
                    bool undrain, std::ostream& out, std::ostream& err);

}  // namespace registrar
