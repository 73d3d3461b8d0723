#include "config/reloader.h"

#include <algorithm>

#include "spdlog/spdlog.h"

namespace registrar::config {

Reloader::Reloader(std::string path, Overrides overrides, std::shared_ptr<const Config> initial)
    : path_(std::move(path)),
      overrides_(std::move(overrides)),
      running_(initial),
      current_(std::move(initial)) {}

std::shared_ptr<const Config> Reloader::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

ReloadOutcome Reloader::Reload(const std::string& reason) {
  std::lock_guard<std::mutex> serial(reload_mu_);
  std::shared_ptr<const Config> before = current();
  ReloadOutcome outcome;
  LoadResult result = LoadConfigDetailed(path_, overrides_);
  if (!result.config) {
    outcome.config = before;
    outcome.errors = std::move(result.errors);
    spdlog::error("config reload ({}) rejected, keeping the running config: {} error(s)", reason,
                  outcome.errors.size());
    for (const ConfigError& e : outcome.errors) spdlog::error("  {}", e.ToString());
    return outcome;
  }
  outcome.ok = true;
  for (const ConfigError& w : result.warnings) spdlog::warn("config: {}", w.ToString());
  auto after = std::make_shared<const Config>(std::move(*result.config));
  outcome.diff = Diff(before->Targets(), after->Targets());
  outcome.needs_restart = ChangesNeedingRestart(*running_, *after);
  const std::vector<std::string> pending_before = ChangesNeedingRestart(*running_, *before);
  outcome.changed = !(*before == *after);
  outcome.config = after;
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = after;
  }
  if (!outcome.changed) {
    spdlog::info("config reload ({}): no change", reason);
  } else {
    spdlog::info("config reload ({}): {} target(s) added, {} removed, {} changed", reason,
                 outcome.diff.added.size(), outcome.diff.removed.size(),
                 outcome.diff.changed.size());
  }
  for (const std::string& key : outcome.needs_restart) {
    spdlog::warn(
        "config reload ({}): {} differs from the running config; it takes effect at the next "
        "restart",
        reason, key);
  }
  for (const std::string& key : pending_before) {
    if (std::find(outcome.needs_restart.begin(), outcome.needs_restart.end(), key) ==
        outcome.needs_restart.end()) {
      spdlog::info("config reload ({}): {} is back to the running value; no restart needed for it",
                   reason, key);
    }
  }
  return outcome;
}

}  // namespace registrar::config
