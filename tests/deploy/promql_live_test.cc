// The shipped alert rules and Grafana dashboard against a live registrar: the
// real etcd-registrar binary registers real HTTP backends (two healthy, one
// answering 503) in a real etcd, and a real Prometheus scrapes it as
// job="etcd-registrar", the job the alerts and the dashboard's default expect.
//
// Every alert expression must be valid PromQL there; the ones this setup must
// trigger (a failing target, a service without a healthy target) return
// samples, and the ones a working registrar must never trigger return none.
// Every dashboard panel query (Grafana variables replaced by what Grafana
// would send) and every template variable query must return data: a panel
// that stays empty against a working registrar filters on a label value or
// metric the registrar does not export.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/etcd_server.h"
#include "tests/support/http_backend.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::deploy {
namespace {

using registrar::testing::EtcdServer;
using registrar::testing::FreePort;
using registrar::testing::HttpBackend;
using registrar::testing::Process;
using registrar::testing::PrometheusServer;
using registrar::testing::TempDir;
using registrar::testing::WaitFor;

constexpr char kJob[] = "etcd-registrar";  // the job the alerts name, the dashboard's default

std::string SourcePath(const std::string& relative) {
  return std::string(REGISTRAR_SOURCE_DIR) + "/" + relative;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Expression {
  std::string what;   // where it comes from, for messages
  std::string expr;   // as Prometheus gets it
  std::string label;  // for a label_values() variable: the label it lists
};

struct Alert {
  std::string name;
  std::string expr;
};

std::vector<Alert> AlertRules() {
  std::vector<Alert> alerts;
  const YAML::Node doc = YAML::LoadFile(SourcePath("deploy/prometheus/alerts.yaml"));
  for (const YAML::Node& group : doc["groups"]) {
    for (const YAML::Node& rule : group["rules"]) {
      const std::string name =
          rule["alert"] ? rule["alert"].as<std::string>() : rule["record"].as<std::string>();
      alerts.push_back({name, rule["expr"].as<std::string>()});
    }
  }
  return alerts;
}

// What Grafana sends for the dashboard's variables: the job the test scrapes,
// "All" (the variables' allValue ".*") for the multi-value ones, and interval
// macros sized for a 1 s scrape interval.
std::string SubstituteGrafanaVariables(std::string expr) {
  static const std::vector<std::pair<std::regex, std::string>> kReplacements = {
      {std::regex(R"(\$__rate_interval|\$\{__rate_interval\})"), "1m"},
      {std::regex(R"(\$__interval|\$\{__interval\})"), "15s"},
      {std::regex(R"(\$__range|\$\{__range\})"), "5m"},
      {std::regex(R"(\$\{?job(:\w+)?\}?)"), kJob},
      {std::regex(R"(\$\{?\w+(:\w+)?\}?)"), ".*"},
  };
  for (const auto& [pattern, value] : kReplacements) {
    expr = std::regex_replace(expr, pattern, value);
  }
  return expr;
}

void CollectPanelQueries(const nlohmann::json& panels, std::vector<Expression>& out) {
  if (!panels.is_array()) return;
  for (const nlohmann::json& panel : panels) {
    for (const nlohmann::json& target : panel.value("targets", nlohmann::json::array())) {
      if (!target.contains("expr")) continue;
      out.push_back({"panel \"" + panel.value("title", "?") + "\" " + target.value("refId", "?"),
                     SubstituteGrafanaVariables(target["expr"].get<std::string>())});
    }
    CollectPanelQueries(panel.value("panels", nlohmann::json::array()), out);
  }
}

// Panel queries, plus the series selector of every label_values() variable.
std::vector<Expression> DashboardQueries() {
  const nlohmann::json dashboard =
      nlohmann::json::parse(ReadFile(SourcePath("deploy/grafana/etcd-registrar.json")));
  std::vector<Expression> queries;
  CollectPanelQueries(dashboard["panels"], queries);
  static const std::regex kLabelValues(R"(^label_values\((?:(.*),\s*)?(\w+)\)$)");
  for (const nlohmann::json& variable : dashboard["templating"]["list"]) {
    if (variable.value("type", "") != "query") continue;
    const nlohmann::json& q = variable["query"];
    const std::string query = q.is_string() ? q.get<std::string>() : q.value("query", "");
    std::smatch m;
    if (std::regex_match(query, m, kLabelValues) && m[1].matched) {
      // The selected label must be on the series, or the variable lists nothing.
      queries.push_back({"variable $" + variable.value("name", "?"),
                         SubstituteGrafanaVariables(m[1].str()), m[2].str()});
    } else {
      ADD_FAILURE() << "variable " << variable.value("name", "?")
                    << ": unsupported query: " << query;
    }
  }
  return queries;
}

// The result of one instant query.
struct Answer {
  bool valid = false;
  size_t series = 0;             // samples in a vector, 1 for a scalar
  size_t numbers = 0;            // of those, the ones whose value is not NaN
  std::string error;             // when !valid
  std::set<std::string> labels;  // label names seen on the samples
};

Answer Ask(const PrometheusServer& prometheus, const std::string& expr) {
  Answer answer;
  absl::StatusOr<std::string> raw = prometheus.QueryRaw(expr);
  if (!raw.ok()) {
    answer.error = std::string(raw.status().message());
    return answer;
  }
  const nlohmann::json doc = nlohmann::json::parse(*raw, nullptr, false);
  if (doc.is_discarded() || doc.value("status", "") != "success") {
    answer.error = *raw;
    return answer;
  }
  answer.valid = true;
  const nlohmann::json& data = doc["data"];
  const std::string type = data.value("resultType", "");
  // Values come as strings; NaN (a quantile of no observations) plots nothing.
  const auto is_number = [](const nlohmann::json& value) {
    return value.is_array() && value.size() == 2 && value[1] != "NaN";
  };
  if (type == "scalar" || type == "string") {
    answer.series = 1;
    answer.numbers = is_number(data["result"]) ? 1 : 0;
  } else {
    answer.series = data["result"].size();
    for (const nlohmann::json& sample : data["result"]) {
      if (is_number(sample.value("value", nlohmann::json()))) ++answer.numbers;
      for (const auto& [name, value] : sample["metric"].items()) answer.labels.insert(name);
    }
  }
  return answer;
}

class PromqlLive : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.Start().ok());
    broken_.SetStatus(503);
    admin_port_ = FreePort();
    config_ = dir_.File("config.yaml");
    const std::string& config = config_;
    std::ofstream(config) << "etcd:\n"
                          << "  endpoints: [\"" << etcd_.endpoint() << "\"]\n"
                          << "registration:\n"
                          << "  prefix: /services/\n"
                          << "  leaseTTL: 5s\n"
                          << "server:\n"
                          << "  listen: 127.0.0.1:" << admin_port_ << "\n"
                          << "log: {level: warn}\n"
                          << "defaults:\n"
                          << "  periodSeconds: 0.5\n"
                          << "  timeoutSeconds: 0.25\n"
                          << "  failureThreshold: 2\n"
                          << "services:\n"
                          << "  - name: web\n"
                          << "    probe: {httpGet: {path: /healthz}}\n"
                          << "    endpoints: [\"" << healthy1_.address() << "\", \""
                          << healthy2_.address() << "\"]\n"
                          << "  - name: api\n"
                          << "    probe: {httpGet: {path: /healthz}}\n"
                          << "    endpoints: [\"" << broken_.address() << "\"]\n";
    auto registrar = Process::Start({REGISTRAR_BINARY, "--config", config}, dir_.File("reg.log"));
    ASSERT_TRUE(registrar.ok()) << registrar.status();
    registrar_ = std::move(*registrar);

