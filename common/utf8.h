// UTF-8 validity, for text that ends up in JSON (etcd values, logs, the
// status API): JSON writers refuse other bytes, so text from a config file or
// from etcd is checked or escaped before it gets there. And cutting long text
// for a log line without splitting a character.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace registrar {

// The offset of the first byte that does not belong to a well-formed UTF-8
// sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF), or
// npos when all of `text` is UTF-8.
size_t FirstInvalidUtf8(std::string_view text);

// The largest offset <= `at` that does not fall inside a UTF-8 character.
size_t CharacterBoundary(std::string_view text, size_t at);

// `text` as a log line shows it: whole when at most `max_bytes`, else cut at
// the last ',' or ' ' in its second half (the end of a JSON member or a word;
// else at a character boundary) and followed by "… (N more bytes)", so a
// reader sees that and how much was left out.
std::string CutForLog(std::string_view text, size_t max_bytes);

}  // namespace registrar
