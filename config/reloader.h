// Reloader: the one place that turns "reload now" (SIGHUP, a ConfigWatcher
// callback) into a new Config, or keeps the old one.
//
// Reload() loads the file again with the same command-line overrides. If the
// new config is invalid, the current one stays, every error is logged, and
// the outcome says so (the caller counts it in a metric). If it is valid, it
// becomes current and the outcome carries the target diff to apply, plus the
// settings that need a restart: those that differ from the config the
// process runs with (the initial one), not from the previous file, so an
// edit reverted before a restart needs none (logged as warnings).
//
// Thread-safety: all methods are thread-safe; reloads are serialised.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"

namespace registrar::config {

struct ReloadOutcome {
  bool ok = false;
  bool changed = false;                  // ok and the new config differs from the old
  std::shared_ptr<const Config> config;  // the current config after the reload
  TargetDiff diff;                       // ok: targets added / removed / changed
  std::vector<ConfigError> errors;       // !ok: why the new config was rejected
  // ok: settings that differ from the running ones and apply only at restart.
  std::vector<std::string> needs_restart;
};

class Reloader final {
 public:
  Reloader(std::string path, Overrides overrides, std::shared_ptr<const Config> initial);

  std::shared_ptr<const Config> current() const;
  // `reason` is logged ("SIGHUP", "file change").
  ReloadOutcome Reload(const std::string& reason);

 private:
  const std::string path_;
  const Overrides overrides_;
  // What the process runs with for settings a reload cannot apply.
  const std::shared_ptr<const Config> running_;
  mutable std::mutex mu_;
  std::shared_ptr<const Config> current_;  // guarded by mu_
  std::mutex reload_mu_;                   // serialises Reload()
};

}  // namespace registrar::config
