// Fuzzes the admin port's request handling (admin/handler.h) behind the HTTP
// parser: any method, path, query, headers and body give a well-formed
// response — a status in 100..599 and, for every 4xx, Connection: close —
// never a crash, a hang or a leak. Input: "METHOD\nPATH\nQUERY\nAUTH\nTYPE\nBODY".
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "admin/handler.h"

namespace {

using registrar::admin::AdminHandler;
using registrar::admin::AdminRequest;

class Provider final : public registrar::status::StatusProvider {
 public:
  Provider() {
    for (int i = 0; i < 3; ++i) {
      registrar::probes::TargetStatus status;
      status.target.service = i == 2 ? "b" : "a";
      status.target.host = "127.0.0.1";
      status.target.port = 8080 + i;
      status.health =
          i == 1 ? registrar::probes::Health::kUnhealthy : registrar::probes::Health::kHealthy;
      targets_.push_back(status);
    }
    view_.etcd_endpoint = "127.0.0.1:2379";
    view_.etcd_connected = true;
    view_.lease_id = 42;
    view_.keys_by_target["a/127.0.0.1:8080"] = "/services/a/127.0.0.1:8080";
  }
  std::vector<registrar::probes::TargetStatus> Targets() const override { return targets_; }
  registrar::status::RegistrationView Registration() const override { return view_; }
  registrar::status::Readiness Ready() const override { return {.ready = true}; }

 private:
  std::vector<registrar::probes::TargetStatus> targets_;
  registrar::status::RegistrationView view_;
};

std::string_view NextLine(std::string_view& in) {
  const size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  static const Provider provider;
  static const AdminHandler handler({}, provider);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  AdminRequest request;
  request.method = std::string(NextLine(in));
  request.path = std::string(NextLine(in));
  std::string_view query = NextLine(in);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view arg = query.substr(0, amp);
    const size_t eq = arg.find('=');
    request.query.emplace_back(std::string(arg.substr(0, eq)),
                               eq == std::string_view::npos ? "" : std::string(arg.substr(eq + 1)));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  request.authorization = std::string(NextLine(in));
  request.content_type = std::string(NextLine(in));
  request.body = std::string(in);
  request.peer = "127.0.0.1";
  (void)handler.IsCheap(request);
  const registrar::admin::AdminResponse response = handler.Handle(request);
  if (response.status < 100 || response.status > 599) __builtin_trap();
  if (response.status >= 400 && response.status < 500) {
    bool closes = false;
    for (const auto& [name, value] : response.headers) {
      closes = closes || (name == "Connection" && value == "close");
    }
    if (!closes) __builtin_trap();
  }
  return 0;
}
