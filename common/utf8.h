// UTF-8 validity, for text that ends up in JSON (etcd values, logs, the
// status API): JSON writers refuse other bytes, so text from a config file or
// from etcd is checked or escaped before it gets there.
#pragma once

#include <cstddef>
#include <string_view>

namespace registrar {

// The offset of the first byte that does not belong to a well-formed UTF-8
// sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF), or
// npos when all of `text` is UTF-8.
size_t FirstInvalidUtf8(std::string_view text);

}  // namespace registrar
