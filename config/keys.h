// The config reference: every key of the config file, in one table.
//
// Promise: this table is the one place that says which keys exist, their
// type, default, unit, constraints and what a reload does with a change. The
// parser takes its key sets (unknown-key checks), integer ranges and choice
// lists from it; `docs/configuration.md` (`etcd-registrar config-docs`) and
// the JSON Schema (`etcd-registrar config-schema`, used by the Helm chart's
// values.schema.json) are generated from it, and tests check that both
// committed files are current and that the schema accepts nothing the binary
// rejects.
//
// Adding a key is one entry in kKeys (config/keys.cc) plus the code that reads
// it. Keys are grouped in blocks: "" is the top level; a block such as
// "probe" is shared by every place that holds one (`defaults`, a service's
// `probe`).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace registrar::config {

enum class KeyType {
  kSection,      // a mapping whose keys are the block `child`
  kSectionList,  // a list of such mappings
  kString,
  kStringList,
  kStringMap,  // a mapping of string to string (metadata)
  kEnum,       // a string, one of `choices`
  kEnumList,   // one of `choices`, or a list of them (no name twice)
  kInt,        // an integer in [min, max]
  kBool,
  kSeconds,     // a number of seconds (decimals allowed); > 0, or >= 0 with min == 0
  kDuration,    // "500ms", "10s", "1m30s" (units ns us ms s m h); > 0
  kPath,        // a file path, relative to the config file's directory
  kStatusList,  // HTTP status codes or ranges: [200, "200-299"]
};

// What a reload does when the key's value changes.
enum class Reload {
  kApplied,       // applied by SIGHUP or a file change, without a restart
  kNeedsRestart,  // logged as "needs a restart" (ChangesNeedingRestart); the old value stays
};

struct Key {
  std::string_view block;  // "", "etcd", "probe.httpGet", …
  std::string_view name;   // "endpoints"
  KeyType type;
  std::string_view doc;                 // one or two sentences, Markdown
  std::string_view default_value = "";  // as written in YAML; "" = none
  std::string_view example = "";        // a valid YAML value, e.g. "10s" or "[\"a:1\"]"
  Reload reload = Reload::kApplied;
  std::string_view child = "";    // kSection / kSectionList: the block of its keys
  std::string_view choices = "";  // kEnum: "a|b|c"
  int64_t min = 0;                // kInt: range; kSeconds: min 0 allows 0
  int64_t max = 0;
  bool required = false;
  bool unique_items = false;  // lists: no value twice
  // JSON Schema extras for strings (RE2 syntax, as Helm evaluates them).
  std::string_view pattern = "";
  std::string_view not_pattern = "";  // values matching this are rejected
};

// Every key, blocks in document order.
std::span<const Key> AllKeys();
// The keys of one block, in table order.
std::vector<const Key*> KeysOf(std::string_view block);
// The names of a block's keys (for the parser's unknown-key check).
std::vector<std::string_view> KeyNames(std::string_view block);
// The key `name` of `block`; aborts if absent (a programming error).
const Key& KeyAt(std::string_view block, std::string_view name);
// The choices of a kEnum key, split.
std::vector<std::string_view> Choices(const Key& key);
// "a, b or c".
std::string ChoicesText(const Key& key);

// The JSON Schema pattern of a kDuration value.
std::string_view DurationPattern();

// The places where a block appears, as documented paths: block "probe" →
// {"defaults", "services[].probe"}; "" → {""}.
std::vector<std::string> PathsOf(std::string_view block);

// docs/configuration.md.
std::string ConfigReferenceMarkdown();
// The JSON Schema (draft-07) of the config file, pretty-printed.
std::string ConfigJsonSchema();
// `chart_schema` (a values.schema.json) with its "definitions.registrarConfig"
// replaced by ConfigJsonSchema(); its other properties point into that with
// "$ref". Returns "" and sets `error` if `chart_schema` is not JSON.
std::string ChartValuesSchema(const std::string& chart_schema, std::string* error);

// `etcd-registrar config-schema [--chart-values FILE]`: prints the schema (or
// the filled-in chart schema) to `out`; 0, or 1 with a message on `err`.
int RunConfigSchema(const std::string& chart_values, std::ostream& out, std::ostream& err);

}  // namespace registrar::config
