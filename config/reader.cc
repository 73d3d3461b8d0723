#include "config/reader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/utf8.h"
#include "config/config.h"
#include "config/values.h"

namespace registrar::config::internal {
namespace {

bool IsAbsent(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

}  // namespace

void Errors::Attribute(std::string path, std::string source) {
  sources_.emplace_back(std::move(path), std::move(source));
}

const std::string* Errors::SourceOf(const std::string& path) const {
  for (const auto& [at, source] : sources_) {
    const bool inside = path.size() > at.size() && path.compare(0, at.size(), at) == 0 &&
                        (path[at.size()] == '.' || path[at.size()] == '[');
    if (path == at || inside) return &source;
  }
  return nullptr;
}

void Errors::Add(const YAML::Mark& mark, std::string path, std::string message) {
  if (const std::string* source = SourceOf(path)) {
    AddAt("", 0, 0, *source, std::move(message));
    return;
  }
  int line = mark.is_null() ? 0 : mark.line + 1;
  int column = mark.is_null() ? 0 : mark.column + 1;
  AddAt(file_, line, column, std::move(path), std::move(message));
}

void Errors::AddAt(std::string file, int line, int column, std::string path, std::string message) {
  errors_.push_back(
      ConfigError{std::move(file), line, column, std::move(path), std::move(message)});
}

void Errors::Warn(const YAML::Mark& mark, std::string path, std::string message) {
  int line = mark.is_null() ? 0 : mark.line + 1;
  int column = mark.is_null() ? 0 : mark.column + 1;
  warnings_.push_back(ConfigError{file_, line, column, std::move(path), std::move(message)});
}

std::string Quote(std::string_view text) {
  size_t full_size = text.size();
  if (full_size > kMaxQuotedBytes) {
    text = text.substr(0, CharacterBoundary(text, kMaxQuotedBytes));
  }
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  if (full_size > text.size()) {
    return out + "…\" (" + std::to_string(full_size) + " bytes)";
  }
  return out + "\"";
}

std::string ShortKey(std::string_view key) {
  if (key.size() <= kMaxQuotedBytes) return std::string(key);
  return std::string(key.substr(0, CharacterBoundary(key, kMaxQuotedBytes))) + "…";
}

std::string Describe(const YAML::Node& node) {
  if (IsAbsent(node)) return "null";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return Quote(node.Scalar());
}

namespace {

// Depth-first, aliases followed at each use; `path` is the key path so far.
class SizeWalker {
 public:
  SizeWalker(Errors& errors, size_t budget) : errors_(errors), budget_(budget) {}

  bool Walk(const YAML::Node& node, const std::string& path, int depth) {
    if (depth > kMaxDepth) {
      errors_.Add(node.Mark(), path.empty() ? "(top level)" : path,
                  "nested deeper than " + std::to_string(kMaxDepth) + " levels");
      return false;
    }
    if (!Count(node, kNodeCost + (node.IsScalar() ? node.Scalar().size() : 0), path)) return false;
    if (node.IsScalar() && !IsText(node, path)) return false;
    if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) {
        if (!Walk(node[i], path + "[" + std::to_string(i) + "]", depth + 1)) return false;
      }
    } else if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (it->first.IsScalar() && !IsText(it->first, path)) return false;
        std::string key = it->first.IsScalar() ? ShortKey(it->first.Scalar()) : "?";
        std::string child = path.empty() ? key : path + "." + key;
        if (!Walk(it->first, child, depth + 1) || !Walk(it->second, child, depth + 1)) {
          return false;
        }
      }
    }
    return true;
  }

 private:
  // JSON writers (etcd values, logs, the status API) take UTF-8 only, and
  // YAML is Unicode text: other bytes are refused here, before any use.
  bool IsText(const YAML::Node& scalar, const std::string& path) {
    const size_t bad = FirstInvalidUtf8(scalar.Scalar());
    if (bad == std::string_view::npos) return true;
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(scalar.Scalar()[bad]));
    errors_.Add(scalar.Mark(), path.empty() ? "(top level)" : path,
                std::string("expected UTF-8 text, got byte ") + byte + " at offset " +
                    std::to_string(bad) + " of a " + std::to_string(scalar.Scalar().size()) +
                    "-byte string");
    return false;
  }

  bool Count(const YAML::Node& node, size_t bytes, const std::string& path) {
    used_ += bytes;
    if (used_ <= budget_) return true;
    errors_.Add(node.Mark(), path.empty() ? "(top level)" : path,
                "the config expands to more than " + std::to_string(budget_ >> 20) +
                    " MiB (YAML aliases repeat their value at every use); stopped here");
    return false;
  }

  Errors& errors_;
  size_t budget_;
  size_t used_ = 0;
};

}  // namespace

