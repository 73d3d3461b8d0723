// dnsSd: each SRV record of each name is one target (its target host and
// port; weight → weight, priority → metadata "priority"); each A/AAAA record
// is one target at the spec's port. Asked through c-ares (the spec's servers,
// else /etc/resolv.conf), over TCP when an answer is truncated. Private to
// sources/.
//
// A name that does not exist (NXDOMAIN) or has no records of the type is an
// answer with no targets for it (the shrink guard decides what to do with
// that); SERVFAIL, REFUSED and other server errors fail the refresh
// (kServFail), no answer in time fails it (kTimeout): one name failing fails
// the whole refresh, so a partial answer never looks like a shrink. The
// answer's `ttl` is the smallest TTL among the records of every name.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sources/source.h"

namespace registrar::sources {

std::unique_ptr<Source> MakeDnsSdSource(const SourceSpec& spec);

}  // namespace registrar::sources
