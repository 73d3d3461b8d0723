#include "probes/transports/http_response.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace registrar::probes {
namespace {

constexpr size_t kMaxLineBytes = 4096;  // a chunk-size or trailer line

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Does the comma-separated header value list contain `token`?
bool HasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (EqualsIgnoringCase(Trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// The last coding of a Transfer-Encoding list.
std::string_view LastToken(std::string_view list) {
  size_t comma = list.rfind(',');
  return Trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
}

// Where the head ends (index just past the blank line), or npos.
size_t HeadEnd(const std::string& buf, size_t from) {
  for (size_t i = from; (i = buf.find('\n', i)) != std::string::npos; ++i) {
    if (i + 1 < buf.size() && buf[i + 1] == '\n') return i + 2;
    if (i + 2 < buf.size() && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
  }
  return std::string::npos;
}

}  // namespace

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void ResponseReader::Reset(bool head_request, int64_t max_body_bytes, bool keep_body) {
  head_request_ = head_request;
  max_body_bytes_ = std::max<int64_t>(max_body_bytes, 0);
  keep_body_ = keep_body;
  state_ = State::kMore;
  phase_ = Phase::kHead;
  seen_bytes_ = false;
  head_.clear();
  line_.clear();
  status_ = 0;
  keep_alive_ = true;
  remaining_ = 0;
  body_.clear();
  body_bytes_ = 0;
  truncated_ = false;
  reusable_ = false;
  error_.clear();
}

ResponseReader::State ResponseReader::Fail(std::string reason) {
  error_ = std::move(reason);
  reusable_ = false;
  return state_ = State::kError;
}

ResponseReader::State ResponseReader::Done(bool reusable) {
  reusable_ = reusable && keep_alive_ && !truncated_;
  return state_ = State::kDone;
}

ResponseReader::State ResponseReader::Feed(std::string_view data) {
  if (state_ != State::kMore) {
    // Bytes after a complete response, in a later read: out of step as below,
    // whatever the read boundaries were.
    if (state_ == State::kDone && !data.empty()) reusable_ = false;
    return state_;
  }
  if (!data.empty()) seen_bytes_ = true;
  State state = Consume(data);
  // Bytes after the response: the connection is out of step with its
  // requests (e.g. a body sent after a HEAD response). Do not reuse it.
  if (state == State::kDone && !data.empty()) reusable_ = false;
  return state;
}

ResponseReader::State ResponseReader::Consume(std::string_view& data) {
  while (!data.empty() && state_ == State::kMore) {
    switch (phase_) {
      case Phase::kHead: {
        size_t scan_from = head_.size() >= 3 ? head_.size() - 3 : 0;
        size_t room = kMaxHeadBytes + 1 - std::min(head_.size(), kMaxHeadBytes + 1);
        size_t take = std::min(data.size(), room);
        head_.append(data.data(), take);
        // Reject garbage as soon as it cannot be a status line.
        std::string_view prefix("HTTP/");
        size_t n = std::min(head_.size(), prefix.size());
        if (head_.compare(0, n, prefix, 0, n) != 0) return Fail("invalid HTTP response");
        size_t end = HeadEnd(head_, scan_from);
        if (end == std::string::npos || end > kMaxHeadBytes) {
          if (head_.size() > kMaxHeadBytes) return Fail("response header too large");
          data.remove_prefix(take);
          break;
        }
        // Whatever followed the head in this piece is body (or the next head).
        size_t consumed_before = head_.size() - take;
        data.remove_prefix(end - consumed_before);
        head_.resize(end);
        ParseHead();
        break;
      }
      case Phase::kFixedBody:
        if (!TakeFramed(data)) return Done(false);
        if (remaining_ == 0) return Done(true);
        break;
      case Phase::kToClose:
        if (!TakeBody(data)) return Done(false);
        data = {};
        break;
      case Phase::kChunkSize: {
        if (!TakeLine(data)) break;
        std::string_view line = Trim(line_);
        line = line.substr(0, line.find(';'));  // chunk extensions
        line = Trim(line);
        uint64_t size = 0;
        auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
        if (line.empty() || ec != std::errc() || ptr != line.data() + line.size() ||
            size > (uint64_t{1} << 40)) {
          return Fail("invalid HTTP response: bad chunk size");
        }
        line_.clear();
        remaining_ = static_cast<int64_t>(size);
        phase_ = size == 0 ? Phase::kTrailers : Phase::kChunkData;
        break;
      }
      case Phase::kChunkData:
        if (!TakeFramed(data)) return Done(false);
        if (remaining_ == 0) phase_ = Phase::kChunkDataEnd;
        break;
      case Phase::kChunkDataEnd:
        if (!TakeLine(data)) break;
        if (!Trim(line_).empty()) return Fail("invalid HTTP response: bad chunk end");
        line_.clear();
        phase_ = Phase::kChunkSize;
        break;
      case Phase::kTrailers:
        if (!TakeLine(data)) break;
        if (Trim(line_).empty()) return Done(true);
        line_.clear();  // a trailer field: ignored
        break;
    }
  }
  return state_;
}

ResponseReader::State ResponseReader::Eof() {
  if (state_ != State::kMore) return state_;
  if (phase_ == Phase::kToClose) return Done(false);
  if (!seen_bytes_) return Fail("empty reply");
  return Fail("incomplete response");
}

bool ResponseReader::TakeLine(std::string_view& data) {
  size_t nl = data.find('\n');
  size_t take = nl == std::string_view::npos ? data.size() : nl;
  if (line_.size() + take > kMaxLineBytes) {
    Fail("invalid HTTP response: line too long");
    data = {};
    return false;
  }
  line_.append(data.data(), take);
  if (nl == std::string_view::npos) {
    data = {};
    return false;
  }
  data.remove_prefix(nl + 1);
  return true;
}

bool ResponseReader::TakeFramed(std::string_view& data) {
  auto take = static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(data.size())));
  remaining_ -= static_cast<int64_t>(take);
  bool more = TakeBody(data.substr(0, take));
  data.remove_prefix(take);
  return more;
}

bool ResponseReader::TakeBody(std::string_view data) {
  int64_t room = max_body_bytes_ - body_bytes_;
  auto take = static_cast<size_t>(std::min<int64_t>(room, static_cast<int64_t>(data.size())));
  if (keep_body_) body_.append(data.data(), take);
  body_bytes_ += static_cast<int64_t>(take);
  if (take < data.size()) {
    truncated_ = true;
    return false;
  }
  return true;
}

ResponseReader::State ResponseReader::ParseHead() {
  std::string_view head(head_);
  size_t eol = head.find('\n');
  std::string_view status_line = Trim(head.substr(0, eol));
  // "HTTP/1.1 200 OK": version, a space, three digits, then a space or the end.
  if (status_line.size() < 12 || status_line[5] < '0' || status_line[5] > '9' ||
      status_line[6] != '.' || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return Fail("invalid HTTP response");
  }
  int status = 0;
  auto [ptr, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  if (ec != std::errc() || ptr != status_line.data() + 12 || status < 100) {
    return Fail("invalid HTTP response");
  }
  bool http10 = status_line[5] == '1' && status_line[7] == '0';
  bool close = false;
  bool keep_alive = false;
  status_ = status;

  bool chunked = false;
  bool has_encoding = false;
  int64_t length = -1;
  std::string_view rest = head.substr(eol + 1);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = Trim(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Fail("invalid HTTP response");
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoringCase(name, "Content-Length")) {
      int64_t n = -1;
      auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (e != std::errc() || p != value.data() + value.size() || n < 0 ||
          (length >= 0 && n != length)) {
        return Fail("invalid HTTP response: bad Content-Length");
      }
      length = n;
    } else if (EqualsIgnoringCase(name, "Transfer-Encoding")) {
      has_encoding = true;
      chunked = EqualsIgnoringCase(LastToken(value), "chunked");
    } else if (EqualsIgnoringCase(name, "Connection")) {
      close = close || HasToken(value, "close");
      keep_alive = keep_alive || HasToken(value, "keep-alive");
    }
  }
  // HTTP/1.1 persists unless "close"; 1.0 only with "keep-alive". A length
  // beside chunked framing is suspect (RFC 9112 §6.3): read, but do not reuse.
  keep_alive_ = !close && (!http10 || keep_alive) && !(has_encoding && length >= 0);

  if (status >= 100 && status < 200 && status != 101) {  // interim: the real one follows
    head_.clear();
    keep_alive_ = true;
    status_ = 0;
    return state_;
  }
  head_.clear();
  if (status == 101) return Done(false);
  if (head_request_ || status == 204 || status == 304) return Done(true);
  if (chunked) {
    phase_ = Phase::kChunkSize;
  } else if (!has_encoding && length == 0) {
    return Done(true);
  } else if (!has_encoding && length > 0) {
    remaining_ = length;
    phase_ = Phase::kFixedBody;
  } else {
    phase_ = Phase::kToClose;  // ends at close, never reusable (Done(false))
  }
  return state_;
}

}  // namespace registrar::probes
