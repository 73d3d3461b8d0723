// A small entry point for fuzzing the admin port's request handling
// without sockets: bytes of one HTTP/1.x request → AdminRequest → the same
// AdminHandler::Handle the server calls. The parser is deliberately simple
// (the server itself uses libmicrohttpd's); it only has to reach every
// branch of the handler: routing, query parsing, auth, the drain API.
//
// Contract: never throws, never reads past `bytes`, bounded work (query
// pairs capped at 64, like the server).
#pragma once

#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "admin/handler.h"

namespace registrar::admin {

// "METHOD /path?query HTTP/1.1\r\nName: value\r\n...\r\n\r\nbody". Percent-
// decodes path and query. kInvalidArgument for a malformed request line.
absl::StatusOr<AdminRequest> ParseRawRequest(absl::string_view bytes);

// ParseRawRequest + Handle; a malformed request gets 400.
AdminResponse HandleRawRequest(const AdminHandler& handler, absl::string_view bytes);

}  // namespace registrar::admin
