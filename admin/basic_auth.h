// HTTP Basic authentication against bcrypt hashes (libcrypt's crypt_r), as
// exporter-toolkit does it: a verified (user, password) is cached for a
// while so that a scrape every 15 s does not cost a bcrypt each time; the
// cache key is a SHA-256 of the password, never the password, and hashes are
// compared in constant time. Unknown users cost a bcrypt too (no timing
// oracle for user names).
//
// Thread-safety: Check() may be called concurrently.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace registrar::admin {

class BasicAuth {
 public:
  enum class Result { kOk, kMissing, kWrong };

  // `users`: name → bcrypt hash. `clock` must outlive this (null: RealClock()).
  BasicAuth(std::map<std::string, std::string> users, Clock* clock);

  // `authorization`: the Authorization header value (may be empty). On kOk,
  // *user is the user name.
  Result Check(const std::string& authorization, std::string* user) const;

  static constexpr Duration kCacheFor = std::chrono::minutes(1);
  static constexpr size_t kCacheEntries = 256;

 private:
  const std::map<std::string, std::string> users_;
  Clock& clock_;
  mutable std::mutex mu_;
  mutable std::map<std::string, MonoTime> verified_;  // user \0 sha256(pw) → until; guarded by mu_
};

}  // namespace registrar::admin
