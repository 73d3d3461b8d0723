// httpSd: Prometheus's HTTP SD contract. GET of the spec's URL with
// "Accept: application/json" and "X-Prometheus-Refresh-Interval-Seconds";
// a 200 answer with Content-Type application/json carrying target groups
// (target_groups.h) is the answer. Bounded: the spec's timeout for the whole
// exchange, the body limit (kTooLarge once exceeded, without reading the
// rest), redirects not followed. Private to sources/.
//
// Credentials (basic auth password, authorization credentials) are read from
// their files at every refresh and never appear in an error.
#pragma once

#include <memory>

#include "sources/source.h"

namespace registrar::sources {

std::unique_ptr<Source> MakeHttpSdSource(const SourceSpec& spec);

}  // namespace registrar::sources
