// Test support: a real Prometheus server (the Debian `prometheus` binary)
// scraping the given targets, and its HTTP query API.
//
// Start() writes a config into a temp dir, runs Prometheus on a free loopback
// port and waits (up to `start_timeout`) until /-/ready answers 200. Queries
// go to /api/v1/query; use them inside WaitFor(): a series appears only after
// the first scrape.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace registrar::testing {

class PrometheusServer final {
 public:
  struct ScrapeTarget {
    std::string job;      // job label
    std::string address;  // "127.0.0.1:PORT"
    std::string metrics_path = "/metrics";
    // HTTPS with this CA (PEM file); empty: plain HTTP.
    std::string tls_ca_file;
    // Basic auth; empty user: none.
    std::string basic_auth_user, basic_auth_password;
  };
  struct Options {
    std::vector<ScrapeTarget> targets;
    Duration scrape_interval = std::chrono::seconds(1);
    Duration evaluation_interval = std::chrono::seconds(1);
    // Rule files (alerting/recording) to load, absolute paths.
    std::vector<std::string> rule_files;
    std::vector<std::string> extra_args;
    // More scrape_configs entries, YAML as it goes under `scrape_configs:`
    // ("  - job_name: ..."), e.g. a blackbox-style job with relabelling.
    std::string raw_scrape_configs;
    Duration start_timeout = std::chrono::seconds(30);
  };

  // One sample of an instant-vector query.
  struct Sample {
    std::map<std::string, std::string> labels;  // includes __name__ when present
    double value = 0;
  };

  explicit PrometheusServer(Options options);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  absl::Status Start();
  void Stop();

  int port() const { return port_; }
  // "127.0.0.1:PORT".
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& config_file() const { return config_file_; }

  // GET /api/v1/query?query=<promql>: the raw JSON answer.
  absl::StatusOr<std::string> QueryRaw(const std::string& promql) const;
  // The instant vector of `promql` (empty before the first scrape).
  absl::StatusOr<std::vector<Sample>> Query(const std::string& promql) const;
  // The value of a query that yields exactly one sample; kNotFound when it
  // yields none, kFailedPrecondition when more than one.
  absl::StatusOr<double> QueryValue(const std::string& promql) const;
  // GET /api/v1/targets: the raw JSON (scrape health of every target).
  absl::StatusOr<std::string> Targets() const;
  // Everything Prometheus logged so far.
  std::string Log() const;

 private:
  absl::StatusOr<std::string> Get(const std::string& path_and_query) const;

  Options options_;
  TempDir dir_;
  std::string config_file_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace registrar::testing
