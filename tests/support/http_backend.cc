#include "tests/support/http_backend.h"

#include <httplib.h>

#include <stdexcept>

namespace registrar::testing {

HttpBackend::HttpBackend(std::string host, int port)
    : host_(std::move(host)), server_(std::make_unique<httplib::Server>()) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    hits_.fetch_add(1);
    {
      std::lock_guard lock(mu_);
      ++by_path_and_replica_[req.path + " " + req.get_header_value("X-Replica")];
    }
    res.status = status_.load();
    res.set_content("ok", "text/plain");
  };
  server_->Get(".*", handler);
  if (port == 0) {
    port_ = server_->bind_to_any_port(host_);
  } else {
    port_ = server_->bind_to_port(host_, port) ? port : -1;
  }
  if (port_ <= 0) throw std::runtime_error("HttpBackend: cannot bind " + host_);
  // Bound already: connections queue in the backlog until the loop accepts.
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

HttpBackend::~HttpBackend() { Stop(); }

std::map<std::string, int64_t> HttpBackend::HitsByPathAndReplica() const {
  std::lock_guard lock(mu_);
  return by_path_and_replica_;
}

void HttpBackend::ResetHits() {
  std::lock_guard lock(mu_);
  by_path_and_replica_.clear();
}

void HttpBackend::Stop() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace registrar::testing
