#include "probes/transports/certificate.h"

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

namespace registrar::probes {
namespace {

// "2d 3h", "5h 10m", "45m", "30s": how long people say a certificate has left.
std::string FormatRemaining(Duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 0) return "-" + FormatRemaining(-d);
  int64_t days = s / 86400, hours = s % 86400 / 3600, minutes = s % 3600 / 60;
  if (days > 0) return std::to_string(days) + "d " + std::to_string(hours) + "h";
  if (hours > 0) return std::to_string(hours) + "h " + std::to_string(minutes) + "m";
  if (minutes > 0) return std::to_string(minutes) + "m";
  return std::to_string(s) + "s";
}

std::string FormatHours(Duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace

std::optional<WallTime> NotAfter(const X509* cert) {
  if (cert == nullptr) return std::nullopt;
  const ASN1_TIME* t = X509_get0_notAfter(cert);
  tm parts{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &parts) != 1) return std::nullopt;
  time_t secs = timegm(&parts);
  return std::chrono::system_clock::from_time_t(secs);
}

std::optional<WallTime> NotAfterOfPem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return std::nullopt;
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  return NotAfter(cert.get());
}

std::optional<std::string> ValidityFailure(WallTime not_after, WallTime now,
                                           Duration min_validity) {
  if (min_validity <= Duration::zero()) return std::nullopt;
  Duration left = not_after - now;
  if (left >= min_validity) return std::nullopt;
  std::string when = left <= Duration::zero() ? "expired " + FormatRemaining(-left) + " ago"
                                              : "expires in " + FormatRemaining(left);
  return "TLS: certificate " + when + " (at " + FormatUtc(not_after) +
         "), less than minCertValidity " + FormatHours(min_validity);
}

void ApplyCertValidity(Verdict& verdict, std::optional<WallTime> not_after, WallTime now,
                       Duration min_validity) {
  verdict.cert_not_after = not_after;
  if (!verdict.ok || !not_after) return;
  if (auto failure = ValidityFailure(*not_after, now, min_validity)) {
    verdict.ok = false;
    verdict.reason = std::move(*failure);
    verdict.failure = FailureClass::kTls;
  }
}

std::string FormatUtc(WallTime t) {
  time_t secs = std::chrono::system_clock::to_time_t(t);
  tm parts{};
  gmtime_r(&secs, &parts);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buf;
}

}  // namespace registrar::probes
