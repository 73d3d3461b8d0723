// JSON text that never throws: nlohmann::json's dump() throws on a string
// that is not UTF-8, and such bytes can come from a config file or from any
// etcd value. Here they come out as U+FFFD instead. Works for json and
// ordered_json alike; the caller includes nlohmann/json.hpp.
#pragma once

#include <string>

namespace registrar {

template <class Json>
std::string JsonText(const Json& value, int indent = -1) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace registrar
