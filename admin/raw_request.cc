#include "admin/raw_request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace registrar::admin {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(absl::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<AdminRequest> ParseRawRequest(absl::string_view bytes) {
  const size_t head_end = bytes.find("\r\n\r\n");
  const absl::string_view head = bytes.substr(0, head_end);
  AdminRequest r;
  if (head_end != absl::string_view::npos) r.body = std::string(bytes.substr(head_end + 4));
  const size_t line_end = head.find("\r\n");
  const absl::string_view line = head.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == absl::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == absl::string_view::npos || sp2 == absl::string_view::npos || sp1 == 0 ||
      !absl::StartsWith(line.substr(sp2 + 1), "HTTP/1.")) {
    return absl::InvalidArgumentError("malformed request line");
  }
  r.method = std::string(line.substr(0, sp1));
  const absl::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const size_t question = target.find('?');
  r.path = Decode(target.substr(0, question), false);
  if (question != absl::string_view::npos) {
    absl::string_view query = target.substr(question + 1);
    while (!query.empty() && r.query.size() < 64) {
      const size_t amp = query.find('&');
      const absl::string_view pair = query.substr(0, amp);
      const size_t eq = pair.find('=');
      r.query.emplace_back(Decode(pair.substr(0, eq), true),
                           eq == absl::string_view::npos ? "" : Decode(pair.substr(eq + 1), true));
      if (amp == absl::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  absl::string_view rest = line_end == absl::string_view::npos ? "" : head.substr(line_end + 2);
  while (!rest.empty()) {
    const size_t end = rest.find("\r\n");
    const absl::string_view header = rest.substr(0, end);
    const size_t colon = header.find(':');
    if (colon != absl::string_view::npos) {
      const std::string name(header.substr(0, colon));
      const std::string value(absl::StripAsciiWhitespace(header.substr(colon + 1)));
      if (absl::EqualsIgnoreCase(name, "Authorization")) r.authorization = value;
      if (absl::EqualsIgnoreCase(name, "Content-Type")) r.content_type = value;
    }
    if (end == absl::string_view::npos) break;
    rest.remove_prefix(end + 2);
  }
  r.peer = "127.0.0.1";
  return r;
}

AdminResponse HandleRawRequest(const AdminHandler& handler, absl::string_view bytes) {
  absl::StatusOr<AdminRequest> request = ParseRawRequest(bytes);
  if (!request.ok()) return AdminHandler::Error(400, std::string(request.status().message()));
  return handler.Handle(*request);
}

}  // namespace registrar::admin
