// httpSd: Prometheus's HTTP SD contract. GET of the spec's URL with
// "Accept: application/json" and "X-Prometheus-Refresh-Interval-Seconds";
// a 200 answer with Content-Type application/json carrying target groups
// (target_groups.h) is the answer. Bounded: the spec's timeout for the whole
// exchange, the body limit (kTooLarge once exceeded, without reading the
// rest), redirects not followed. Private to sources/.
//
// Credentials (basic auth password, authorization credentials) are read from
// their files at every refresh and never appear in an error.
//
// In detail:
//   - Also sent: "User-Agent: etcd-registrar"; no Accept-Encoding (nothing
//     compressed to inflate). Proxies from the environment are not used.
//   - The status and headers are judged before the body is read: a status
//     other than 200 is kHttpStatus ("HTTP 500"; a 3xx names its Location,
//     "not followed"); another media type is kInvalid (parameters such as
//     charset are fine); a Content-Length above max_body_bytes is kTooLarge.
//     A body growing past the limit aborts the transfer (kTooLarge).
//   - The timeout bounds connecting too. kTimeout: no answer in time (also
//     a Fetch ended by Cancel(), "cancelled", within about 50 ms); kTls:
//     handshake or certificate; kConnect: refused, unreachable, name not
//     found, connection lost; kInvalid: not HTTP, or not target groups.
//   - server_name (https): the TLS name (SNI and verification) while the
//     connection goes to the URL's host, whose name stays in the Host header.
//   - Secret files hold one line (trailing line breaks dropped, at most
//     64 KiB); unreadable or more than one line is kIo, naming the file.
//     Neither they nor the URL's user info appear in an error.
#pragma once

#include <memory>

#include "sources/source.h"

namespace registrar::sources {

std::unique_ptr<Source> MakeHttpSdSource(const SourceSpec& spec);

}  // namespace registrar::sources
