#include "sources/http_sd.h"

// Placeholder until the http_sd implementation lands (same change series).
namespace registrar::sources {
namespace {
class Unbuilt_http_sd final : public Source {
 public:
  Answer Fetch() override { return {.failure = Failure::kInvalid, .error = "http_sd: not built"}; }
};
}  // namespace

std::unique_ptr<Source> MakeHttpSdSource(const SourceSpec& /*spec*/) {
  return std::make_unique<Unbuilt_http_sd>();
}

}  // namespace registrar::sources
