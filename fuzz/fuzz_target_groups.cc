// Fuzzes the target-group parser (fileSd files, httpSd answers) in both
// formats: any text gives targets or an error, never a crash, a hang or an
// unbounded allocation (YAML aliases included), and what it gives keeps the
// Answer contract: sorted, distinct addresses, ports 1-65535, weights 0 or
// 1-1000000, no reserved label in the metadata.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "sources/target_groups.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  using registrar::sources::GroupsFormat;
  // First byte: bit 0 the format, bit 1 whether a service label routes groups.
  const GroupsFormat format = (data[0] & 1) ? GroupsFormat::kYaml : GroupsFormat::kJson;
  registrar::sources::SourceSpec spec;
  spec.kind = registrar::sources::SourceKind::kFileSd;
  spec.service = "billing";
  if (data[0] & 2) spec.service_label = "service";
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto parsed = registrar::sources::ParseTargetGroups(text, format, spec);
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (!std::is_sorted(parsed->begin(), parsed->end())) __builtin_trap();
  std::set<std::string> addresses;
  for (const auto& e : *parsed) {
    if (e.host.empty() || e.port < 1 || e.port > 65535) __builtin_trap();
    if (e.weight < 0 || e.weight > 1'000'000) __builtin_trap();
    if (!addresses.insert(e.Address()).second) __builtin_trap();
    for (const auto& [name, value] : e.metadata) {
      if (name.empty() || name.rfind("__", 0) == 0 || name == spec.weight_label) __builtin_trap();
      if (!spec.service_label.empty() && name == spec.service_label) __builtin_trap();
    }
  }
  return 0;
}
