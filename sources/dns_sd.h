// dnsSd: each SRV record of each name is one target (its target host, not
// resolved here, and port; weight → weight, 0 meaning none; priority →
// metadata "priority", in decimal); each A/AAAA record is one target at the
// spec's port. Asked through c-ares (the spec's servers, else
// /etc/resolv.conf), over TCP when an answer is truncated. Private to
// sources/.
//
// A name that does not exist (NXDOMAIN) or has no records of the type is an
// answer with no targets for it (the shrink guard decides what to do with
// that); SERVFAIL, REFUSED, FORMERR and NOTIMP fail the refresh (kServFail),
// no answer in time fails it (kTimeout), a server that refuses the
// connection fails it (kConnect), a malformed answer fails it (kInvalid):
// one name failing fails the whole refresh, so a partial answer never looks
// like a shrink. `spec.dns.timeout` bounds the lookup of all names together
// (they are asked at once); Cancel() ends a running Fetch within about
// 100 ms.
//
// The endpoints are sorted and distinct by address: of two records with the
// same address, the first one (names in the spec's order, records in the
// answer's) is kept. The answer's `ttl` is the smallest TTL among the records
// of the type of every name; unset when there are none. An SRV record whose
// target is "." (the service is not offered there) lists nothing.
#pragma once

#include <memory>

#include "sources/source.h"

namespace registrar::sources {

std::unique_ptr<Source> MakeDnsSdSource(const SourceSpec& spec);

}  // namespace registrar::sources
