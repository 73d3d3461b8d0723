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
//
// In detail:
//   - Fetch() reads every match (symbolic links followed, directories left
//     out) in path order; a duplicate address keeps the first file's target.
//     A glob matching nothing is an empty answer, not a failure.
//   - A file whose stat is not the one the last two Changed() calls both saw
//     is taken as being written: Fetch() does not read it but uses its last
//     good parse (none: leaves it out) until Changed() reports it settled.
//     So no refresh, periodic or not, reads a half-written file unless the
//     writer pauses for longer than a poll. Before the first Changed() call
//     every file is read. A rewrite that keeps the inode, size and mtime
//     (two writes within the file system's timestamp granularity) shows at
//     the next periodic refresh.
//   - Failures: kInvalid "<path>: <parse error>" (also a match that is not
//     .json, .yml or .yaml); kIo for what cannot be read (not a regular file,
//     a directory that cannot be listed); kTooLarge above 64 MiB; kVanished
//     "<path>: vanished; kept until the next refresh". With several, the
//     first path's is the answer and the error counts the others.
#pragma once

#include <memory>

#include "sources/source.h"

namespace registrar::sources {

std::unique_ptr<Source> MakeFileSdSource(const SourceSpec& spec);

}  // namespace registrar::sources
