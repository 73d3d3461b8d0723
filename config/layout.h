// Private to config/: the layout settings of the config file.
//
// `service.layout` (options of the layouts that have any, and the user
// template, checked here so a template that cannot render is a config error
// with file:line), `registration.layoutPrefixes` (each checked against its
// consumer's prefix rule), and the check that no two registrations of the
// whole file share a key.
#pragma once

#include <optional>
#include <vector>

#include "config/config.h"
#include "config/reader.h"

namespace registrar::config::internal {

// Reads `layout:` of a service with layouts `formats` into `out`.
void ParseLayout(const MapReader& service, const std::vector<controller::ValueFormat>& formats,
                 controller::LayoutOptions& out, Errors& errors);

// Reads `registration.layoutPrefixes`.
void ParseLayoutPrefixes(const std::optional<Field>& field, std::map<std::string, std::string>& out,
                         Errors& errors);

// Every key of every target of `services` (items at `fields`) is written by
// one registration only; a clash is an error at the later service.
void CheckKeysAreDistinct(const std::vector<ServiceConfig>& services,
                          const std::vector<Field>& fields,
                          const controller::RegistrationOptions& registration, Errors& errors);

}  // namespace registrar::config::internal
