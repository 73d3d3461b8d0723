// The sources module's public header: runs every target source of the
// config, each on its own thread and its own timing, and keeps what each
// lists now.
//
// A source is refreshed every `refresh_interval` (dnsSd: at the records' TTL,
// at least refresh_interval, at most an hour), at once when it says it
// changed (fileSd), and after a failure with backoff (1 s doubling, at most
// refresh_interval). Safety:
//   - a refresh that fails keeps the last good list (counted by reason,
//     logged on the first failure and then at most every 5 minutes);
//   - an answer that removes too much at once waits for confirmation
//     (shrink_guard.h).
// `on_change` runs on a source's thread whenever what some source lists
// changed; read Endpoints() then. Time and waiting go through the injected
// Clock, so tests drive the schedule in simulated time.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "sources/source.h"
#include "sources/spec.h"

namespace registrar::sources {

// What the status page, the targets API and the metrics show of one source.
struct SourceState {
  SourceSpec spec;
  std::string name;       // spec.Name()
  size_t targets = 0;     // listed now (held removals included)
  bool answered = false;  // a good answer came since the source started
  std::optional<WallTime> last_success;
  std::optional<WallTime> last_failure;
  std::string last_error;                    // of the last failed refresh, cleared by a good one
  std::map<std::string, uint64_t> failures;  // reason (FailureName) → count
  uint64_t refreshes = 0;                    // attempts, good or not
  uint64_t changes_applied = 0;  // answers that changed the list at once (or confirmed a hold)
  uint64_t changes_held = 0;     // answers whose removals were held for confirmation
  size_t held_removals = 0;      // targets kept now only until a confirmation
  std::optional<Duration> ttl;   // dnsSd: of the last answer
  MonoTime next_refresh{};
};

class Runner {
 public:
  using Factory = std::function<std::unique_ptr<Source>(const SourceSpec&)>;

  Runner(Clock& clock, std::function<void()> on_change, Factory factory = MakeSource);
  ~Runner();  // stops every source (cancelling a running fetch); no on_change after it
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Replaces the sources. A spec equal to a running one keeps that source and
  // what it lists; removed ones stop. A changed spec of the same source (same
  // service and name; e.g. a new refresh interval or DNS servers) starts a
  // new source that begins from what the old one listed, so a reload never
  // loses a list because the new source's first refresh fails. Returns once
  // every new source has answered once or failed (each bounded by its own
  // timeout), so the first target set after a start or reload is whole.
  void SetSpecs(const std::vector<SourceSpec>& specs);

  struct Listed {
    SourceSpec spec;
    std::vector<Endpoint> endpoints;  // sorted; empty until a first good answer
  };
  // What each source lists now, in the order of the specs.
  std::vector<Listed> Endpoints() const;
  std::vector<SourceState> States() const;

 private:
  struct Worker;
  void Run(Worker& w);
  void Refresh(Worker& w);

  Clock& clock_;
  const std::function<void()> on_change_;
  const Factory factory_;
  mutable std::mutex mu_;
  std::condition_variable cv_;                    // stop, and first answers
  std::vector<std::unique_ptr<Worker>> workers_;  // guarded by mu_ (each Worker's state too)
};

}  // namespace registrar::sources