    PrometheusServer::Options options;
    options.targets.push_back({kJob, "127.0.0.1:" + std::to_string(admin_port_)});
    prometheus_ = std::make_unique<PrometheusServer>(options);
    ASSERT_TRUE(prometheus_->Start().ok());

    // Scraped, both web targets registered, the broken one known unhealthy.
    const std::string job = std::string("{job=\"") + kJob + "\"}";
    ASSERT_TRUE(WaitFor(
        [&] {
          auto keys = prometheus_->QueryValue("registrar_registered_keys" + job);
          auto bad = prometheus_->QueryValue("sum(registrar_targets{state=\"unhealthy\"})");
          return keys.ok() && *keys == 2 && bad.ok() && *bad == 1;
        },
        std::chrono::seconds(30)))
        << "registrar log:\n"
        << registrar_->Log() << "\ntargets: " << prometheus_->Targets().value_or("?");
  }

  TempDir dir_;
  EtcdServer etcd_;
  HttpBackend healthy1_, healthy2_, broken_;
  std::string config_;
  int admin_port_ = 0;
  std::unique_ptr<Process> registrar_;
  std::unique_ptr<PrometheusServer> prometheus_;
};

TEST_F(PromqlLive, EveryAlertExpressionIsValidAndFiresOnlyWhenThisSetupShouldTriggerIt) {
  const std::vector<Alert> alerts = AlertRules();
  ASSERT_FALSE(alerts.empty());
  // A backend answering 503 is an unhealthy target, and it is all of "api".
  const std::set<std::string> must_fire = {"EtcdRegistrarTargetUnhealthy",
                                           "EtcdRegistrarServiceWithoutHealthyTargets"};
  // A registrar that is up, writes to etcd, reconciles and keeps its lease.
  const std::set<std::string> must_not_fire = {
      "EtcdRegistrarDown", "EtcdRegistrarHealthyTargetsNotRegistered",
      "EtcdRegistrarReconcileFailing", "EtcdRegistrarConfigReloadFailing",
      "EtcdRegistrarLeaseLost"};
  std::set<std::string> names;
  for (const Alert& alert : alerts) names.insert(alert.name);
  for (const std::string& name : must_fire) EXPECT_TRUE(names.count(name)) << name;
  for (const std::string& name : must_not_fire) EXPECT_TRUE(names.count(name)) << name;

  for (const Alert& alert : alerts) {
    const Answer answer = Ask(*prometheus_, alert.expr);
    EXPECT_TRUE(answer.valid) << alert.name << ": " << alert.expr << "\n" << answer.error;
    if (must_not_fire.count(alert.name)) {
      EXPECT_EQ(answer.series, 0u)
          << alert.name << " fires against a working registrar: " << alert.expr;
    }
  }
  // The firing ones: samples appear within a few probe periods and scrapes.
  for (const Alert& alert : alerts) {
    if (!must_fire.count(alert.name)) continue;
    EXPECT_TRUE(
        WaitFor([&] { return Ask(*prometheus_, alert.expr).series > 0; }, std::chrono::seconds(20)))
        << alert.name << " does not fire for the 503 backend: " << alert.expr;
  }
  // And its `up` selector matches the scrape job at all (== 0 hides that).
  const Alert& down = *std::find_if(alerts.begin(), alerts.end(),
                                    [](const Alert& a) { return a.name == "EtcdRegistrarDown"; });
  const std::string up_selector = down.expr.substr(0, down.expr.find("=="));
  EXPECT_EQ(Ask(*prometheus_, up_selector).series, 1u) << up_selector;
}

