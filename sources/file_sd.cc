#include "sources/file_sd.h"

// Placeholder until the file_sd implementation lands (same change series).
namespace registrar::sources {
namespace {
class Unbuilt_file_sd final : public Source {
 public:
  Answer Fetch() override { return {.failure = Failure::kInvalid, .error = "file_sd: not built"}; }
};
}  // namespace

std::unique_ptr<Source> MakeFileSdSource(const SourceSpec& /*spec*/) {
  return std::make_unique<Unbuilt_file_sd>();
}

}  // namespace registrar::sources
