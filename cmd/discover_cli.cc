#include "cmd/discover_cli.h"

#include <CLI/CLI.hpp>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <ostream>

#include "common/duration.h"
#include "common/json_text.h"
#include "discovery/discovery.h"
#include "nlohmann/json.hpp"

namespace registrar::etcd {
namespace {

using nlohmann::ordered_json;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

ordered_json EndpointJson(const Endpoint& e) {
  ordered_json j;
  j["key"] = e.key;
  if (e.ok()) {
    j["address"] = e.address;
    j["host"] = e.host;
    j["port"] = e.port;
    j["weight"] = e.weight;  // 0: none, whatever the layout
  } else {
    j["error"] = e.error;
    j["value"] = e.value;
  }
  j["format"] = EndpointFormatName(e.format);
  if (!e.service.empty()) j["service"] = e.service;
  if (!e.metadata.empty()) j["metadata"] = e.metadata;
  if (e.ttl_seconds > 0) j["ttl"] = e.ttl_seconds;
  j["createRevision"] = e.create_revision;
  j["modRevision"] = e.mod_revision;
  j["lease"] = e.lease;
  return j;
}

std::string EndpointText(const Endpoint& e) {
  if (e.ok()) return e.address + " " + e.key;
  return "- " + e.key + " error=" + JsonText(ordered_json(e.error));
}

std::string SnapshotLines(const DiscoverySnapshot& snapshot, bool json) {
  std::string out;
  if (json) {
    ordered_json j;
    j["type"] = "snapshot";
    j["revision"] = snapshot.revision;
    j["endpoints"] = ordered_json::array();
    for (const auto& [key, e] : snapshot.endpoints) j["endpoints"].push_back(EndpointJson(e));
    return JsonText(j) + "\n";
  }
  for (const auto& [key, e] : snapshot.endpoints) out += EndpointText(e) + "\n";
  return out;
}

std::string EventLine(const EndpointEvent& event, bool json) {
  if (json) {
    ordered_json j;
    j["type"] = EventTypeName(event.type);
    j["revision"] = event.revision;
    j["endpoint"] = EndpointJson(event.endpoint);
    return JsonText(j) + "\n";
  }
  return std::string(EventTypeName(event.type)) + " " + EndpointText(event.endpoint) +
         " rev=" + std::to_string(event.revision) + "\n";
}

// Lines made on the discovery thread, written by the caller's thread.
class LineQueue {
 public:
  explicit LineQueue(Clock& clock) : clock_(clock) {}

  void Push(std::string text) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_.push_back(std::move(text));
    }
    cv_.notify_one();
  }
  // Waits up to `timeout` for text; returns everything queued.
  std::string Take(Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    clock_.WaitFor(cv_, lock, timeout, [this] { return !pending_.empty(); });
    std::string out;
    for (std::string& s : pending_) out += s;
    pending_.clear();
    return out;
  }

 private:
  Clock& clock_;  // not owned
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> pending_;  // guarded by mu_
};

absl::StatusOr<ClientOptions> MakeClientOptions(const DiscoverOptions& opts) {
  ClientOptions c;
  c.endpoints = opts.endpoints;
  c.dial_timeout = opts.dial_timeout;
  c.request_timeout = opts.request_timeout;
  if (!opts.ca_file.empty() || !opts.cert_file.empty() || !opts.key_file.empty() ||
      !opts.server_name.empty()) {
    c.tls = TlsConfig{opts.ca_file, opts.cert_file, opts.key_file, opts.server_name};
  }
  c.username = opts.username;
  c.password = opts.password;
  if (!opts.password_file.empty()) {
    std::ifstream in(opts.password_file);
    if (!in || !std::getline(in, c.password)) {
      return absl::InvalidArgumentError("cannot read --password-file " + opts.password_file);
    }
    if (!c.password.empty() && c.password.back() == '\r') c.password.pop_back();
  }
  if (c.username.empty() && !c.password.empty()) {
    return absl::InvalidArgumentError("a password needs --username");
  }
  return c;
}

}  // namespace

