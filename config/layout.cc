#include "config/layout.h"

#include <algorithm>
#include <map>
#include <string>

#include "config/keys.h"
#include "config/values.h"
#include "registration/keys.h"
#include "registration/layouts.h"

namespace registrar::config::internal {
namespace {

using controller::PrefixRule;
using controller::ValueFormat;

bool Has(const std::vector<ValueFormat>& formats, ValueFormat f) {
  return std::find(formats.begin(), formats.end(), f) != formats.end();
}

// The problem with `prefix` as a prefix of `format`, if any.
std::optional<std::string> PrefixProblem(ValueFormat format, const std::string& prefix) {
  const controller::LayoutRow row = controller::LayoutOf(format, controller::ServiceRegistration{});
  if (prefix.empty()) {
    if (format == ValueFormat::kGoZero) return std::nullopt;  // keys `<service>/<id>`
    return "expected a key prefix ending with \"/\", got \"\"";
  }
  if (prefix.back() != '/') return "expected a key prefix ending with \"/\", got " + Quote(prefix);
  const bool slash = prefix.front() == '/';
  if (row.prefix_rule == PrefixRule::kLeadingSlash && !slash) {
    return std::string(ValueFormatName(format)) + " keys start with \"/\" (" +
           std::string(row.consumer) + "), got " + Quote(prefix);
  }
  if (row.prefix_rule == PrefixRule::kNoLeadingSlash && slash) {
    return std::string(ValueFormatName(format)) + " keys must not start with \"/\" (" +
           std::string(row.consumer) + " reads them without), got " + Quote(prefix);
  }
  return std::nullopt;
}

void CheckTemplateField(const Field& f, const std::string& text, bool json, bool is_key,
                        Errors& errors) {
  absl::Status status = controller::CheckTemplate(text, json);
  if (!status.ok()) {
    errors.Add(f.mark, f.path, std::string(status.message()));
    return;
  }
  if (!is_key) return;
  if (!text.starts_with("${prefix}")) {
    errors.Add(f.mark, f.path,
               "a key template starts with ${prefix} (the registrar watches and cleans up only "
               "under its prefixes), got " +
                   Quote(text));
    return;
  }
  bool names_target = false;
  for (std::string_view name : controller::FieldNames()) {
    if (controller::IsTargetField(name) &&
        text.find("${" + std::string(name) + "}") != std::string::npos) {
      names_target = true;
    }
  }
  if (!names_target) {
    errors.Add(f.mark, f.path,
               "a key template names a field that tells targets apart (${address}, ${id}, "
               "${idNum}, ${host} and ${port}, …), else every target writes one key");
  }
}

}  // namespace

void ParseLayout(const MapReader& service, const std::vector<ValueFormat>& formats,
                 controller::LayoutOptions& out, Errors& errors) {
  std::optional<Field> field = service.Get("layout");
  if (!field) {
    if (Has(formats, ValueFormat::kTemplate)) {
      service.Missing("layout", "format template needs layout.key and layout.value");
    }
    return;
  }
  MapReader m(*field, errors, KeyNames("service.layout"));
  if (!m.valid()) return;
  for (auto [name, target] :
       {std::pair{"version", &out.version}, std::pair{"scheme", &out.scheme},
        std::pair{"key", &out.key_template}, std::pair{"value", &out.value_template}}) {
    if (auto f = m.Get(name)) {
      if (auto v = ReadString(*f, errors)) *target = *v;
    }
  }
  if (auto f = m.Get("protocol")) {
    if (auto v = ReadString(*f, errors)) {
      if (*v == "http" || *v == "tcp") {
        out.protocol = *v;
      } else {
        errors.Add(f->mark, f->path, "expected http or tcp, got " + Quote(*v));
      }
    }
  }
  if (auto f = m.Get("priority")) {
    if (auto v = ReadInt(*f, errors, KeyAt("service.layout", "priority"), "an integer 0-65535")) {
      out.priority = static_cast<int>(*v);
    }
  }
  if (auto f = m.Get("json")) {
    if (auto v = ReadBool(*f, errors)) out.value_is_json = *v;
  }
  if (!Has(formats, ValueFormat::kTemplate)) {
    for (const char* name : {"key", "value", "json"}) {
      if (auto f = m.Get(name))
        errors.Warn(f->mark, f->path, "ignored: only format template uses it");
    }
    return;
  }
  auto key = m.Get("key");
  auto value = m.Get("value");
  if (!key) m.Missing("key", "format template needs layout.key");
  if (!value) m.Missing("value", "format template needs layout.value");
  if (key) CheckTemplateField(*key, out.key_template, false, true, errors);
  if (value) CheckTemplateField(*value, out.value_template, out.value_is_json, false, errors);
}

void ParseLayoutPrefixes(const std::optional<Field>& field, std::map<std::string, std::string>& out,
                         Errors& errors) {
  if (!field || field->node.IsNull()) return;
  if (!field->node.IsMap()) {
    errors.Add(field->mark, field->path, "expected a mapping of layout name to prefix");
    return;
  }
  for (auto it = field->node.begin(); it != field->node.end(); ++it) {
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : "";
    Field value{it->second, it->second.Mark(), field->path + "." + name};
    std::optional<ValueFormat> format = ParseValueFormat(name);
    if (!format || *format == ValueFormat::kPlain || *format == ValueFormat::kJson ||
        *format == ValueFormat::kGrpcNaming || *format == ValueFormat::kSkyDns) {
      errors.Add(it->first.Mark(), value.path,
                 "expected go-zero, kratos, go-micro, kitex, dubbo, traefik or template (plain, "
                 "json and grpc-naming use registration.prefix, skydns skydnsPrefix), got " +
                     Quote(name));
      continue;
    }
    std::optional<std::string> prefix = ReadString(value, errors);
    if (!prefix) continue;
    if (auto problem = PrefixProblem(*format, *prefix)) {
      errors.Add(value.mark, value.path, *problem);
      continue;
    }
    out[name] = *prefix;
  }
}

void CheckKeysAreDistinct(const std::vector<ServiceConfig>& services,
                          const std::vector<Field>& fields,
                          const controller::RegistrationOptions& registration, Errors& errors) {
  std::map<std::string, std::string> writer;  // key → "service S (layout L)"
  for (size_t i = 0; i < services.size() && i < fields.size(); ++i) {
    const ServiceConfig& s = services[i];
    bool reported = false;
    for (const probes::Target& t : s.targets) {
      for (const controller::LayoutKey& k :
           controller::RegistrationKeys(t, s.registration, registration, {})) {
        std::string who = "service " + Quote(s.registration.service) + " (layout " +
                          ValueFormatName(k.format) + ")";
        auto [it, added] = writer.emplace(k.key, who);
        if (!added && !reported) {
          errors.Add(fields[i].mark, fields[i].path,
                     "key " + Quote(k.key) + " of " + who + " is also written by " + it->second +
                         "; move one layout's prefix (registration.layoutPrefixes)");
          reported = true;
        }
      }
    }
  }
}

}  // namespace registrar::config::internal
