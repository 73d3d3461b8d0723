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
