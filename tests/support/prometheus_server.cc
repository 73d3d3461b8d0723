#include "tests/support/prometheus_server.h"

#include <httplib.h>

#include <chrono>
#include <utility>

#include <nlohmann/json.hpp>

#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

std::string Seconds(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return std::to_string(ms) + "ms";
}

}  // namespace

PrometheusServer::PrometheusServer(Options options) : options_(std::move(options)) {}

PrometheusServer::~PrometheusServer() { Stop(); }

absl::Status PrometheusServer::Start() {
  config_file_ = dir_.File("prometheus.yml");
  std::string config = "global:\n  scrape_interval: " + Seconds(options_.scrape_interval) +
                       "\n  scrape_timeout: " + Seconds(options_.scrape_interval) +
                       "\n  evaluation_interval: " + Seconds(options_.evaluation_interval) + "\n";
  if (!options_.rule_files.empty()) {
    config += "rule_files:\n";
    for (const std::string& f : options_.rule_files) config += "  - " + f + "\n";
  }
  config += "scrape_configs:\n";
  for (const ScrapeTarget& t : options_.targets) {
    config += "  - job_name: " + t.job + "\n    metrics_path: " + t.metrics_path +
              "\n    static_configs:\n      - targets: ['" + t.address + "']\n";
    if (!t.tls_ca_file.empty()) {
      config += "    scheme: https\n    tls_config:\n      ca_file: " + t.tls_ca_file + "\n";
    }
    if (!t.basic_auth_user.empty()) {
      config += "    basic_auth:\n      username: " + t.basic_auth_user + "\n      password: '" +
                t.basic_auth_password + "'\n";
    }
  }
  config += options_.raw_scrape_configs;
  WriteFile(config_file_, config);

  port_ = FreePort();
  std::vector<std::string> argv = {
      "prometheus", "--config.file=" + config_file_, "--storage.tsdb.path=" + dir_.File("data"),
      "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--web.enable-lifecycle"};
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  auto process = Process::Start(argv, dir_.File("prometheus.log"));
  if (!process.ok()) return process.status();
  process_ = std::move(*process);

  const bool ready = WaitFor(
      [this] {
        if (!process_->Running()) return true;  // fail fast below
        httplib::Client client("127.0.0.1", port_);
        client.set_connection_timeout(std::chrono::milliseconds(500));
        auto res = client.Get("/-/ready");
        return res && res->status == 200;
      },
      options_.start_timeout);
  if (!ready || !process_->Running()) {
    std::string log = process_->Log();
    Stop();
    return absl::UnavailableError("prometheus did not become ready on port " +
                                  std::to_string(port_) + "; log:\n" + log);
  }
  return absl::OkStatus();
}

void PrometheusServer::Stop() {
  if (process_ == nullptr) return;
  process_->Signal(SIGTERM);
  if (process_->Wait(std::chrono::seconds(10)) < 0) process_->Kill();
  process_.reset();
}

std::string PrometheusServer::Log() const { return process_ ? process_->Log() : ""; }

absl::StatusOr<std::string> PrometheusServer::Get(const std::string& path_and_query) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(10));
  auto res = client.Get(path_and_query.c_str());
  if (!res) {
    return absl::UnavailableError("prometheus GET " + path_and_query + ": " +
                                  httplib::to_string(res.error()));
  }
  if (res->status != 200) {
    return absl::InternalError("prometheus GET " + path_and_query + ": status " +
                               std::to_string(res->status) + ": " + res->body);
  }
  return res->body;
}

absl::StatusOr<std::string> PrometheusServer::QueryRaw(const std::string& promql) const {
  httplib::Params params{{"query", promql}};
  return Get(httplib::append_query_params("/api/v1/query", params));
}

absl::StatusOr<std::string> PrometheusServer::Targets() const { return Get("/api/v1/targets"); }

absl::StatusOr<std::vector<PrometheusServer::Sample>> PrometheusServer::Query(
    const std::string& promql) const {
  absl::StatusOr<std::string> raw = QueryRaw(promql);
  if (!raw.ok()) return raw.status();
  nlohmann::json doc = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || doc.value("status", "") != "success") {
    return absl::InternalError("prometheus query " + promql + ": " + *raw);
  }
  const nlohmann::json& data = doc["data"];
  if (data.value("resultType", "") != "vector") {
    return absl::InvalidArgumentError("prometheus query " + promql + " is not an instant vector");
  }
  std::vector<Sample> samples;
  try {
    for (const nlohmann::json& r : data["result"]) {
      Sample s;
      for (const auto& [name, value] : r["metric"].items()) {
        s.labels[name] = value.get<std::string>();
      }
      // "value": [<unix time>, "<value as string>"]
      s.value = std::stod(r["value"][1].get<std::string>());
      samples.push_back(std::move(s));
    }
  } catch (const std::exception& e) {
    return absl::InternalError("prometheus query " + promql + ": unexpected answer " + *raw + ": " +
                               e.what());
  }
  return samples;
}

absl::StatusOr<double> PrometheusServer::QueryValue(const std::string& promql) const {
  absl::StatusOr<std::vector<Sample>> samples = Query(promql);
  if (!samples.ok()) return samples.status();
  if (samples->empty()) return absl::NotFoundError("prometheus query " + promql + ": no sample");
  if (samples->size() > 1) {
    return absl::FailedPreconditionError("prometheus query " + promql + ": " +
                                         std::to_string(samples->size()) + " samples");
  }
  return samples->front().value;
}

}  // namespace registrar::testing
