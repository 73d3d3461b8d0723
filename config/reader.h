// Private to config/: strict, error-collecting access to a yaml-cpp tree.
//
// Every reader reports what it did not like to `Errors` (with the value's
// position and key path) and returns nullopt; callers keep going so that one
// load reports every error.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "config/keys.h"

namespace registrar::config::internal {

class Errors {
 public:
  explicit Errors(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }
  // At a position in the config file.
  void Add(const YAML::Mark& mark, std::string path, std::string message);
  // Anywhere: another file (line/column 1-based, 0 = none) or the command line.
  void AddAt(std::string file, int line, int column, std::string path, std::string message);
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  std::vector<ConfigError> Take() { return std::move(errors_); }
  // Problems with the value at `path` (or inside it) are reported against
  // `source` (a flag or variable that replaced the file's value), with no
  // file position.
  void Attribute(std::string path, std::string source);
  // A setting that is valid but has no effect.
  void Warn(const YAML::Mark& mark, std::string path, std::string message);
  std::vector<ConfigError> TakeWarnings() { return std::move(warnings_); }

 private:
  // The source of the value at `path`, or nullptr if the file has it.
  const std::string* SourceOf(const std::string& path) const;

  std::string file_;
  std::vector<std::pair<std::string, std::string>> sources_;  // path, source
  std::vector<ConfigError> errors_;
  std::vector<ConfigError> warnings_;
};

// A value in the tree with where it is and how it is called.
struct Field {
  YAML::Node node;
  YAML::Mark mark;
  std::string path;
};

// `"text"` with quotes and backslashes escaped. Text longer than
// kMaxQuotedBytes is cut there (at a character boundary) and ends `…" (N
// bytes)`, so a huge value never makes a huge error line.
inline constexpr size_t kMaxQuotedBytes = 80;
std::string Quote(std::string_view text);
// A key as shown in a key path: cut to kMaxQuotedBytes (with "…").
std::string ShortKey(std::string_view key);
// How a node looks in "got …": a quoted scalar, "a mapping", "a list", "null".
std::string Describe(const YAML::Node& node);

// A mapping whose keys are checked against `known`: an unknown key (with a
// "did you mean" hint) or a repeated key is reported once, at the key.
class MapReader {
 public:
  MapReader(const Field& field, Errors& errors, std::vector<std::string_view> known);

  bool valid() const { return valid_; }  // the node is a mapping (or null = empty)
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  // The value of `key`, if present (it may be a null node).
  std::optional<Field> Get(std::string_view key) const;
  std::string PathOf(std::string_view key) const;
  const YAML::Mark& mark() const { return mark_; }
  const std::string& path() const { return path_; }
  // Reports "missing required field" for `key` at this mapping.
  void Missing(std::string_view key, std::string_view hint = "") const;

 private:
  struct Entry {
    std::string key;
    YAML::Mark key_mark;
    YAML::Node value;
  };
  const Entry* Find(std::string_view key) const;

  Errors& errors_;
  std::string path_;
  YAML::Mark mark_;
  bool valid_ = false;
  std::vector<Entry> entries_;
};

// The config as the parser will see it, with every alias expanded where it
// is used, may hold at most this many bytes (scalars plus kNodeCost per
// node). yaml-cpp shares an aliased node, but the parser copies it at each
// use, so a small file can otherwise ask for gigabytes. 64 MiB is about 300
// times the largest config we know of (100 000 endpoints and their probes
// take ~10 MiB) and keeps a load's peak memory to a few hundred MiB.
inline constexpr size_t kMaxExpandedBytes = 64 << 20;
inline constexpr size_t kNodeCost = 32;
inline constexpr int kMaxDepth = 64;
// Walks `root` counting the expanded size; stops at the first node that
// passes `budget` or kMaxDepth, or at the first key or scalar that is not
// UTF-8, and reports it (position and key path). Returns false if it did.
bool CheckExpandedSize(const YAML::Node& root, Errors& errors, size_t budget = kMaxExpandedBytes);

std::optional<std::string> ReadString(const Field& f, Errors& errors);
// An integer in [min, max]; `expected` describes the range ("an integer 1-65535").
std::optional<int64_t> ReadInt(const Field& f, Errors& errors, int64_t min, int64_t max,
                               std::string_view expected);
// An integer in the range of `key` (the key table).
std::optional<int64_t> ReadInt(const Field& f, Errors& errors, const Key& key,
                               std::string_view expected);
// A string that is one of the choices of the kEnum `key`.
std::optional<std::string> ReadChoice(const Field& f, Errors& errors, const Key& key);
std::optional<bool> ReadBool(const Field& f, Errors& errors);
// A number of seconds (integer or decimal): > 0, or >= 0 with allow_zero.
std::optional<Duration> ReadSeconds(const Field& f, Errors& errors, bool allow_zero);
// A duration string ("500ms", "10s", "1m") greater than zero.
std::optional<Duration> ReadDuration(const Field& f, Errors& errors);
// The elements of a list, each with its path ("endpoints[2]").
std::optional<std::vector<Field>> ReadList(const Field& f, Errors& errors);
// A list of strings.
std::optional<std::vector<Field>> ReadStringList(const Field& f, Errors& errors);

// A file path: absolute, or relative to `base_dir`. With `must_be_readable`,
// a file that cannot be opened is reported ("cannot read …: No such file…").
std::optional<std::string> ReadPath(const Field& f, Errors& errors, const std::string& base_dir,
                                    bool must_be_readable);
// The whole content of `path`, or an error message naming the file.
std::optional<std::string> ReadWholeFile(const std::string& path, std::string* error);

}  // namespace registrar::config::internal