// "Data" is at least one sample that is not NaN, so the panel draws something.
TEST_F(PromqlLive, EveryDashboardQueryIsValidAndReturnsData) {
  const std::vector<Expression> queries = DashboardQueries();
  ASSERT_FALSE(queries.empty());
  for (const Expression& q : queries) {
    const Answer answer = Ask(*prometheus_, q.expr);
    EXPECT_TRUE(answer.valid) << q.what << ": " << q.expr << "\n" << answer.error;
  }
  // Once its start-up burst is over, an idle registrar neither reconciles nor
  // calls etcd, so the latency quantiles are NaN. Someone deleting its keys
  // makes it repair them: a reconcile, a Txn and drift repairs to plot.
  etcd_.EtcdCtl({"del", "--prefix", "/services/web/"});
  // The drained-targets panel shows drained (or never probed) targets: drain one.
  auto drain = Process::Start({REGISTRAR_BINARY, "drain", "--config", config_, "--reason", "test",
                               "api/" + broken_.address()},
                              dir_.File("drain.log"));
  ASSERT_TRUE(drain.ok()) << drain.status();
  ASSERT_EQ((*drain)->Wait(std::chrono::seconds(30)), 0) << (*drain)->Log();
  // rate() needs two scrapes in its window: give every query a few seconds.
  std::vector<std::string> empty;
  WaitFor(
      [&] {
        empty.clear();
        for (const Expression& q : queries) {
          const Answer answer = Ask(*prometheus_, q.expr);
          if (answer.numbers == 0 || (!q.label.empty() && !answer.labels.count(q.label))) {
            empty.push_back(q.what + ": " + q.expr);
          }
        }
        return empty.empty();
      },
      std::chrono::seconds(30));
  std::string list;
  for (const std::string& e : empty) list += "\n  " + e;
  EXPECT_TRUE(empty.empty()) << "queries without data against a working registrar:" << list;
}

}  // namespace
}  // namespace registrar::deploy
