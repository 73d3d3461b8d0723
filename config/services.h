// Private to config/: the `services:` list → ServiceConfigs with targets.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/probe.h"
#include "config/reader.h"

namespace registrar::config::internal {

// Reads a `format:` field (one layout or a list), reporting a bad name.
std::optional<std::vector<controller::ValueFormat>> ReadFormats(const Field& f, Errors& errors);

// Parses every service (reporting every error, including duplicates);
// services with errors are left out.
// What a service's parse needs from the rest of the file.
struct ServiceContext {
  const ProbeDefaults& defaults;
  std::vector<controller::ValueFormat> default_formats;
  const controller::RegistrationOptions& registration;  // for the size of keys
  int64_t max_request_bytes;                            // etcd.maxRequestBytes
  const std::string& base_dir;
};

// A service's dnsSd, fileSd and httpSd blocks, in that order.
std::vector<sources::SourceSpec> ParseSources(const MapReader& m, const std::string& service,
                                              const std::string& base_dir, Errors& errors);

std::vector<ServiceConfig> ParseServices(const std::optional<Field>& services,
                                         const ServiceContext& context, Errors& errors);

}  // namespace registrar::config::internal
