// fileSd: the target groups (target_groups.h) of every file matching the
// spec's paths (globs in the last part; *.json is JSON, *.yml/*.yaml YAML).
// Private to sources/.
//
// Changed() stats the matching files (cheap): true once a file appeared,
// vanished or changed (size, mtime, inode) and has then stayed unchanged for
// one poll, so a file written in place in several chunks is read once it is
// complete, and a rename is seen at once. A file that cannot be parsed fails
// the refresh (kInvalid) and keeps the last good answer; a file read before
// that is gone fails the first refresh that misses it (kVanished) and is left
// out from the next one on, so a deletion takes effect one refresh later.
#pragma once

#include <memory>

#include "sources/source.h"

namespace registrar::sources {

std::unique_ptr<Source> MakeFileSdSource(const SourceSpec& spec);

}  // namespace registrar::sources
