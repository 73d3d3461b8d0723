#include "cmd/daemon.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <atomic>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"

#include "admin/admin_server.h"
#include "admin/web_config.h"
#include "cmd/logging.h"
#include "cmd/wiring.h"
#include "common/heap.h"
#include "config/config.h"
#include "config/reloader.h"
#include "config/watcher.h"
#include "controller/controller.h"
#include "controller/probe_intake.h"
#include "etcd/client.h"
#include "metrics/metrics.h"
#include "metrics/source_collector.h"
#include "metrics/target_collector.h"
#include "probes/observer_fanout.h"
#include "probes/prober.h"
#include "registration/drain_store.h"
#include "sources/runner.h"
#include "status/live_status.h"

namespace registrar {
namespace {

metrics::PerTargetSeries PerTargetMode(const config::MetricsConfig& c) {
  switch (c.per_target_series) {
    case config::PerTargetSeries::kAlways:
      return metrics::PerTargetSeries::kAlways;
    case config::PerTargetSeries::kNever:
      return metrics::PerTargetSeries::kNever;
    case config::PerTargetSeries::kAuto:
      break;
  }
  return metrics::PerTargetSeries::kAuto;
}

// Everything the daemon runs, in construction order (destroyed in reverse).
class Daemon {
 public:
  Daemon(const config::Config& config, const config::Command& command,
         const config::VersionInfo& version)
      : config_(config), command_(command), version_(version) {}

  int Run();

 private:
  int Start();
  void Reload(const char* why);
  void PushTargets(const std::shared_ptr<const controller::TargetSet>& targets);
  void Shutdown();
  // The config's targets and what its sources list now.
  std::shared_ptr<const controller::TargetSet> AllTargets(const config::Config& config) const;

  config::Config config_;
  const config::Command command_;
  const config::VersionInfo version_;

