#include "admin/admin_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace registrar::admin {
namespace {

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

// A non-blocking listening socket on host:port; *port gets the bound port.
absl::StatusOr<int> Listen(const HostPort& where, const std::string& address, int* port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, where.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(where.port));
    length = sizeof(*v4);
  } else if (inet_pton(AF_INET6, where.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(where.port));
    length = sizeof(*v6);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("admin listen address \"", address, "\": host must be an IP address"));
  }
  const int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return absl::UnavailableError(absl::StrCat("admin server: socket: ", strerror(errno)));
  // SO_REUSEADDR (restart over TIME_WAIT) but not SO_REUSEPORT, which would
  // let a second registrar share the port silently.
  int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 || listen(fd, 128) != 0) {
    const std::string why = strerror(errno);
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("admin server: cannot listen on ", address, ": ", why));
  }
  getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  *port = ntohs(storage.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  return fd;
}

std::string PeerOf(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return "unknown";
  char text[INET6_ADDRSTRLEN] = "unknown";
  const sockaddr* addr = info->client_addr;
  if (addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof(text));
  } else if (addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, text,
              sizeof(text));
  }
  return text;
}

void FreeBody(void* body) { delete static_cast<std::string*>(body); }

// The response takes the body without a copy (a targets page is megabytes)
// and frees it when libmicrohttpd is done with it.
MHD_Result Queue(MHD_Connection* connection, AdminResponse r) {
  auto* body = new std::string(std::move(r.body));
  MHD_Response* response = MHD_create_response_from_buffer_with_free_callback_cls(
      body->size(), body->data(), &FreeBody, body);
  if (response == nullptr) {
    delete body;
    return MHD_NO;
  }
  if (!r.content_type.empty())
    MHD_add_response_header(response, "Content-Type", r.content_type.c_str());
  for (const auto& [name, value] : r.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  const MHD_Result result =
      MHD_queue_response(connection, static_cast<unsigned>(r.status), response);
  MHD_destroy_response(response);
  return result;
}

}  // namespace

// Per request state (MHD's con_cls), freed in OnCompleted. Outside the
// anonymous namespace because AdminServer::Impl::Job holds a pointer to it:
// compiled as part of a unity batch, gcc's -Wsubobject-linkage objects to a
// class with external linkage whose member's type has internal linkage.
struct RequestState {
  AdminRequest request;
  bool dispatched = false;
  std::optional<AdminResponse> response;  // set by a render thread
};

class AdminServer::Impl {
 public:
  Impl(AdminServerOptions options, const status::StatusProvider& provider)
      : options_(std::move(options)),
        handler_({.collectables = options_.collectables,
                  .drain = options_.drain,
                  .clock = options_.clock},
                 provider) {}

  ~Impl() { Stop(); }

  absl::Status Start(int listen_fd) {
    listen_fd_ = listen_fd;
    auto generation = StartDaemon(options_.web_config);
    if (!generation.ok()) return generation.status();
    handler_.SetWebConfig(options_.web_config);
    generation_ = std::move(*generation);
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (stop_fd_ < 0 || epoll_fd_ < 0)
      return absl::InternalError("admin server: eventfd/epoll failed");
    Watch(listen_fd_);
    Watch(stop_fd_);
    for (int i = 0; i < std::max(1, options_.render_threads); ++i) {
      workers_.emplace_back([this] { RenderLoop(); });
    }
    acceptor_ = std::thread([this] { AcceptLoop(); });
    return absl::OkStatus();
  }

