#include "cmd/drain_cli.h"

#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cmd/wiring.h"
#include "config/config.h"
#include "etcd/client.h"
#include "registration/drain_store.h"
#include "registration/keys.h"
#include "sources/runner.h"
#include "sources/source.h"

namespace registrar {
namespace {

void AddConnectionOptions(CLI::App& app, DrainCommandOptions& o) {
  app.add_option("--endpoints", o.endpoints,
                 "etcd endpoints, comma-separated (when no --config is given)");
}

// "cli:" and who runs the command: $USER or $LOGNAME as a shell sets them,
// else the effective user (cron, systemd units and `env -i` leave both unset).
std::string DefaultWho() {
  for (const char* var : {"USER", "LOGNAME"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') {
      return std::string("cli:") + v;
    }
  }
  const uid_t uid = geteuid();
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && *found->pw_name != '\0') {
    return std::string("cli:") + found->pw_name;
  }
  return "cli:uid " + std::to_string(uid);
}

// The config the daemon would run (for etcd settings and the prefixes), or
// one made of the overrides alone when no file is given.
std::optional<config::Config> LoadFor(const config::Command& command, const DrainCommandOptions& o,
                                      std::ostream& err) {
  config::Overrides overrides = command.overrides;
  if (!o.endpoints.empty())
    overrides.etcd_endpoints = config::OverrideValue{o.endpoints, "--endpoints"};
  config::LoadResult loaded;
  if (!command.config_path.empty()) {
    loaded = config::LoadConfigDetailed(command.config_path, overrides);
  } else if (overrides.etcd_endpoints) {
    loaded = config::ParseConfig("{}", "(command line)", std::filesystem::current_path().string(),
                                 overrides);
  } else {
    err << "etcd-registrar: drain needs --config FILE or --endpoints HOST:PORT\n";
    return std::nullopt;
  }
  if (!loaded.config) {
    for (const auto& e : loaded.errors) err << e.ToString() << "\n";
    return std::nullopt;
  }
  return std::move(*loaded.config);
}

// "; did you mean \"ID\"?" for the closest of `ids` to `id`, or "".
std::string DidYouMean(const std::string& id, const std::vector<std::string>& ids) {
  const std::string best =
      config::ClosestName(id, std::vector<std::string_view>(ids.begin(), ids.end()));
  return best.empty() ? "" : "; did you mean \"" + best + "\"?";
}

// The target ids `c` has now: the typed-in ones, and what the sources of
// `service` list when each is asked once (as the daemon would). A source
// that cannot be asked is named in `failed`.
std::vector<std::string> TargetIdsNow(const config::Config& c, const std::string& service,
                                      std::vector<std::string>& failed) {
  std::vector<sources::Runner::Listed> listed;
  for (const sources::SourceSpec& spec : c.SourceSpecs()) {
    if (spec.service != service) continue;
    sources::Answer answer = sources::MakeSource(spec)->Fetch();
    if (!answer.ok()) {
      failed.push_back(spec.Name() + " (" + std::string(sources::FailureName(answer.failure)) +
                       ": " + answer.error + ")");
      continue;
    }
    listed.push_back({spec, std::move(answer.endpoints)});
  }
  std::vector<std::string> ids;
  for (const auto& t : config::TargetsWithSources(c, listed)) ids.push_back(t.Id());
  return ids;
}

}  // namespace

void AddDrainOptions(CLI::App& app, DrainCommandOptions& o) {
  app.add_option("target", o.target, "SERVICE/ADDRESS, e.g. orders/10.0.0.5:8080");
  app.add_option("--reason", o.reason, "why (shown on the status page and in --list)");
  app.add_option("--for", o.duration, "end the drain by itself after this long, e.g. 1h");
  app.add_option("--by", o.by, "who drains (default cli:$USER, else the effective user)");
  app.add_flag("--list", o.list, "list every drain");
  AddConnectionOptions(app, o);
}

