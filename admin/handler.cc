#include "admin/handler.h"

#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "admin/render.h"
#include "common/json_text.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace registrar::admin {
namespace {

constexpr char kTextPlain[] = "text/plain; charset=utf-8";
constexpr char kExposition[] = "text/plain; version=0.0.4; charset=utf-8";
constexpr char kJson[] = "application/json";
constexpr char kHtml[] = "text/html; charset=utf-8";
constexpr char kTargetsPrefix[] = "/api/v1/targets/";
constexpr char kDrainSuffix[] = "/drain";

AdminResponse Json(int status, const nlohmann::json& body) {
  AdminResponse r{status, kJson, JsonText(body) + "\n", {}};
  if (status >= 400) r.headers.emplace_back("Connection", "close");
  return r;
}

int HttpStatusOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

AdminHandler::AdminHandler(HandlerOptions options, const status::StatusProvider& provider)
    : options_(std::move(options)),
      provider_(provider),
      clock_(options_.clock != nullptr ? *options_.clock : RealClock()),
      registry_(std::make_shared<prometheus::Registry>()) {
  rejected_ = &prometheus::BuildCounter()
                   .Name("registrar_admin_rejected_requests_total")
                   .Help(
                       "Requests to the admin port refused, by reason: unauthorized (basic "
                       "auth), client_cert, plain_http (to a TLS port), too_large, "
                       "bad_request, overloaded, drain_disabled.")
                   .Register(*registry_);
  for (const char* reason : {"unauthorized", "client_cert", "plain_http", "too_large",
                             "bad_request", "overloaded", "drain_disabled"}) {
    rejected_->Add({{"reason", reason}});
  }
  SetWebConfig(WebConfig{});
}

AdminHandler::~AdminHandler() = default;

void AdminHandler::SetWebConfig(const WebConfig& config) {
  auto policy = std::make_shared<Policy>();
  policy->config = std::make_shared<const WebConfig>(config);
  if (!config.users.empty())
    policy->auth = std::make_shared<const BasicAuth>(config.users, &clock_);
  std::lock_guard<std::mutex> lock(mu_);
  policy_ = std::move(policy);
}

std::shared_ptr<const AdminHandler::Policy> AdminHandler::policy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return policy_;
}

std::shared_ptr<const WebConfig> AdminHandler::web_config() const { return policy()->config; }

void AdminHandler::CountRejected(const std::string& reason) const {
  rejected_->Add({{"reason", reason}}).Increment();
}

AdminResponse AdminHandler::Error(int status, const std::string& text) {
  return AdminResponse{status, kTextPlain, absl::StrCat(text, "\n"), {{"Connection", "close"}}};
}

bool AdminHandler::IsCheap(const AdminRequest& request) const {
  if (request.path != "/healthz" && request.path != "/readyz") return false;
  const auto p = policy();
  return p->auth == nullptr || p->config->open_health_endpoints;
}

AdminResponse AdminHandler::Handle(const AdminRequest& req) const {
  const std::shared_ptr<const Policy> p = policy();
  const WebConfig& config = *p->config;
  if (req.tls) {
    const bool ok = [&] {
      switch (config.client_auth) {
        case ClientAuth::kNone:
        case ClientAuth::kRequest:
          return true;
        case ClientAuth::kRequireAny:
          return req.client_cert_presented;
        case ClientAuth::kVerifyIfGiven:
          return !req.client_cert_presented || req.client_cert_verified;
        case ClientAuth::kRequireAndVerify:
          return req.client_cert_presented && req.client_cert_verified;
      }
      return false;
    }();
    if (!ok) {
      CountRejected("client_cert");
      return Error(403, req.client_cert_presented ? "client certificate not trusted"
                                                  : "client certificate required");
    }
  }
  const bool open_path =
      (req.path == "/healthz" || req.path == "/readyz") && config.open_health_endpoints;
  std::string user;
  if (p->auth != nullptr && !open_path) {
    if (p->auth->Check(req.authorization, &user) != BasicAuth::Result::kOk) {
      CountRejected("unauthorized");
      AdminResponse r = Error(401, "unauthorized");
      r.headers.emplace_back("WWW-Authenticate",
                             "Basic realm=\"etcd-registrar\", charset=\"UTF-8\"");
      return r;
    }
  }
  return Route(req, *p, user);
}

