#include "common/yaml_document.h"

#include <yaml-cpp/eventhandler.h>

#include <sstream>

namespace registrar {
namespace {

// Notes where a document starts; ignores everything else.
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark start;
};

// Counts the documents. Every document consumes at least its first token, so
// two documents starting at the same place mean the parser is stuck there.
std::optional<YamlError> CountDocuments(const std::string& text, YamlDocument* out) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  int last_start = -1;
  for (;;) {
    DocumentStarts starts;
    if (!parser.HandleNextDocument(starts)) return std::nullopt;
    if (starts.start.pos == last_start) {
      const size_t at = static_cast<size_t>(starts.start.pos);
      const std::string token = at < text.size() ? std::string(1, text[at]) : "end of text";
      return YamlError{starts.start, "unexpected '" + token + "'"};
    }
    last_start = starts.start.pos;
    if (++out->documents == 2) out->second = starts.start;
  }
}

}  // namespace

YamlDocument ReadYamlDocument(const std::string& text) {
  YamlDocument out;
  try {
    out.error = CountDocuments(text, &out);
    if (!out.error && out.documents > 0) out.root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    out.error = YamlError{e.mark, e.msg};  // root is only set by a Load that returned
  }
  return out;
}

}  // namespace registrar
