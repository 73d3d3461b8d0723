// Fuzzes the probes' HTTP/1.x response reader: whatever a backend sends, and
// however the bytes are split across reads, the reader ends in the same state
// with the same status, framing and body as when it gets them in one piece.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "probes/transports/http_response.h"

namespace {

using registrar::probes::ResponseReader;

struct Outcome {
  ResponseReader::State state;
  int status;
  bool reusable;
  bool truncated;
  int64_t body_bytes;
  std::string body;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

struct Mode {
  bool head_request;
  bool keep_body;
  int64_t max_body_bytes;
};

Outcome Read(const Mode& mode, std::string_view input, size_t split, bool eof) {
  ResponseReader reader;
  reader.Reset(mode.head_request, mode.max_body_bytes, mode.keep_body);
  // Both parts always: bytes after the response's end are part of the
  // contract (they make the connection not reusable).
  reader.Feed(input.substr(0, split));
  ResponseReader::State state = reader.Feed(input.substr(split));
  if (state == ResponseReader::State::kMore && eof) state = reader.Eof();
  if (state != reader.state()) __builtin_trap();
  if (mode.keep_body && static_cast<int64_t>(reader.body().size()) > mode.max_body_bytes) {
    __builtin_trap();
  }
  return {reader.state(),      reader.status(), reader.reusable(), reader.truncated(),
          reader.body_bytes(), reader.body(),   reader.error()};
}

Outcome ReadByteByByte(const Mode& mode, std::string_view input, bool eof) {
  ResponseReader reader;
  reader.Reset(mode.head_request, mode.max_body_bytes, mode.keep_body);
  ResponseReader::State state = ResponseReader::State::kMore;
  for (size_t i = 0; i < input.size(); ++i) state = reader.Feed(input.substr(i, 1));
  if (state == ResponseReader::State::kMore && eof) state = reader.Eof();
  return {reader.state(),      reader.status(), reader.reusable(), reader.truncated(),
          reader.body_bytes(), reader.body(),   reader.error()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Every split of every input is quadratic: keep inputs short.
  if (size < 1 || size > 4096) return 0;
  const uint8_t flags = data[0];
  const Mode mode{.head_request = (flags & 1) != 0,
                  .keep_body = (flags & 2) != 0,
                  .max_body_bytes = (flags & 4) != 0 ? 16 : 1 << 20};
  const bool eof = (flags & 8) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = Read(mode, input, input.size(), eof);
  for (size_t split = 0; split < input.size(); ++split) {
    if (!(Read(mode, input, split, eof) == whole)) __builtin_trap();
  }
  if (!(ReadByteByByte(mode, input, eof) == whole)) __builtin_trap();
  return 0;
}