  absl::Status SetWebConfig(const WebConfig& config) {
    std::shared_ptr<Generation> old;
    {
      std::lock_guard<std::mutex> lock(generation_mu_);
      old = generation_;
    }
    const WebConfig& current = *old->config;
    const bool restart = config.tls != current.tls || config.cert_pem != current.cert_pem ||
                         config.key_pem != current.key_pem ||
                         config.client_ca_pem != current.client_ca_pem ||
                         config.tls13_only != current.tls13_only;
    if (!restart) {
      handler_.SetWebConfig(config);
      return absl::OkStatus();
    }
    auto fresh = StartDaemon(config);
    if (!fresh.ok()) return fresh.status();
    {
      std::lock_guard<std::mutex> lock(generation_mu_);
      generation_ = *fresh;
    }
    handler_.SetWebConfig(config);
    // Connections of the old server finish their renders, then it stops.
    WaitForRenders(*old);
    MHD_stop_daemon(old->daemon);
    old->daemon = nullptr;
    return absl::OkStatus();
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    if (stop_fd_ >= 0) {
      const uint64_t one = 1;
      [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof(one));
    }
    if (acceptor_.joinable()) acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    if (generation_ != nullptr && generation_->daemon != nullptr) {
      MHD_stop_daemon(generation_->daemon);
      generation_->daemon = nullptr;
    }
    for (const auto& [fd, pending] : pending_) close(fd);
    pending_.clear();
    for (int* fd : {&listen_fd_, &stop_fd_, &epoll_fd_}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  }

  AdminHandler& handler() { return handler_; }

 private:
  // One libmicrohttpd daemon and the web config it was started with (MHD
  // keeps pointers into the PEM strings, so they live here).
  struct Generation {
    MHD_Daemon* daemon = nullptr;
    std::shared_ptr<const WebConfig> config;
    std::string priorities;
    std::atomic<int> renders{0};  // suspended connections of this daemon
  };
  struct Job {
    MHD_Connection* connection;
    RequestState* state;
    std::shared_ptr<Generation> generation;
  };
  struct PendingSocket {
    MonoTime deadline;
    sockaddr_storage addr;
    socklen_t length;
  };

  absl::StatusOr<std::shared_ptr<Generation>> StartDaemon(const WebConfig& config) {
    auto g = std::make_shared<Generation>();
    g->config = std::make_shared<const WebConfig>(config);
    g->priorities = config.tls13_only ? "NORMAL:-VERS-ALL:+VERS-TLS1.3"
                                      : "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;
    std::vector<MHD_OptionItem> items = {
        {MHD_OPTION_CONNECTION_LIMIT, options_.max_connections, nullptr},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, options_.max_connections_per_ip, nullptr},
        {MHD_OPTION_CONNECTION_TIMEOUT,
         static_cast<intptr_t>(std::max<int64_t>(
             1, std::chrono::duration_cast<std::chrono::seconds>(options_.idle_timeout).count())),
         nullptr},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<intptr_t>(options_.max_connection_memory),
         nullptr},
        // Reject what a strict HTTP/1.1 reader would (smuggling shapes).
        {MHD_OPTION_STRICT_FOR_CLIENT, 1, nullptr},
        {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&OnCompleted), this},
        {MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&OnLog), this},
    };
    if (config.tls) {
      flags |= MHD_USE_TLS;
      items.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(g->config->key_pem.c_str())});
      items.push_back(
          {MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(g->config->cert_pem.c_str())});
      items.push_back({MHD_OPTION_HTTPS_PRIORITIES, 0, const_cast<char*>(g->priorities.c_str())});
      if (!config.client_ca_pem.empty()) {
        items.push_back(
            {MHD_OPTION_HTTPS_MEM_TRUST, 0, const_cast<char*>(g->config->client_ca_pem.c_str())});
      }
    }
    items.push_back({MHD_OPTION_END, 0, nullptr});
    g->daemon = MHD_start_daemon(flags, 0, nullptr, nullptr, &OnRequest, this, MHD_OPTION_ARRAY,
                                 items.data(), MHD_OPTION_END);
    if (g->daemon == nullptr) {
      return absl::InvalidArgumentError(
          "admin server: libmicrohttpd refused to start (a TLS key or certificate GnuTLS cannot "
          "load?)");
    }
    return g;
  }

  static void OnLog(void*, const char* format, va_list args) {
    char line[512];
    vsnprintf(line, sizeof(line), format, args);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    spdlog::debug("admin server: {}", text);
  }

  static void OnCompleted(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
    delete static_cast<RequestState*>(*con_cls);
    *con_cls = nullptr;
  }

  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url,
                              const char* method, const char*, const char* upload_data,
                              size_t* upload_data_size, void** con_cls) {
    return static_cast<Impl*>(cls)->Request(connection, url, method, upload_data, upload_data_size,
                                            con_cls);
  }

  MHD_Result Request(MHD_Connection* connection, const char* url, const char* method,
                     const char* upload_data, size_t* upload_data_size, void** con_cls) {
    auto* state = static_cast<RequestState*>(*con_cls);
    if (state == nullptr) {
      state = new RequestState;
      *con_cls = state;
      state->request.method = method;
      state->request.path = url;
      // Refuse a body we will not read before it is sent: the connection
      // closes after the answer, so no byte of it is ever taken for a request.
      const char* length =
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Length");
      const char* chunked =
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Transfer-Encoding");
      const bool known = state->request.method == "GET" || state->request.method == "HEAD" ||
                         state->request.method == "POST" || state->request.method == "DELETE";
      uint64_t announced = 0;
      if (length != nullptr && !absl::SimpleAtoi(length, &announced)) announced = UINT64_MAX;
      const bool has_body = announced > 0 || chunked != nullptr;
      if (!known) {
        AdminResponse r = AdminHandler::Error(405, "method not allowed");
        r.headers.emplace_back(
            "Allow", absl::EndsWith(state->request.path, "/drain") ? "POST, DELETE" : "GET, HEAD");
        return Queue(connection, std::move(r));
      }
      if (announced > options_.max_body_bytes || (has_body && state->request.method != "POST")) {
        handler_.CountRejected("too_large");
        return Queue(connection, AdminHandler::Error(413, "request body too large"));
      }
      return MHD_YES;
    }
    if (*upload_data_size > 0) {
      if (state->request.body.size() + *upload_data_size > options_.max_body_bytes) {
        // A chunked body over the limit: close without reading the rest.
        handler_.CountRejected("too_large");
        return MHD_NO;
      }
      state->request.body.append(upload_data, *upload_data_size);
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (state->response) return Queue(connection, std::move(*state->response));
    if (state->dispatched) return MHD_YES;
    Describe(connection, &state->request);
    if (handler_.IsCheap(state->request)) return Queue(connection, handler_.Handle(state->request));
    std::shared_ptr<Generation> generation;
    {
      std::lock_guard<std::mutex> lock(generation_mu_);
      generation = generation_;
    }
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (stopping_ || queue_.size() >= options_.max_pending_renders) {
        handler_.CountRejected("overloaded");
        AdminResponse r = AdminHandler::Error(503, "admin server busy");
        r.headers.emplace_back("Retry-After", "1");
        return Queue(connection, std::move(r));
      }
      state->dispatched = true;
      ++generation->renders;
      MHD_suspend_connection(connection);
      queue_.push_back({connection, state, std::move(generation)});
    }
    queue_cv_.notify_one();
    return MHD_YES;
  }

  void Describe(MHD_Connection* connection, AdminRequest* r) {
    MHD_get_connection_values(
        connection, MHD_GET_ARGUMENT_KIND,
        [](void* cls, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
          static_cast<QueryArgs*>(cls)->emplace_back(key, value != nullptr ? value : "");
          return static_cast<QueryArgs*>(cls)->size() < 64 ? MHD_YES : MHD_NO;
        },
        &r->query);
    const char* authorization =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Authorization");
    if (authorization != nullptr) r->authorization = authorization;
    const char* type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Type");
    if (type != nullptr) r->content_type = type;
    r->peer = PeerOf(connection);
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (info != nullptr && info->tls_session != nullptr) {
      auto session = static_cast<gnutls_session_t>(info->tls_session);
      r->tls = true;
      unsigned count = 0;
      r->client_cert_presented =
          gnutls_certificate_get_peers(session, &count) != nullptr && count > 0;
      unsigned status = 0;
      r->client_cert_verified = r->client_cert_presented &&
                                gnutls_certificate_verify_peers2(session, &status) == 0 &&
                                status == 0;
    }
  }

  void RenderLoop() {
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job.state->response = handler_.Handle(job.state->request);
      MHD_resume_connection(job.connection);
      {
        std::lock_guard<std::mutex> lock(queue_mu_);
        --job.generation->renders;
      }
      queue_cv_.notify_all();
    }
  }

  void WaitForRenders(Generation& g) {
    std::unique_lock<std::mutex> lock(queue_mu_);
    queue_cv_.wait_for(lock, std::chrono::seconds(30), [&] { return g.renders.load() == 0; });
  }

  void Watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }

  // Hands an accepted socket to the current daemon (which closes it if a
  // connection limit says no).
  void HandOff(int fd, const sockaddr_storage& addr, socklen_t length) {
    std::lock_guard<std::mutex> lock(generation_mu_);
    if (MHD_add_connection(generation_->daemon, fd, reinterpret_cast<const sockaddr*>(&addr),
                           length) != MHD_YES) {
      spdlog::debug("admin server: connection refused (limit reached)");
    }
  }

  bool Tls() {
    std::lock_guard<std::mutex> lock(generation_mu_);
    return generation_->config->tls;
  }

  // Accepts on the listening socket. On a TLS port a connection waits (here,
  // bounded in count and time) for its first byte: a TLS handshake goes to
  // libmicrohttpd, plain HTTP gets the 400 Go's servers give.
  void AcceptLoop() {
    epoll_event events[64];
    while (true) {
      const int n = epoll_wait(epoll_fd_, events, 64, 200);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == stop_fd_) return;
        if (fd == listen_fd_) {
          AcceptAll();
        } else {
          FirstByte(fd);
        }
      }
      const MonoTime now = std::chrono::steady_clock::now();
      for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.deadline < now) {
          close(it->first);
          it = pending_.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  void AcceptAll() {
    for (int i = 0; i < 256; ++i) {
      PendingSocket p{};
      p.length = sizeof(p.addr);
      const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&p.addr), &p.length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      if (!Tls()) {
        HandOff(fd, p.addr, p.length);
        continue;
      }
      if (pending_.size() >= options_.max_connections) {
        close(fd);
        continue;
      }
      p.deadline =
          std::chrono::steady_clock::now() +
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.idle_timeout);
      pending_[fd] = p;
      Watch(fd);
    }
  }

  void FirstByte(int fd) {
    auto it = pending_.find(fd);
    if (it == pending_.end()) return;
    unsigned char first = 0;
    const ssize_t n = recv(fd, &first, 1, MSG_PEEK);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    const PendingSocket p = it->second;
    pending_.erase(it);
    if (n == 1 && first == 0x16) {  // a TLS record: handshake
      HandOff(fd, p.addr, p.length);
      return;
    }
    if (n == 1) {
      handler_.CountRejected("plain_http");
      static constexpr char kAnswer[] =
          "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Connection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      [[maybe_unused]] ssize_t w = send(fd, kAnswer, sizeof(kAnswer) - 1, MSG_NOSIGNAL);
    }
    close(fd);
  }

  const AdminServerOptions options_;
  AdminHandler handler_;
  int listen_fd_ = -1, stop_fd_ = -1, epoll_fd_ = -1;
  std::atomic<bool> stopped_{false};
  std::thread acceptor_;
  std::map<int, PendingSocket> pending_;  // acceptor thread only

  std::mutex generation_mu_;
  std::shared_ptr<Generation> generation_;  // guarded by generation_mu_

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Job> queue_;  // guarded by queue_mu_
  bool stopping_ = false;  // guarded by queue_mu_
  std::vector<std::thread> workers_;
};

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(
    AdminServerOptions options, const status::StatusProvider& provider) {
  absl::StatusOr<HostPort> where = ParseListenAddress(options.listen_address);
  if (!where.ok()) return where.status();
  int port = 0;
  absl::StatusOr<int> fd = Listen(*where, options.listen_address, &port);
  if (!fd.ok()) return fd.status();
  auto impl = std::make_unique<Impl>(std::move(options), provider);
  if (absl::Status s = impl->Start(*fd); !s.ok()) return s;
  std::unique_ptr<AdminServer> server(new AdminServer(std::move(impl)));
  server->host_ = where->host;
  server->port_ = port;
  spdlog::info("admin server listening on {}", server->address());
  return server;
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() { Stop(); }

std::string AdminServer::address() const {
  if (host_.find(':') != std::string::npos) return absl::StrCat("[", host_, "]:", port_);
  return absl::StrCat(host_, ":", port_);
}

absl::Status AdminServer::SetWebConfig(const WebConfig& config) {
  return impl_->SetWebConfig(config);
}

void AdminServer::Stop() { impl_->Stop(); }

}  // namespace registrar::admin