void AddDiscoverCommand(CLI::App& app, DiscoverOptions& opts) {
  app.description("Print the endpoints registered under a prefix, then every change.");
  app.add_option("--endpoints", opts.endpoints, "etcd endpoints, comma-separated host:port")
      ->delimiter(',')
      ->envname("REGISTRAR_ETCD_ENDPOINTS")
      ->capture_default_str();
  app.add_option("--prefix", opts.prefix, "key prefix to list and watch")
      ->envname("REGISTRAR_PREFIX")
      ->capture_default_str();
  std::vector<std::string> layouts = {"auto"};
  for (std::string_view name : kValueFormatNames) layouts.emplace_back(name);
  app.add_option("--format", opts.format,
                 "layout to read values as (a layout's consumer reads its own prefix, e.g. "
                 "--format kratos --prefix /microservices/orders/)")
      ->check(CLI::IsMember(layouts))
      ->capture_default_str();
  app.add_flag("--once", opts.once, "print the current set and exit");
  app.add_option("-o,--output", opts.output, "text or json (JSON lines)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  // Durations are spelled as in the config file ("5s", "500ms", "11m").
  auto duration = [](Duration* out) {
    return [out](const std::string& text) {
      std::optional<Duration> d = ParseDuration(text);
      if (!d || *d <= Duration::zero()) {
        throw CLI::ValidationError("expected a duration like 500ms, 10s or 1m, got \"" + text +
                                   "\"");
      }
      *out = *d;
    };
  };
  app.add_option_function<std::string>("--dial-timeout", duration(&opts.dial_timeout),
                                       "how long to wait for a connection, e.g. 5s (default 5s)");
  app.add_option_function<std::string>(
      "--idle-timeout", duration(&opts.idle_timeout),
      "reopen a watch silent for this long, e.g. 11m (default 11m)");
  app.add_option("--ca-file,--cacert", opts.ca_file, "CA bundle (PEM) to verify etcd");
  app.add_option("--cert-file,--cert", opts.cert_file, "client certificate (PEM)");
  app.add_option("--key-file,--key", opts.key_file, "client key (PEM)");
  app.add_option("--server-name", opts.server_name, "name to check in etcd's certificate");
  app.add_option("--username,--user", opts.username, "etcd user");
  app.add_option("--password-file", opts.password_file, "file whose first line is the password");
  app.add_option("--password", opts.password, "etcd password (prefer --password-file)")
      ->envname("REGISTRAR_ETCD_PASSWORD");
}

int RunDiscover(const DiscoverOptions& opts, std::ostream& out, std::ostream& err,
                std::atomic<bool>& stop) {
  absl::StatusOr<EndpointFormat> format = ParseEndpointFormat(opts.format);
  if (!format.ok()) {
    err << "discover: " << format.status().message() << "\n";
    return kExitUsage;
  }
  if (opts.output != "text" && opts.output != "json") {
    err << "discover: --output must be text or json, not \"" << opts.output << "\"\n";
    return kExitUsage;
  }
  // As the daemon checks registration.prefix.
  if (opts.prefix.empty() || opts.prefix.front() != '/' || opts.prefix.back() != '/') {
    err << "discover: --prefix: expected a key prefix that starts and ends with \"/\", got \""
        << opts.prefix << "\"\n";
    return kExitUsage;
  }
  const bool json = opts.output == "json";
  absl::StatusOr<ClientOptions> client_options = MakeClientOptions(opts);
  if (!client_options.ok()) {
    err << "discover: " << client_options.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(*client_options);
  if (!client.ok()) {
    err << "discover: " << client.status().message() << "\n";
    return kExitUsage;
  }

  Clock& clock = opts.clock != nullptr ? *opts.clock : RealClock();
  DiscoveryOptions options;
  options.prefix = opts.prefix;
  options.format = *format;
  options.idle_timeout = opts.idle_timeout;
  options.clock = &clock;
  LineQueue lines(clock);
  Discovery::Callback callback;
  if (!opts.once) {
    callback = [&lines, json](const DiscoveryUpdate& update) {
      std::string text;
      if (update.kind == DiscoveryUpdate::Kind::kSnapshot) {
        DiscoverySnapshot snapshot;
        snapshot.revision = update.revision;
        for (const EndpointEvent& e : update.events)
          snapshot.endpoints[e.endpoint.key] = e.endpoint;
        lines.Push(SnapshotLines(snapshot, json));
        return;
      }
      for (const EndpointEvent& event : update.events) text += EventLine(event, json);
      lines.Push(std::move(text));
    };
  }
  absl::StatusOr<std::unique_ptr<Discovery>> discovery =
      Discovery::Start(**client, options, callback);
  if (!discovery.ok()) {
    err << "discover: " << discovery.status().message() << "\n";
    return kExitUsage;
  }

  // The first list: --once gives up after a bounded wait, a watch keeps trying.
  const MonoTime give_up = clock.Now() + opts.dial_timeout + opts.request_timeout;
  while (!(*discovery)->WaitSynced(std::chrono::milliseconds(100))) {
    if (stop) return kExitOk;
    const absl::Status error = (*discovery)->LastError();
    if (error.code() == absl::StatusCode::kUnauthenticated ||
        error.code() == absl::StatusCode::kPermissionDenied) {
      err << "discover: " << error.message() << "\n";
      return kExitFailure;  // retrying will not fix credentials
    }
    if (opts.once && clock.Now() >= give_up) {
      err << "discover: could not list " << opts.prefix << " from etcd in time\n";
      return kExitFailure;
    }
  }
  std::shared_ptr<const DiscoverySnapshot> snapshot = (*discovery)->Snapshot();
  if (opts.once) {
    out << SnapshotLines(*snapshot, json) << std::flush;
    return kExitOk;
  }
  // Streaming: the snapshot and every change come through the callback, in order.
  err << "discover: watching " << opts.prefix << "\n";

  while (!stop) {
    std::string text = lines.Take(std::chrono::milliseconds(100));
    if (!text.empty()) out << text << std::flush;
  }
  (*discovery)->Stop();
  std::string rest = lines.Take(Duration::zero());
  if (!rest.empty()) out << rest << std::flush;
  return kExitOk;
}

}  // namespace registrar::etcd
