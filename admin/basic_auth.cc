#include "admin/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace registrar::admin {
namespace {

// A valid hash of a password nobody knows, to spend the same time on
// unknown users.
constexpr char kDummyHash[] = "$2b$10$abcdefghijklmnopqrstuu8WEkc74V2NjkZ7iDrzlsR7Ge.WGRE2.";

bool BcryptMatches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  data->initialized = 0;
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  if (out == nullptr || out[0] == '*') return false;
  const std::string computed(out);
  return computed.size() == hash.size() &&
         CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

}  // namespace

BasicAuth::BasicAuth(std::map<std::string, std::string> users, Clock* clock)
    : users_(std::move(users)), clock_(clock != nullptr ? *clock : RealClock()) {}

BasicAuth::Result BasicAuth::Check(const std::string& authorization, std::string* user) const {
  if (authorization.size() < 6 || !absl::EqualsIgnoreCase(authorization.substr(0, 6), "Basic ")) {
    return Result::kMissing;
  }
  std::string decoded;
  if (authorization.size() > 4096 ||
      !absl::Base64Unescape(absl::StripAsciiWhitespace(authorization.substr(6)), &decoded)) {
    return Result::kWrong;
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return Result::kWrong;
  const std::string name = decoded.substr(0, colon);
  const std::string password = decoded.substr(colon + 1);

  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(password.data()), password.size(), digest);
  const std::string cache_key =
      name + '\0' + std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
  const MonoTime now = clock_.Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = verified_.find(cache_key);
    if (it != verified_.end() && it->second > now) {
      *user = name;
      return Result::kOk;
    }
  }
  auto known = users_.find(name);
  const bool ok = BcryptMatches(password, known != users_.end() ? known->second : kDummyHash) &&
                  known != users_.end();
  if (!ok) return Result::kWrong;
  std::lock_guard<std::mutex> lock(mu_);
  if (verified_.size() >= kCacheEntries) {
    for (auto it = verified_.begin(); it != verified_.end();) {
      it = it->second <= now ? verified_.erase(it) : std::next(it);
    }
    if (verified_.size() >= kCacheEntries) verified_.clear();
  }
  verified_[cache_key] =
      now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(kCacheFor);
  *user = name;
  return Result::kOk;
}

}  // namespace registrar::admin
