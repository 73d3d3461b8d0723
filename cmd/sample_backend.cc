// sample-backend: a tiny HTTP service for the demo and manual tries.
//
//   sample-backend --listen 127.0.0.1:18081 [--status 200]
//
// GET /healthz answers with the current status; /status/<code> (GET or POST)
// changes it, so a demo can turn a backend unhealthy and healthy again:
//   curl 127.0.0.1:18081/status/503
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>

namespace {
httplib::Server* g_server = nullptr;  // for the signal handler only
void OnSignal(int) {
  if (g_server) g_server->stop();
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app("sample HTTP backend for etcd-registrar demos");
  std::string listen = "127.0.0.1:18081";
  int initial_status = 200;
  app.add_option("--listen", listen, "host:port to listen on (loopback)");
  app.add_option("--status", initial_status, "initial /healthz status");
  CLI11_PARSE(app, argc, argv);

  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "sample-backend: --listen must be host:port\n");
    return 2;
  }
  const std::string host = listen.substr(0, colon);
  const int port = std::stoi(listen.substr(colon + 1));

  std::atomic<int> status{initial_status};
  httplib::Server server;
  server.Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
    res.status = status.load();
    res.set_content(res.status < 400 ? "ok\n" : "failing\n", "text/plain");
  });
  auto set_status = [&](const httplib::Request& req, httplib::Response& res) {
    status.store(std::stoi(req.matches[1]));
    res.set_content("status now " + std::to_string(status.load()) + "\n", "text/plain");
  };
  // GET too, so a plain `curl host:port/status/503` does it.
  server.Post(R"(/status/(\d+))", set_status);
  server.Get(R"(/status/(\d+))", set_status);
  g_server = &server;
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  if (!server.listen(host, port)) {
    std::fprintf(stderr, "sample-backend: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  return 0;
}
