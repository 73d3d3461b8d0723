// Private to config/: the `services:` list → ServiceConfigs with targets.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/probe.h"
#include "config/reader.h"

namespace registrar::config::internal {

// "plain" | "json" | "grpc-naming" | "skydns".
std::optional<controller::ValueFormat> ParseFormat(const std::string& name);
const char* FormatName(controller::ValueFormat format);
// Reads a `format:` field, reporting a bad name.
std::optional<controller::ValueFormat> ReadFormat(const Field& f, Errors& errors);

// Parses every service (reporting every error, including duplicates);
// services with errors are left out.
std::vector<ServiceConfig> ParseServices(const std::optional<Field>& services,
                                         const ProbeDefaults& defaults,
                                         controller::ValueFormat default_format, Errors& errors,
                                         const std::string& base_dir);

}  // namespace registrar::config::internal
