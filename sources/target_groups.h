// Prometheus target groups, as file_sd files and http_sd answers carry them:
//   [{"targets": ["host:port", ...], "labels": {"name": "value", ...}}, ...]
// in JSON (http_sd, *.json files) or YAML (*.yml, *.yaml files). Private to
// sources/.
//
// Each target is "host:port" ("[v6]:port"); labels become the target's
// metadata, except labels starting with "__" (Prometheus's reserved ones),
// the spec's weight label (an integer 1-1000000: the weight) and the spec's
// service label (when set, only groups whose service label equals the
// spec's service are read; the others belong to other services). A target
// listed twice keeps its first group. Anything else (not a list of groups, a
// group without targets, a bad address, a bad weight, an unknown key in a
// group) makes the whole text invalid, as in Prometheus: the error names the
// group and what is wrong.
//
// In detail:
//   - "targets" is required and a list of strings (it may be empty);
//     "labels" is optional (null: none) and maps names to strings (in YAML,
//     scalars; null is not a string). No other key. Label names are
//     non-empty UTF-8 without control characters; values are UTF-8.
//   - A host is an IPv6 literal in brackets (kept in its canonical form, so
//     "[0::1]" and "[::1]" are one address), or an IPv4 literal or a name
//     (non-empty, at most 253 bytes, UTF-8 without spaces, control characters
//     or any of "/?#@[]\:"; a trailing dot is dropped). Ports are 1-65535.
//   - Groups of another service are checked all the same (one text is valid
//     or not, whichever service reads it).
//   - Errors count groups and targets from 0: "group 3: target \"x\":
//     expected host:port". An empty text, a null YAML document or a second
//     YAML document is invalid.
//   - Bounded: more than 100000 targets in the text, or more than 256 MiB of
//     targets, labels and the metadata they make (YAML aliases expanded), is
//     invalid. Never throws.
//   - The result is sorted by Endpoint::operator<, one entry per address.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sources/source.h"

namespace registrar::sources {

enum class GroupsFormat { kJson, kYaml };

absl::StatusOr<std::vector<Endpoint>> ParseTargetGroups(std::string_view text, GroupsFormat format,
                                                        const SourceSpec& spec);

}  // namespace registrar::sources