bool CheckExpandedSize(const YAML::Node& root, Errors& errors, size_t budget) {
  return SizeWalker(errors, budget).Walk(root, "", 0);
}

MapReader::MapReader(const Field& field, Errors& errors, std::vector<std::string_view> known)
    : errors_(errors), path_(field.path), mark_(field.mark) {
  if (IsAbsent(field.node)) {
    valid_ = true;  // `key:` with nothing after it: an empty mapping
    return;
  }
  if (!field.node.IsMap()) {
    errors_.Add(mark_, path_.empty() ? "(top level)" : path_,
                "expected a mapping, got " + Describe(field.node));
    return;
  }
  valid_ = true;
  for (auto it = field.node.begin(); it != field.node.end(); ++it) {
    // A copy (a Node is a handle): `it->` is a temporary proxy, and a
    // reference to its `first` dangles after this line (ASan, fuzz_config).
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      errors_.Add(key.Mark(), path_, "expected a string key, got " + Describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    if (Find(name) != nullptr) {
      errors_.Add(key.Mark(), PathOf(ShortKey(name)), "duplicate key");
      continue;
    }
    bool is_known = false;
    for (std::string_view k : known) is_known = is_known || k == name;
    if (!is_known) {
      std::string message = "unknown key";
      const std::string best = ClosestName(name, known);
      if (!best.empty()) {
        message += "; did you mean \"" + best + "\"?";
      } else {
        message += "; expected one of: ";
        for (size_t i = 0; i < known.size(); ++i) {
          message += (i ? ", " : "") + std::string(known[i]);
        }
      }
      errors_.Add(key.Mark(), PathOf(ShortKey(name)), std::move(message));
      continue;
    }
    entries_.push_back(Entry{name, key.Mark(), it->second});
  }
}

const MapReader::Entry* MapReader::Find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::optional<Field> MapReader::Get(std::string_view key) const {
  const Entry* e = Find(key);
  if (e == nullptr) return std::nullopt;
  // A null value has no useful mark of its own: point at the key.
  YAML::Mark mark = IsAbsent(e->value) ? e->key_mark : e->value.Mark();
  if (mark.is_null()) mark = e->key_mark;
  return Field{e->value, mark, PathOf(key)};
}

std::string MapReader::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void MapReader::Missing(std::string_view key, std::string_view hint) const {
  std::string message = "missing required field";
  if (!hint.empty()) message += "; " + std::string(hint);
  errors_.Add(mark_, PathOf(key), std::move(message));
}

std::optional<std::string> ReadString(const Field& f, Errors& errors) {
  if (IsAbsent(f.node) || !f.node.IsScalar()) {
    errors.Add(f.mark, f.path, "expected a string, got " + Describe(f.node));
    return std::nullopt;
  }
  return f.node.Scalar();
}

std::optional<int64_t> ReadInt(const Field& f, Errors& errors, int64_t min, int64_t max,
                               std::string_view expected) {
  std::optional<int64_t> value;
  if (!IsAbsent(f.node) && f.node.IsScalar()) value = ParseInt(f.node.Scalar());
  if (!value || *value < min || *value > max) {
    errors.Add(f.mark, f.path, "expected " + std::string(expected) + ", got " + Describe(f.node));
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> ReadInt(const Field& f, Errors& errors, const Key& key,
                               std::string_view expected) {
  return ReadInt(f, errors, key.min, key.max, expected);
}

std::optional<std::string> ReadChoice(const Field& f, Errors& errors, const Key& key) {
  std::optional<std::string> v = ReadString(f, errors);
  if (!v) return std::nullopt;
  for (std::string_view choice : Choices(key)) {
    if (*v == choice) return v;
  }
  errors.Add(f.mark, f.path, "expected " + ChoicesText(key) + ", got " + Quote(*v));
  return std::nullopt;
}

std::optional<bool> ReadBool(const Field& f, Errors& errors) {
  if (!IsAbsent(f.node) && f.node.IsScalar()) {
    const std::string& s = f.node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  errors.Add(f.mark, f.path, "expected true or false, got " + Describe(f.node));
  return std::nullopt;
}

std::optional<Duration> ReadSeconds(const Field& f, Errors& errors, bool allow_zero) {
  std::optional<double> value;
  if (!IsAbsent(f.node) && f.node.IsScalar()) value = ParseDecimal(f.node.Scalar());
  if (!value || *value < 0 || (*value == 0 && !allow_zero) || *value > 1e9) {
    errors.Add(f.mark, f.path,
               std::string("expected a number of seconds ") +
                   (allow_zero ? ">= 0" : "greater than 0") + ", got " + Describe(f.node));
    return std::nullopt;
  }
  return FromSeconds(*value);
}

std::optional<Duration> ReadDuration(const Field& f, Errors& errors) {
  std::optional<Duration> value;
  if (!IsAbsent(f.node) && f.node.IsScalar()) value = ParseDuration(f.node.Scalar());
  if (!value) {
    errors.Add(f.mark, f.path,
               "expected a duration like 500ms, 10s or 1m, got " + Describe(f.node));
    return std::nullopt;
  }
  if (*value <= Duration::zero()) {
    errors.Add(f.mark, f.path, "expected a duration greater than 0, got " + Describe(f.node));
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<Field>> ReadList(const Field& f, Errors& errors) {
  if (IsAbsent(f.node) || !f.node.IsSequence()) {
    errors.Add(f.mark, f.path, "expected a list, got " + Describe(f.node));
    return std::nullopt;
  }
  std::vector<Field> items;
  for (size_t i = 0; i < f.node.size(); ++i) {
    YAML::Node item = f.node[i];
    YAML::Mark mark = item.Mark().is_null() ? f.mark : item.Mark();
    items.push_back(Field{item, mark, f.path + "[" + std::to_string(i) + "]"});
  }
  return items;
}

std::optional<std::vector<Field>> ReadStringList(const Field& f, Errors& errors) {
  auto items = ReadList(f, errors);
  if (!items) return std::nullopt;
  bool ok = true;
  for (const Field& item : *items) ok = ReadString(item, errors).has_value() && ok;
  if (!ok) return std::nullopt;
  return items;
}

std::optional<std::string> ReadWholeFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + Quote(path) + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    *error = "cannot read " + Quote(path) + ": " + std::strerror(errno);
    return std::nullopt;
  }
  return content.str();
}

std::optional<std::string> ReadPath(const Field& f, Errors& errors, const std::string& base_dir,
                                    bool must_be_readable) {
  std::optional<std::string> text = ReadString(f, errors);
  if (!text) return std::nullopt;
  if (text->empty()) {
    errors.Add(f.mark, f.path, "expected a file path, got \"\"");
    return std::nullopt;
  }
  std::string path = (*text)[0] == '/' || base_dir.empty() ? *text : base_dir + "/" + *text;
  if (must_be_readable) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      errors.Add(f.mark, f.path, "cannot read " + Quote(path) + ": " + std::strerror(errno));
      return std::nullopt;
    }
  }
  return path;
}

}  // namespace registrar::config::internal