  SystemRandom controller_random_;
  SystemRandom prober_random_;
  std::unique_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<etcd::Client> client_;
  std::unique_ptr<controller::Controller> controller_;
  std::unique_ptr<controller::ProbeIntake> intake_;
  std::unique_ptr<probes::ObserverFanout> fanout_;
  std::unique_ptr<controller::DrainStore> drains_;
  std::unique_ptr<probes::Prober> prober_;
  std::unique_ptr<DrainApi> drain_api_;
  std::unique_ptr<status::LiveStatus> status_;
  std::shared_ptr<metrics::TargetCollector> target_collector_;
  std::unique_ptr<admin::AdminServer> admin_;
  std::unique_ptr<sources::Runner> sources_;
  std::atomic<bool> reload_requested_{false};
  std::atomic<bool> sources_changed_{false};
  std::unique_ptr<config::ConfigWatcher> watcher_;
  std::unique_ptr<config::Reloader> reloader_;
  // Freed memory back to the kernel every half minute and after each reload
  // (common/heap.h): RSS follows the live heap instead of its peaks.
  HeapTrimmer heap_trimmer_{RealClock(), std::chrono::seconds(30)};
};

int Daemon::Start() {
  if (absl::Status s = controller::ValidateRegistrationOptions(config_.registration); !s.ok()) {
    spdlog::error("config: {}", std::string(s.message()));
    return config::kExitUsage;
  }
  // One immutable target set, pushed in one place (PushTargets); the prober
  // gets the subset this replica owns from the controller.
  // Sources answer once before the first target set, so it is whole.
  sources_ =
      std::make_unique<sources::Runner>(RealClock(), [this] { sources_changed_.store(true); });
  sources_->SetSpecs(config_.SourceSpecs());
  sources_changed_.store(false);
  auto targets = AllTargets(config_);
  auto metrics =
      metrics::Metrics::Create({.version = version_.version, .revision = version_.revision});
  if (!metrics.ok()) {
    spdlog::error("metrics: {}", metrics.status().ToString());
    return config::kExitRuntimeFailure;
  }
  metrics_ = std::move(*metrics);
  metrics_->OnConfigLoaded(RealClock().WallNow());

  auto client = etcd::Client::Create(EtcdClientOptions(config_.etcd, metrics_.get()));
  if (!client.ok()) {
    spdlog::error("etcd client: {}", client.status().ToString());
    return config::kExitUsage;
  }
  client_ = std::move(*client);

  controller_ = std::make_unique<controller::Controller>(*client_, RealClock(), controller_random_,
                                                         config_.registration,
                                                         Registrations(config_), metrics_.get());
  intake_ = std::make_unique<controller::ProbeIntake>(*controller_);
  fanout_ = std::make_unique<probes::ObserverFanout>(
      std::vector<probes::ProbeObserver*>{metrics_.get(), intake_.get()});
  drains_ = std::make_unique<controller::DrainStore>(*client_, RealClock(),
                                                     config::CoordinationPrefix(config_));
  probes::ProberOptions prober_options;
  prober_options.dns_min_ttl = config_.probes.dns_min_ttl;
  prober_options.dns_servers = config_.probes.dns_servers;
  prober_ = probes::Prober::Create(RealClock(), prober_random_, prober_options, fanout_.get());
  intake_->FollowOwnership(*prober_);
  status_ = std::make_unique<status::LiveStatus>(*prober_, *controller_);
  status_->SetConfigLoaded(true);
  status_->SetRegistrationExtras([this](status::RegistrationView& view) {
    for (auto& [id, d] : drains_->Drained()) {
      view.drained[id] = status::DrainInfo{d.reason, d.by, d.at, d.until};
    }
  });
  target_collector_ =
      std::make_shared<metrics::TargetCollector>(*status_, PerTargetMode(config_.metrics));
  status_->SetSources([this] { return sources_->States(); });
  auto collectables = metrics_->Collectables();
  collectables.push_back(target_collector_);
  collectables.push_back(std::make_shared<metrics::SourceCollector>(*status_));

  drain_api_ = std::make_unique<DrainApi>(*drains_, *controller_);
  status_->SetProcess({.version = absl::StrCat(version_.version, " (", version_.revision, ")"),
                       .config_file = config_.source_path});
  absl::StatusOr<admin::WebConfig> web = admin::LoadWebConfig(config_.server.web_config_file);
  if (!web.ok()) {
    spdlog::error("{}", std::string(web.status().message()));
    return config::kExitUsage;
  }
  auto admin = admin::AdminServer::Start({.listen_address = config_.server.listen,
                                          .collectables = std::move(collectables),
                                          .web_config = std::move(*web),
                                          .drain = drain_api_.get()},
                                         *status_);
  if (!admin.ok()) {
    spdlog::error("admin server: {}", admin.status().ToString());
    return config::kExitRuntimeFailure;
  }
  admin_ = std::move(*admin);

  PushTargets(targets);
  // Until the drains are known nothing is registered, so a restart never
  // re-registers a drained target even for a moment.
  controller_->AwaitDrains();
  if (auto started = drains_->Start(
          [this](const std::set<std::string>& ids) { controller_->SetDrained(ids); });
      !started.ok()) {
    spdlog::error("drain watch: {}", started.ToString());
    return config::kExitRuntimeFailure;
  }
  controller_->Start();
  prober_->Start();

  reloader_ = std::make_unique<config::Reloader>(command_.config_path, command_.overrides,
                                                 std::make_shared<const config::Config>(config_));
  watcher_ = std::make_unique<config::ConfigWatcher>(config_.WatchedFiles(),
                                                     [this] { reload_requested_.store(true); });
  spdlog::info("etcd-registrar {} ({}) running: {} targets, admin on {}{}", version_.version,
               version_.revision, targets->size(), admin_->address(),
               config_.registration.dry_run ? ", dry run: nothing is written" : "");
  return config::kExitOk;
}

void Daemon::Reload(const char* why) {
  // config::Reloader is the one reload path: it loads, logs errors and the
  // settings that need a restart, and keeps the old config on a bad file.
  const config::ReloadOutcome outcome = reloader_->Reload(why);
  const WallTime now = RealClock().WallNow();
  // The web config reloads with the rest; a bad one keeps the one in force
  // and counts the reload as failed.
  absl::Status web = absl::OkStatus();
  if (outcome.ok) {
    absl::StatusOr<admin::WebConfig> next_web =
        admin::LoadWebConfig(outcome.config->server.web_config_file);
    web = next_web.ok() ? admin_->SetWebConfig(*next_web) : next_web.status();
    if (!web.ok()) {
      spdlog::error("config: web config rejected, keeping the previous one: {}",
                    std::string(web.message()));
    }
  }
  status_->SetProcess({.version = absl::StrCat(version_.version, " (", version_.revision, ")"),
                       .config_file = config_.source_path,
                       .last_reload = now,
                       .last_reload_ok = outcome.ok && web.ok()});
  metrics_->OnConfigReload(outcome.ok && web.ok(), now);
  if (!outcome.ok) return;
  config::Config next = *outcome.config;
  controller_->SetServices(Registrations(next));
  sources_->SetSpecs(next.SourceSpecs());
  sources_changed_.store(false);
  PushTargets(AllTargets(next));
  watcher_->SetFiles(next.WatchedFiles());
  target_collector_->SetMode(PerTargetMode(next.metrics));
  // Settings that need a restart stay as they were.
  next.etcd = config_.etcd;
  next.server = config_.server;
  next.registration = config_.registration;
  config_ = std::move(next);
}

std::shared_ptr<const controller::TargetSet> Daemon::AllTargets(
    const config::Config& config) const {
  return std::make_shared<const controller::TargetSet>(
      config::TargetsWithSources(config, sources_->Endpoints()));
}

void Daemon::PushTargets(const std::shared_ptr<const controller::TargetSet>& targets) {
  metrics_->SetTargets(*targets);
  // The controller forgets targets not in the set (their keys go; a late
  // transition of one is dropped), computes what this replica owns and
  // hands that to the prober.
  controller_->SetTargets(targets);
}

void Daemon::Shutdown() {
  spdlog::info("stopping: probes first, then hand-over to other members or revoke the lease");
  watcher_.reset();
  sources_->SetSpecs({});  // stops every source; the status page then lists none
  prober_->Stop();
  drains_->Stop();
  controller_->Stop(/*revoke=*/true);
  admin_->Stop();
  spdlog::info("stopped");
}

int Daemon::Run() {
  if (const int code = Start(); code != config::kExitOk) return code;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  const timespec tick{0, 100 * 1000 * 1000};
  while (true) {
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      reload_requested_.store(false);
      Reload("SIGHUP");
      heap_trimmer_.AfterBurst();
    } else if (reload_requested_.exchange(false)) {
      Reload("file changed");
      heap_trimmer_.AfterBurst();
    } else if (sources_changed_.exchange(false)) {
      PushTargets(AllTargets(config_));
    } else {
      heap_trimmer_.Tick();
    }
  }
  Shutdown();
  return config::kExitOk;
}

// Raises the soft open-file limit to the hard one, as Go's runtime does: the
// prober sizes its connection budget from it (probes/prober.h), and the
// default soft limit (often 1024) would leave large target sets on fresh
// connections for no reason.
void RaiseOpenFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  const rlim_t before = rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) rl.rlim_cur = before;
  }
  spdlog::info("open-file limit {} (soft was {}, hard {})", rl.rlim_cur, before, rl.rlim_max);
}

}  // namespace

int RunDaemon(const config::Config& config, const std::vector<config::ConfigError>& warnings,
              const config::Command& command, const config::VersionInfo& version) {
  // Logging first, so every line is in the configured format (json too).
  SetUpLogging(config.log.level, config.log.format);
  RaiseOpenFileLimit();
  for (const auto& w : warnings) spdlog::warn("config: {}", w.ToString());
  Daemon daemon(config, command, version);
  return daemon.Run();
}

}  // namespace registrar
