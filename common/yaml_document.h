// The one way the program reads a YAML text into a node tree.
//
// yaml-cpp 0.7's multi-document loop never ends on some invalid texts: a flow
// entry (",") where no node can start is not consumed, so every further call
// yields another empty document and YAML::LoadAll allocates until the process
// is killed (found by fuzz_config: ",", "[a]\n,", "&a ,", "---\n,"). A loader
// that must never hang on what an operator or a ConfigMap hands it uses
// ReadYamlDocument instead: it counts the documents with a parser whose
// progress is checked, refuses a text on which the parser stops advancing,
// and only then builds the first document's nodes.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

namespace registrar {

struct YamlError {
  YAML::Mark mark;
  std::string message;  // yaml-cpp's text, or "unexpected ','"
};

struct YamlDocument {
  YAML::Node root;                 // the first document; a null node for an empty text
  size_t documents = 0;            // how many documents the text holds
  YAML::Mark second;               // where the second one starts, when documents > 1
  std::optional<YamlError> error;  // the text is not YAML; root is then null
};

// Never throws; time and memory are linear in the text's size.
YamlDocument ReadYamlDocument(const std::string& text);

}  // namespace registrar
