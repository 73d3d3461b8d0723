// Parsed CA bundles, loaded once per file and shared by every TLS probe.
//
// libcurl would otherwise parse the CA bundle on every new TLS connection
// (its own cache is skipped when a CA path is configured, as in Debian's
// build, and holds a single file): ~100–200 ms of blocking work on the prober
// thread for the system bundle. Each Check hands the store for its CA file to
// OpenSSL through CURLOPT_SSL_CTX_FUNCTION instead. Prober thread only.
#pragma once

#include <map>
#include <string>

using X509_STORE = struct x509_store_st;

namespace registrar::probes {

class TrustStores final {
 public:
  TrustStores() = default;
  ~TrustStores();
  TrustStores(const TrustStores&) = delete;
  TrustStores& operator=(const TrustStores&) = delete;

  // The store for `ca_file` ("" = the system trust store), loaded on first
  // use; nullptr when the file cannot be loaded (curl then reports it).
  X509_STORE* Get(const std::string& ca_file);

 private:
  std::map<std::string, X509_STORE*> stores_;  // nullptr entries: failed loads
};

}  // namespace registrar::probes