AdminResponse AdminHandler::Route(const AdminRequest& req, const Policy& policy,
                                  const std::string& user) const {
  if (absl::StartsWith(req.path, kTargetsPrefix) && absl::EndsWith(req.path, kDrainSuffix) &&
      req.path.size() > sizeof(kTargetsPrefix) - 1 + sizeof(kDrainSuffix) - 1) {
    const std::string id =
        req.path.substr(sizeof(kTargetsPrefix) - 1, req.path.size() - (sizeof(kTargetsPrefix) - 1) -
                                                        (sizeof(kDrainSuffix) - 1));
    if (req.method != "POST" && req.method != "DELETE") {
      AdminResponse r =
          Error(405, absl::StrCat("method ", req.method.substr(0, 16), " not allowed"));
      r.headers.emplace_back("Allow", "POST, DELETE");
      return r;
    }
    return Drain(req, id, policy, user);
  }
  if (req.method != "GET" && req.method != "HEAD") {
    AdminResponse r = Error(405, absl::StrCat("method ", req.method.substr(0, 16), " not allowed"));
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (req.path == "/healthz") return {200, kTextPlain, "ok\n", {}};
  if (req.path == "/readyz") {
    const status::Readiness ready = provider_.Ready();
    if (ready.ready) return {200, kTextPlain, "ok\n", {}};
    return {503, kTextPlain, absl::StrCat("not ready: ", ready.reason, "\n"), {}};
  }
  if (req.path == "/metrics") {
    std::vector<prometheus::MetricFamily> families;
    for (const auto& collectable : options_.collectables) {
      if (collectable == nullptr) continue;
      std::vector<prometheus::MetricFamily> more = collectable->Collect();
      std::move(more.begin(), more.end(), std::back_inserter(families));
    }
    std::vector<prometheus::MetricFamily> own = registry_->Collect();
    std::move(own.begin(), own.end(), std::back_inserter(families));
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return {200, kExposition, out.str(), {}};
  }
  if (req.path == "/probe") {  // blackbox_exporter's endpoint; `module` is accepted, unused
    std::string target;
    for (const auto& [k, v] : req.query) {
      if (k == "target") target = v;
    }
    ProbeAnswer answer = RenderBlackboxProbe(provider_.Targets(), target);
    AdminResponse r{answer.status,
                    answer.status == 200 ? kExposition : kTextPlain,
                    std::move(answer.body),
                    {{"Cache-Control", "no-store"}}};
    // Like every other error: a client that sent a bad request gets its
    // connection closed (admin_server.h's fairness rules).
    if (r.status >= 400) r.headers.emplace_back("Connection", "close");
    return r;
  }
  if (req.path == "/api/v1/targets" || req.path == "/") {
    absl::StatusOr<TargetQuery> query = ParseTargetQuery(req.query, req.path == "/" ? 100 : 10000);
    if (!query.ok()) {
      CountRejected("bad_request");
      if (req.path == "/") return Error(400, std::string(query.status().message()));
      return Json(400, {{"error", std::string(query.status().message())}});
    }
    StatusSnapshot s;
    s.targets = provider_.Targets();
    s.registration = provider_.Registration();
    s.readiness = provider_.Ready();
    s.process = provider_.Process();
    s.sources = provider_.Sources();
    s.now = clock_.WallNow();
    s.drain_enabled = policy.auth != nullptr || policy.config->enable_drain_api;
    if (req.path == "/") {
      int refresh = 0;
      for (const auto& [k, v] : req.query) {
        if (k == "refresh" && absl::SimpleAtoi(v, &refresh)) refresh = std::clamp(refresh, 1, 3600);
      }
      return {200, kHtml, RenderStatusPage(s, *query, refresh), {{"Cache-Control", "no-store"}}};
    }
    return {200, kJson, RenderTargetsJson(s, *query), {{"Cache-Control", "no-store"}}};
  }
  if (absl::StartsWith(req.path, "/api/")) {
    return Json(404, {{"error", "not found"}, {"path", req.path.substr(0, 256)}});
  }
  return Error(404, "404 not found");
}

AdminResponse AdminHandler::Drain(const AdminRequest& req, const std::string& id,
                                  const Policy& policy, const std::string& user) const {
  if (policy.auth == nullptr && !policy.config->enable_drain_api) {
    CountRejected("drain_disabled");
    return Json(403, {{"error",
                       "drain API disabled: configure basic_auth_users or enable_drain_api in "
                       "--web.config.file"}});
  }
  if (options_.drain == nullptr) return Json(503, {{"error", "drain is not available"}});
  const std::string who =
      user.empty() ? absl::StrCat("admin api from ", req.peer) : absl::StrCat("user ", user);
  absl::Status status;
  nlohmann::json answer = {{"id", id}};
  if (req.method == "DELETE") {
    status = options_.drain->Undrain(id, who);
    answer["drained"] = false;
  } else {
    // application/json only: a cross-site form cannot send it without a
    // CORS preflight, which this server never grants.
    if (!absl::StartsWith(req.content_type, "application/json")) {
      CountRejected("bad_request");
      return Json(415, {{"error", "POST a JSON body with Content-Type: application/json"}});
    }
    std::string reason;
    std::optional<Duration> duration;
    const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !(body.is_object() || (body.is_null() && req.body.empty()))) {
      CountRejected("bad_request");
      return Json(400,
                  {{"error", "body: expected a JSON object {\"reason\": ..., \"for\": \"1h\"}"}});
    }
    if (body.is_object()) {
      if (auto it = body.find("reason"); it != body.end()) {
        if (!it->is_string()) return Json(400, {{"error", "reason: expected a string"}});
        reason = it->get<std::string>();
      }
      if (auto it = body.find("for"); it != body.end()) {
        absl::Duration d;
        if (!it->is_string() || !absl::ParseDuration(it->get<std::string>(), &d) ||
            d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
          return Json(400,
                      {{"error", "for: expected a positive duration such as \"30m\" or \"2h\""}});
        }
        duration = absl::ToChronoNanoseconds(d);
      }
    }
    if (reason.size() > 1024) return Json(400, {{"error", "reason: at most 1024 bytes"}});
    status = options_.drain->Drain(id, reason, duration, who);
    answer["drained"] = true;
    answer["reason"] = reason;
    answer["by"] = who;
    if (duration) answer["for_seconds"] = ToSeconds(*duration);
  }
  if (!status.ok())
    return Json(HttpStatusOf(status), {{"error", std::string(status.message())}, {"id", id}});
  return Json(200, answer);
}

}  // namespace registrar::admin
