#include "controller/ownership.h"

namespace registrar::controller {
namespace {

// FNV-1a over the bytes, then SplitMix64's finalizer so that ids differing in
// one character still get unrelated weights.
uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

uint64_t RendezvousWeight(std::string_view member_id, std::string_view target_id) {
  uint64_t h = Fnv1a(0xcbf29ce484222325ULL, member_id);
  h = Fnv1a(h ^ 0xff, target_id);  // separator: ("ab","c") and ("a","bc") differ
  return Mix(h);
}

std::string OwnerOf(std::string_view target_id, const std::vector<std::string>& members) {
  const std::string* best = nullptr;
  uint64_t best_weight = 0;
  for (const auto& m : members) {
    const uint64_t w = RendezvousWeight(m, target_id);
    if (best == nullptr || w > best_weight || (w == best_weight && m < *best)) {
      best = &m;
      best_weight = w;
    }
  }
  return best ? *best : std::string();
}

}  // namespace registrar::controller
