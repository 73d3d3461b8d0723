#include "sources/dns_sd.h"

// Placeholder until the dns_sd implementation lands (same change series).
namespace registrar::sources {
namespace {
class Unbuilt_dns_sd final : public Source {
 public:
  Answer Fetch() override { return {.failure = Failure::kInvalid, .error = "dns_sd: not built"}; }
};
}  // namespace

std::unique_ptr<Source> MakeDnsSdSource(const SourceSpec& /*spec*/) {
  return std::make_unique<Unbuilt_dns_sd>();
}

}  // namespace registrar::sources
