#include "probes/transports/trust_stores.h"

#include <openssl/x509_vfy.h>

namespace registrar::probes {

TrustStores::~TrustStores() {
  for (auto& [file, store] : stores_) X509_STORE_free(store);
}

X509_STORE* TrustStores::Get(const std::string& ca_file) {
  auto it = stores_.find(ca_file);
  if (it != stores_.end()) return it->second;
  X509_STORE* store = X509_STORE_new();
  bool ok =
      store != nullptr && (ca_file.empty() ? X509_STORE_set_default_paths(store) == 1
                                           : X509_STORE_load_file(store, ca_file.c_str()) == 1);
  if (!ok) {
    X509_STORE_free(store);
    store = nullptr;
  }
  stores_.emplace(ca_file, store);
  return store;
}

}  // namespace registrar::probes
