#include "bench/probes/tls_crypto.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "probes/spec.h"
#include "probes/transports/tls_connection.h"
#include "probes/transports/trust_stores.h"

namespace registrar::bench {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One client/server handshake over a fresh BIO pair, the client offering
// `*session` (replaced by the newest ticket). Returns whether it resumed;
// `*client_cpu` grows by the client's share.
bool Handshake(SSL_CTX* client_ctx, SSL_CTX* server_ctx, SSL_SESSION** session, clockid_t clock,
               double* client_cpu) {
  auto timed = [&](auto&& f) {
    double t0 = ThreadCpuSeconds(clock);
    auto r = f();
    *client_cpu += ThreadCpuSeconds(clock) - t0;
    return r;
  };
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL* server = SSL_new(server_ctx);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_accept_state(server);
  SSL* client = timed([&] {
    SSL* c = SSL_new(client_ctx);
    SSL_set_bio(c, client_bio, client_bio);
    SSL_set_connect_state(c);
    SSL_set_tlsext_host_name(c, "localhost");
    SSL_set_verify(c, SSL_VERIFY_PEER, nullptr);
    SSL_set1_host(c, "localhost");
    if (*session != nullptr) SSL_set_session(c, *session);
    return c;
  });
  bool client_done = false;
  bool server_done = false;
  for (int i = 0; i < 20 && !(client_done && server_done); ++i) {
    if (!client_done) client_done = timed([&] { return SSL_do_handshake(client); }) == 1;
    if (!server_done) server_done = SSL_do_handshake(server) == 1;
  }
  // The server's tickets and one byte of "response", read as the prober reads.
  SSL_write(server, "x", 1);
  char byte = 0;
  timed([&] { return SSL_read(client, &byte, 1); });
  bool resumed = SSL_session_reused(client) == 1;
  timed([&] {
    if (*session != nullptr) SSL_SESSION_free(*session);
    *session = SSL_get1_session(client);
    SSL_set_quiet_shutdown(client, 1);  // as TlsConnection::End: keeps it resumable
    SSL_shutdown(client);
    SSL_free(client);
    return 0;
  });
  SSL_set_quiet_shutdown(server, 1);
  SSL_shutdown(server);
  SSL_free(server);
  ERR_clear_error();
  return resumed;
}

}  // namespace

TlsCrypto RunTlsCrypto(const std::string& cert_file, const std::string& key_file, double warmup_s,
                       double measure_s, double rate) {
  TlsCrypto out;
  probes::TrustStores trust;
  probes::TlsContexts contexts(trust);
  probes::TlsOptions options;
  options.ca_file = cert_file;
  auto client_ctx = contexts.Get(options);
  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  if (!client_ctx.ok() || SSL_CTX_use_certificate_chain_file(server_ctx, cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(server_ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    SSL_CTX_free(server_ctx);
    return out;
  }
  clockid_t clock{};
  pthread_getcpuclockid(pthread_self(), &clock);
  SSL_SESSION* session = nullptr;
  double ignored = 0;
  for (double end = Now() + warmup_s; Now() < end;) {
    Handshake(*client_ctx, server_ctx, &session, clock, &ignored);
  }
  double client_cpu = 0;
  int64_t resumed = 0;
  double cpu0 = ThreadCpuSeconds(clock);
  double t0 = Now();
  // Paced at `rate` like the probes it is compared with: a thread running
  // flat out on a shared VM is charged more CPU per operation than one
  // that sleeps between them (SMT siblings, caches, frequency).
  auto start = std::chrono::steady_clock::now();
  auto gap = std::chrono::duration<double>(1.0 / rate);
  while (Now() < t0 + measure_s) {
    resumed += Handshake(*client_ctx, server_ctx, &session, clock, &client_cpu) ? 1 : 0;
    ++out.client.probes;
    std::this_thread::sleep_until(start +
                                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      gap * static_cast<double>(out.client.probes)));
  }
  double both = ThreadCpuSeconds(clock) - cpu0;
  out.client.seconds = Now() - t0;
  out.client.cpu_seconds = client_cpu;
  out.client.rss_mb = RssMb();
  if (out.client.probes > 0) {
    out.both_us = both * 1e6 / static_cast<double>(out.client.probes);
    out.resumed_share = static_cast<double>(resumed) / static_cast<double>(out.client.probes);
  }
  if (session != nullptr) SSL_SESSION_free(session);
  SSL_CTX_free(server_ctx);
  return out;
}

double X25519OpMicros() {
  // Its last line: "253 bits ecdh (X25519)   0.0001s  16430.3" (ops per CPU second).
  FILE* out = popen("openssl speed -seconds 2 ecdhx25519 2>/dev/null", "r");
  if (out == nullptr) return 0;
  char line[256];
  double ops = 0;
  while (std::fgets(line, sizeof(line), out) != nullptr) {
    const char* at = std::strstr(line, "(X25519)");
    double seconds = 0;
    if (at != nullptr) std::sscanf(at + 8, " %lfs %lf", &seconds, &ops);
  }
  pclose(out);
  return ops > 0 ? 1e6 / ops : 0;
}

}  // namespace registrar::bench
