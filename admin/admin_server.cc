#include "admin/admin_server.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "admin/render.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"
#include "spdlog/spdlog.h"

namespace registrar::admin {
namespace {

constexpr char kTextPlain[] = "text/plain; charset=utf-8";
constexpr char kExposition[] = "text/plain; version=0.0.4; charset=utf-8";
constexpr char kJson[] = "application/json";
constexpr char kHtml[] = "text/html; charset=utf-8";

struct HostPort {
  std::string host;
  int port = 0;
};

absl::StatusOr<HostPort> ParseListenAddress(const std::string& address) {
  HostPort out;
  std::string port;
  if (absl::StartsWith(address, "[")) {
    const size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("admin listen address \"", address, "\": expected [v6]:port"));
    }
    out.host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("admin listen address \"", address, "\": expected host:port"));
    }
    out.host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (out.host.empty()) out.host = "0.0.0.0";
  if (!absl::SimpleAtoi(port, &out.port) || out.port < 0 || out.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin listen address \"", address, "\": bad port \"", port, "\""));
  }
  return out;
}

template <typename F>
void SetTimeout(const Duration& d, F&& set) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  set(static_cast<time_t>(us / 1000000), static_cast<time_t>(us % 1000000));
}

const char* StatusText(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 413:
      return "payload too large";
    case 414:
      return "URI too long";
    case 431:
      return "request header fields too large";
    default:
      return status < 500 ? "client error" : "server error";
  }
}

size_t HeaderBytes(const httplib::Request& req) {
  size_t bytes = 0;
  for (const auto& [name, value] : req.headers) bytes += name.size() + value.size() + 4;
  return bytes;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(AdminServerOptions options,
                                                                const StatusProvider& provider) {
  absl::StatusOr<HostPort> where = ParseListenAddress(options.listen_address);
  if (!where.ok()) return where.status();
  std::unique_ptr<AdminServer> server(new AdminServer(std::move(options), provider));
  server->InstallHandlers();
  httplib::Server& http = *server->server_;
  server->host_ = where->host;
  if (where->port == 0) {
    server->port_ = http.bind_to_any_port(where->host);
    if (server->port_ < 0) server->port_ = 0;
  } else if (http.bind_to_port(where->host, where->port)) {
    server->port_ = where->port;
  }
  if (server->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("admin server: cannot listen on ", server->options_.listen_address));
  }
  server->thread_ = std::thread([&http] { http.listen_after_bind(); });
  // Stop() is only effective once the accept loop runs: wait for it (bounded).
  for (int i = 0; i < 5000 && !http.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  spdlog::info("admin server listening on {}", server->address());
  return server;
}

AdminServer::AdminServer(AdminServerOptions options, const StatusProvider& provider)
    : options_(std::move(options)),
      provider_(provider),
      server_(std::make_unique<httplib::Server>()) {}

AdminServer::~AdminServer() { Stop(); }

std::string AdminServer::address() const {
  if (host_.find(':') != std::string::npos) return absl::StrCat("[", host_, "]:", port_);
  return absl::StrCat(host_, ":", port_);
}

void AdminServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

void AdminServer::InstallHandlers() {
  httplib::Server& http = *server_;
  const size_t threads = static_cast<size_t>(std::max(1, options_.threads));
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  SetTimeout(options_.read_timeout, [&](time_t s, time_t us) { http.set_read_timeout(s, us); });
  SetTimeout(options_.write_timeout, [&](time_t s, time_t us) { http.set_write_timeout(s, us); });
  http.set_keep_alive_timeout(std::max<time_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(options_.keep_alive_timeout).count()));
  http.set_payload_max_length(options_.max_body_bytes);
  // SO_REUSEADDR (restart over TIME_WAIT) but not httplib's default
  // SO_REUSEPORT, which would let a second registrar share the port silently.
  http.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  const size_t max_header_bytes = options_.max_header_bytes;
  const size_t max_body_bytes = options_.max_body_bytes;
  http.set_pre_routing_handler(
      [max_header_bytes, max_body_bytes](const httplib::Request& req, httplib::Response& res) {
        if (HeaderBytes(req) > max_header_bytes) {
          res.status = 431;
          res.set_header("Connection", "close");
          res.set_content("request headers too large\n", kTextPlain);
          return httplib::Server::HandlerResponse::Handled;
        }
        // httplib reads no body for GET/HEAD, so its payload limit does not
        // cover them: check the announced length here, for every method.
        if (size_t length = 0; req.has_header("Content-Length") &&
                               absl::SimpleAtoi(req.get_header_value("Content-Length"), &length) &&
                               length > max_body_bytes) {
          res.status = 413;
          res.set_header("Connection", "close");
          res.set_content("request body too large\n", kTextPlain);
          return httplib::Server::HandlerResponse::Handled;
        }
        if (req.method != "GET" && req.method != "HEAD") {
          res.status = 405;
          res.set_header("Allow", "GET, HEAD");
          // The body (if any) is not read: do not reuse the connection.
          res.set_header("Connection", "close");
          res.set_content(absl::StrCat("method ", req.method, " not allowed\n"), kTextPlain);
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });

  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404 && absl::StartsWith(req.path, "/api/")) {
      res.set_content(nlohmann::json({{"error", "not found"}, {"path", req.path}})
                              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                          "\n",
                      kJson);
      return;
    }
    res.set_content(absl::StrCat(res.status, " ", StatusText(res.status), "\n"), kTextPlain);
  });
  http.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("admin server: {} {}: {}", req.method, req.path, what);
        res.status = 500;
        res.set_content("internal error\n", kTextPlain);
      });

  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", kTextPlain);
  });
  http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const Readiness ready = provider_.Ready();
    if (ready.ready) {
      res.set_content("ok\n", kTextPlain);
      return;
    }
    res.status = 503;
    res.set_content(absl::StrCat("not ready: ", ready.reason, "\n"), kTextPlain);
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::vector<prometheus::MetricFamily> families;
    for (const auto& collectable : options_.collectables) {
      if (collectable == nullptr) continue;
      std::vector<prometheus::MetricFamily> more = collectable->Collect();
      std::move(more.begin(), more.end(), std::back_inserter(families));
    }
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    res.set_content(out.str(), kExposition);
  });
  auto snapshot = [this] {
    StatusSnapshot s;
    s.targets = provider_.Targets();
    s.registration = provider_.Registration();
    s.readiness = provider_.Ready();
    s.now = (options_.clock != nullptr ? *options_.clock : RealClock()).WallNow();
    return s;
  };
  http.Get("/api/v1/targets", [snapshot](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(RenderTargetsJson(snapshot()), kJson);
  });
  http.Get("/", [snapshot](const httplib::Request& req, httplib::Response& res) {
    int refresh = 0;
    if (req.has_param("refresh") && absl::SimpleAtoi(req.get_param_value("refresh"), &refresh)) {
      refresh = std::clamp(refresh, 1, 3600);
    } else {
      refresh = 0;
    }
    res.set_header("Cache-Control", "no-store");
    res.set_content(RenderStatusPage(snapshot(), refresh), kHtml);
  });
}

}  // namespace registrar::admin
