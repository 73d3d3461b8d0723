// Layouts: what one registration looks like to each consumer, as data.
//
// A layout is a row of one table: a default key prefix, the rule its prefix
// follows, a key template, the directory that holds a service's keys, and a
// value template (text, or a JSON document). One renderer turns a row and a
// target's fields into a key and a value, so a new consumer costs a row; the
// user `template` format is the same renderer over the service's own
// templates (ServiceRegistration::layout).
//
// Templates name fields as ${name} (FieldNames() lists them). In a text
// template (every key; values that are not JSON) a field becomes its text: a
// string as it is, a number in decimal, an object as compact JSON. A JSON
// value template is parsed first; a string leaf that is exactly "${name}"
// becomes the field's typed value (number, object or string), "${name?}" is
// left out (object member or array item) when the field is empty (0, "", {}),
// "${name?null}" is null then; any other string leaf is a text template. So
// the value of a JSON layout is always valid JSON.
//
// Pure functions; the preset rows are constant.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"
#include "probes/spec.h"
#include "registration/registration.h"

namespace registrar::controller {

// What a layout's prefix must look like, as its consumer needs it.
enum class PrefixRule {
  kLeadingSlash,    // "/…/" (etcd's resolver, CoreDNS, Kratos, go-micro, dubbo-go)
  kNoLeadingSlash,  // "…/" or "" (go-zero's zrpc target, Kitex, Traefik's rootKey)
  kEither,          // template: whatever the user's consumer reads
};

struct LayoutRow {
  ValueFormat format;
  std::string_view variant;         // "traefik-tcp" for a row chosen by an option, else ""
  std::string_view default_prefix;  // moved with registration.layoutPrefixes
  PrefixRule prefix_rule;
  std::string_view key;        // text template
  std::string_view directory;  // text template over service fields: a service's keys
  std::string_view value;      // text or JSON template
  bool value_is_json;
  std::string_view default_scheme;  // ${scheme} when the service sets none
  std::string_view consumer;        // who reads it, and the source file the row follows
};

// Every preset row (not `template`, whose templates are the service's).
std::span<const LayoutRow> PresetLayouts();

// The row `service` uses for `format` (the traefik row follows
// `layout.protocol`; `template` is built from the service's templates).
LayoutRow LayoutOf(ValueFormat format, const ServiceRegistration& service);

// The prefix keys of `format` start with: registration.prefix for plain,
// json, grpc-naming (and template unless moved), skydnsPrefix for skydns,
// otherwise registration.layoutPrefixes[name] or the row's default.
std::string LayoutPrefix(ValueFormat format, const RegistrationOptions& options);

// The values a template can name, for one target. `lease_id` 0 renders "0".
using LayoutFields = std::map<std::string, nlohmann::ordered_json, std::less<>>;
LayoutFields FieldsOf(const probes::Target& target, const ServiceRegistration& service,
                      std::string_view prefix, std::string_view default_scheme,
                      WallTime registered_at, int64_t lease_id);

// The documented field names, in documentation order.
std::span<const std::string_view> FieldNames();

// Fields that differ between targets of one service (a key template must
// name at least one, or every target would write the same key).
bool IsTargetField(std::string_view name);

// OK, or InvalidArgument naming the problem: an unknown field, an unclosed
// "${", or (json) text that is not a JSON document.
absl::Status CheckTemplate(std::string_view text, bool json);

std::string RenderText(std::string_view text, const LayoutFields& fields);
// `json_template` parsed; returns compact JSON.
std::string RenderJson(const nlohmann::ordered_json& json_template, const LayoutFields& fields);

}  // namespace registrar::controller