void AddUndrainOptions(CLI::App& app, DrainCommandOptions& o) {
  app.add_option("target", o.target, "SERVICE/ADDRESS, e.g. orders/10.0.0.5:8080")->required();
  AddConnectionOptions(app, o);
}

int RunDrainCommand(const config::Command& command, const DrainCommandOptions& o, bool undrain,
                    std::ostream& out, std::ostream& err) {
  if (!undrain && o.list == !o.target.empty()) {
    err << "etcd-registrar: drain takes SERVICE/ADDRESS or --list\n";
    return config::kExitUsage;
  }
  if (!o.target.empty() && o.target.find('/') == std::string::npos) {
    err << "etcd-registrar: expected SERVICE/ADDRESS (e.g. orders/10.0.0.5:8080), got \""
        << o.target << "\"\n";
    return config::kExitUsage;
  }
  Duration duration = Duration::zero();
  if (!o.duration.empty()) {
    std::optional<Duration> d = config::ParseDuration(o.duration);
    if (!d || *d <= Duration::zero()) {
      err << "etcd-registrar: --for: expected a duration like 30m or 1h, got \"" << o.duration
          << "\"\n";
      return config::kExitUsage;
    }
    duration = *d;
  }
  std::optional<config::Config> c = LoadFor(command, o, err);
  if (!c) return config::kExitUsage;
  if (!o.target.empty() && !command.config_path.empty() && !undrain) {
    std::vector<std::string> failed;
    const std::vector<std::string> ids =
        TargetIdsNow(*c, o.target.substr(0, o.target.find('/')), failed);
    if (std::find(ids.begin(), ids.end(), o.target) == ids.end()) {
      if (!failed.empty()) {
        // The inventory cannot say: a drain must still work in an incident.
        for (const std::string& f : failed) {
          err << "etcd-registrar: warning: cannot ask source " << f << "; draining " << o.target
              << " without checking that it lists it\n";
        }
      } else {
        const std::string hint = DidYouMean(o.target, ids);
        err << "etcd-registrar: " << o.target << " is not a target of " << command.config_path
            << (hint.empty() ? " (ids are SERVICE/ADDRESS as /api/v1/targets shows them)" : hint)
            << "\n";
        return config::kExitUsage;
      }
    }
  }
  auto client = etcd::Client::Create(EtcdClientOptions(c->etcd));
  if (!client.ok()) {
    err << "etcd-registrar: " << client.status().message() << "\n";
    return config::kExitUsage;
  }
  controller::DrainStore store(**client, RealClock(), config::CoordinationPrefix(*c));
  if (o.list) {
    auto drains = store.List();
    if (!drains.ok()) {
      err << "etcd-registrar: " << drains.status().message() << "\n";
      return config::kExitRuntimeFailure;
    }
    if (drains->empty()) {
      out << "no drains (nothing under " << store.Key("") << ")\n";
      return config::kExitOk;
    }
    for (const auto& [id, d] : *drains) {
      out << id << "\treason=\"" << d.reason << "\"\tby=" << d.by
          << "\tat=" << controller::FormatRfc3339(d.at)
          << "\tuntil=" << (d.until ? controller::FormatRfc3339(*d.until) : "-") << "\n";
    }
    return config::kExitOk;
  }
  const absl::Status done =
      undrain ? store.Undrain(o.target)
              : store.Drain(o.target, o.reason, duration, o.by.empty() ? DefaultWho() : o.by);
  if (!done.ok()) {
    std::string hint;
    if (undrain && absl::IsNotFound(done)) {  // a typo of a drained id?
      if (auto drains = store.List(); drains.ok()) {
        std::vector<std::string> ids;
        for (const auto& [id, d] : *drains) ids.push_back(id);
        hint = DidYouMean(o.target, ids);
      }
    }
    err << "etcd-registrar: " << done.message() << hint << "\n";
    return config::kExitRuntimeFailure;
  }
  out << (undrain ? "undrained " : "drained ") << o.target
      << (duration > Duration::zero() ? " for " + config::FormatDuration(duration) : "") << "\n";
  return config::kExitOk;
}

}  // namespace registrar
