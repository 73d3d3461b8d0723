#include "tests/metrics/test_util.h"

#include <sstream>
#include <utility>

#include "prometheus/collectable.h"
#include "prometheus/text_serializer.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace registrar::metrics::testing {

std::vector<probes::TargetStatus> FakeStatus::Targets() const {
  std::lock_guard lock(mu_);
  return targets_;
}
RegistrationView FakeStatus::Registration() const {
  std::lock_guard lock(mu_);
  return registration_;
}
Readiness FakeStatus::Ready() const {
  std::lock_guard lock(mu_);
  return ready_;
}
void FakeStatus::SetTargets(std::vector<probes::TargetStatus> targets) {
  std::lock_guard lock(mu_);
  targets_ = std::move(targets);
}
void FakeStatus::SetRegistration(RegistrationView registration) {
  std::lock_guard lock(mu_);
  registration_ = std::move(registration);
}
void FakeStatus::SetReady(Readiness ready) {
  std::lock_guard lock(mu_);
  ready_ = std::move(ready);
}

std::string Exposition(const Metrics& metrics) { return Exposition(metrics.Collectables()); }

std::string Exposition(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : collectables) {
    auto more = c->Collect();
    families.insert(families.end(), more.begin(), more.end());
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

std::optional<double> Sample(const std::string& text, const std::string& name,
                             const std::map<std::string, std::string>& labels) {
  std::string series = name;
  if (!labels.empty()) {
    series += "{";
    bool first = true;
    for (const auto& [k, v] : labels) {  // std::map: sorted like prometheus-cpp writes them
      if (!first) series += ",";
      series += k + "=\"" + v + "\"";
      first = false;
    }
    series += "}";
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

probes::Target HttpTarget(const std::string& service, int port, Duration period) {
  probes::Target t;
  t.service = service;
  t.host = "127.0.0.1";
  t.port = port;
  t.probe.kind = probes::ProbeKind::kHttpGet;
  t.probe.http_get.path = "/health";
  t.probe.period = period;
  // Generous: the test machine may be loaded; the tests wait on states, not times.
  t.probe.timeout = std::chrono::seconds(1);
  t.probe.success_threshold = 1;
  t.probe.failure_threshold = 2;
  return t;
}

std::string PromtoolCheckMetrics(const std::string& text, int* exit_code) {
  registrar::testing::TempDir dir;
  const std::string file = dir.File("metrics.txt");
  registrar::testing::WriteFile(file, text);
  // promtool reads the exposition on stdin; it reports problems on stdout/stderr.
  return registrar::testing::RunCommand(
      {"sh", "-c", "promtool check metrics < '" + file + "' 2>&1"}, exit_code);
}

}  // namespace registrar::metrics::testing
