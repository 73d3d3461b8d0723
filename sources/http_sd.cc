#include "sources/http_sd.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sources/target_groups.h"

namespace registrar::sources {
namespace {

// How often a running Fetch looks at cancelled() (and drives curl).
constexpr int kHttpSdPollMs = 50;
constexpr size_t kHttpSdMaxSecretBytes = 64 * 1024;
constexpr size_t kHttpSdMaxShown = 200;

struct HttpSdEasyFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct HttpSdMultiFree {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
struct HttpSdListFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct HttpSdUrlFree {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using HttpSdList = std::unique_ptr<curl_slist, HttpSdListFree>;

void HttpSdAppend(HttpSdList& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (next != nullptr) {
    (void)list.release();
    list.reset(next);
  }
}

bool HttpSdStartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

std::string_view HttpSdTrim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && std::strchr(" \t\r\n", s.back()) != nullptr) s.remove_suffix(1);
  return s;
}

// Text from the server for an error: cut, control characters replaced, user
// info of a URL left out.
std::string HttpSdShown(std::string_view s) {
  if (const size_t scheme = s.find("://"); scheme != std::string_view::npos) {
    const size_t host = scheme + 3;
    const size_t at = s.find('@', host);
    if (at != std::string_view::npos && at < s.find_first_of("/?#", host)) {
      return HttpSdShown(std::string(s.substr(0, host)) + std::string(s.substr(at + 1)));
    }
  }
  std::string out(s.substr(0, kHttpSdMaxShown));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return s.size() > kHttpSdMaxShown ? out + "…" : out;
}

// A secret from its file (at most 64 KiB, trailing line breaks dropped).
// Errors name the file, never its content.
std::optional<std::string> HttpSdReadSecret(const std::string& path, std::string* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && out.size() <= kHttpSdMaxSecretBytes) {
    out.append(buf, static_cast<size_t>(n));
  }
  const int err = errno;
  ::close(fd);
  if (n < 0) {
    *error = "cannot read " + path + ": " + std::strerror(err);
    return std::nullopt;
  }
  if (out.size() > kHttpSdMaxSecretBytes) {
    *error = path + " is larger than 64 KiB";
    return std::nullopt;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (out.find_first_of("\r\n") != std::string::npos) {
    *error = path + " holds more than one line";
    return std::nullopt;
  }
  return out;
}

// One exchange's state, filled by curl's callbacks.
struct HttpSdTransfer {
  int64_t limit = 0;
  std::string body;
  int status = 0;
  std::string content_type;
  std::string location;
  std::optional<int64_t> content_length;
  Answer verdict;  // a failure decided from the headers or the body's size

  static size_t OnHeader(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<HttpSdTransfer*>(self);
    const std::string_view line(data, size * n);
    if (line.substr(0, 5) == "HTTP/") {  // a status line: a new response starts
      *t = {.limit = t->limit};
      const size_t space = line.find(' ');
      if (space != std::string_view::npos) {
        t->status = std::atoi(std::string(line.substr(space + 1, 3)).c_str());
      }
    } else if (HttpSdStartsWithNoCase(line, "content-type:")) {
      t->content_type = HttpSdTrim(line.substr(13));
    } else if (HttpSdStartsWithNoCase(line, "location:")) {
      t->location = HttpSdTrim(line.substr(9));
    } else if (HttpSdStartsWithNoCase(line, "content-length:")) {
      const std::string v(HttpSdTrim(line.substr(15)));
      char* end = nullptr;
      const long long length = std::strtoll(v.c_str(), &end, 10);
      if (!v.empty() && *end == '\0' && length >= 0) t->content_length = length;
    } else if (HttpSdTrim(line).empty() && t->status >= 200) {
      return t->Judge() ? line.size() : 0;  // 0: curl stops before the body
    }
    return line.size();
  }

  static size_t OnBody(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<HttpSdTransfer*>(self);
    if (static_cast<int64_t>(t->body.size() + size * n) > t->limit) {
      t->verdict = {.failure = Failure::kTooLarge, .error = TooLarge(t->limit)};
      return 0;
    }
    t->body.append(data, size * n);
    return size * n;
  }

  static std::string TooLarge(int64_t limit) {
    return "the answer is larger than the limit of " + std::to_string(limit) + " bytes";
  }

  // At the end of the final response's headers: whether to read the body.
  bool Judge() {
    if (status != 200) {
      std::string error = "HTTP " + std::to_string(status);
      if (status >= 300 && status < 400 && !location.empty()) {
        error += " (redirect to " + HttpSdShown(location) + ", not followed)";
      }
      verdict = {.failure = Failure::kHttpStatus, .error = error};
      return false;
    }
    const std::string_view media =
        HttpSdTrim(std::string_view(content_type).substr(0, content_type.find(';')));
    if (media.size() != 16 || !HttpSdStartsWithNoCase(media, "application/json")) {
      verdict = {
          .failure = Failure::kInvalid,
          .error = "Content-Type \"" + HttpSdShown(content_type) + "\", expected application/json"};
      return false;
    }
    if (content_length && *content_length > limit) {
      verdict = {.failure = Failure::kTooLarge,
                 .error = "Content-Length " + std::to_string(*content_length) +
                          " is above the limit of " + std::to_string(limit) + " bytes"};
      return false;
    }
    return true;
  }
};

Failure HttpSdFailureOf(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Failure::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
      return Failure::kTls;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_WEIRD_SERVER_REPLY:
      return Failure::kInvalid;
    default:  // refused, unreachable, name not found, reset, closed early
      return Failure::kConnect;
  }
}

class HttpSdSource final : public Source {
 public:
  explicit HttpSdSource(const SourceSpec& spec) : spec_(spec) {
    curl_global_init(CURL_GLOBAL_DEFAULT);  // idempotent after the first call
  }

  Answer Fetch() override {
    Answer a = Exchange();
    for (const std::string& secret : secrets_) {  // never in an error, whatever curl says
      for (size_t at; !secret.empty() && (at = a.error.find(secret)) != std::string::npos;) {
        a.error.replace(at, secret.size(), "…");
      }
    }
    secrets_.clear();
    return a;
  }

 private:
  Answer Exchange() {
    if (cancelled()) return {.failure = Failure::kTimeout, .error = "cancelled"};
    const auto& http = spec_.http;
    // Everything curl points to outlives the easy handle (declared last).
    std::unique_ptr<CURLU, HttpSdUrlFree> url(curl_url());
    HttpSdList headers;
    HttpSdList connect_to;
    std::string password;
    HttpSdTransfer t{.limit = http.max_body_bytes};
    char curl_error[CURL_ERROR_SIZE] = "";
    if (!url || curl_url_set(url.get(), CURLUPART_URL, http.url.c_str(), 0) != CURLUE_OK) {
      return {.failure = Failure::kInvalid, .error = "malformed URL"};
    }
    for (CURLUPart part : {CURLUPART_USER, CURLUPART_PASSWORD}) {
      char* text = nullptr;
      if (curl_url_get(url.get(), part, &text, CURLU_URLDECODE) == CURLUE_OK) {
        secrets_.push_back(text);
      }
      curl_free(text);
    }
    HttpSdAppend(headers, "Accept: application/json");
    char interval[64];
    std::snprintf(interval, sizeof interval, "X-Prometheus-Refresh-Interval-Seconds: %g",
                  std::chrono::duration<double>(spec_.refresh_interval).count());
    HttpSdAppend(headers, interval);
    std::string error;
    if (!http.authorization_type.empty()) {
      std::optional<std::string> credentials =
          HttpSdReadSecret(http.authorization_credentials_file, &error);
      if (!credentials) {
        return {.failure = Failure::kIo, .error = "authorization credentials: " + error};
      }
      secrets_.push_back(*credentials);
      HttpSdAppend(headers, "Authorization: " + http.authorization_type + " " + *credentials);
    }
    if (!http.basic_auth_username.empty() && !http.basic_auth_password_file.empty()) {
      std::optional<std::string> p = HttpSdReadSecret(http.basic_auth_password_file, &error);
      if (!p) return {.failure = Failure::kIo, .error = "basic auth password: " + error};
      password = *std::move(p);
      secrets_.push_back(password);
    }
    if (!http.server_name.empty() && ServerName(url.get(), headers, connect_to) != CURLUE_OK) {
      return {.failure = Failure::kInvalid, .error = "malformed URL"};
    }
    std::unique_ptr<CURL, HttpSdEasyFree> easy(curl_easy_init());
    if (!easy) return {.failure = Failure::kIo, .error = "cannot start a transfer"};
    CURL* e = easy.get();
    const long timeout_ms = std::max<long>(
        1, static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(http.timeout).count()));
    curl_easy_setopt(e, CURLOPT_CURLU, url.get());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
    if (connect_to) curl_easy_setopt(e, CURLOPT_CONNECT_TO, connect_to.get());
    if (!http.basic_auth_username.empty()) {
      curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
      curl_easy_setopt(e, CURLOPT_USERNAME, http.basic_auth_username.c_str());
      curl_easy_setopt(e, CURLOPT_PASSWORD, password.c_str());
    }
    curl_easy_setopt(e, CURLOPT_USERAGENT, "etcd-registrar");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);  // a cancelled name lookup is not waited for
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    // The inventory itself, never a proxy named by the environment.
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &HttpSdTransfer::OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &HttpSdTransfer::OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    if (!http.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, http.ca_file.c_str());
    if (!http.cert_file.empty()) curl_easy_setopt(e, CURLOPT_SSLCERT, http.cert_file.c_str());
    if (!http.key_file.empty()) curl_easy_setopt(e, CURLOPT_SSLKEY, http.key_file.c_str());
    if (http.insecure_skip_verify) {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }

    bool was_cancelled = false;
    const CURLcode code = Perform(e, &was_cancelled);
    if (was_cancelled) return {.failure = Failure::kTimeout, .error = "cancelled"};
    if (!t.verdict.ok()) return t.verdict;
    if (code != CURLE_OK) {
      std::string what = curl_error[0] != '\0' ? curl_error : curl_easy_strerror(code);
      if (code == CURLE_OPERATION_TIMEDOUT) {
        what = "no answer within " + std::to_string(timeout_ms) + " ms (" + what + ")";
      }
      return {.failure = HttpSdFailureOf(code), .error = HttpSdShown(what)};
    }
    if (!t.Judge()) return t.verdict;  // e.g. a response without a header end
    auto parsed = ParseTargetGroups(t.body, GroupsFormat::kJson, spec_);
    if (!parsed.ok())
      return {.failure = Failure::kInvalid, .error = std::string(parsed.status().message())};
    return {.endpoints = *std::move(parsed)};
  }

  // Connects to the URL's host but names `server_name` in TLS (SNI and
  // verification), keeping the URL's host in the Host header.
  CURLUcode ServerName(CURLU* url, HttpSdList& headers, HttpSdList& connect_to) const {
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    char* explicit_port = nullptr;
    CURLUcode rc = curl_url_get(url, CURLUPART_SCHEME, &scheme, 0);
    if (rc == CURLUE_OK) rc = curl_url_get(url, CURLUPART_HOST, &host, 0);
    if (rc == CURLUE_OK) rc = curl_url_get(url, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    if (rc == CURLUE_OK && std::strcmp(scheme, "https") == 0) {
      const bool has_port = curl_url_get(url, CURLUPART_PORT, &explicit_port, 0) == CURLUE_OK;
      HttpSdAppend(headers, std::string("Host: ") + host +
                                (has_port ? std::string(":") + explicit_port : ""));
      HttpSdAppend(connect_to, spec_.http.server_name + ":" + port + ":" + host + ":" + port);
      rc = curl_url_set(url, CURLUPART_HOST, spec_.http.server_name.c_str(), 0);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(explicit_port);
    return rc;
  }

  // Runs the transfer, looking at cancelled() every kHttpSdPollMs.
  CURLcode Perform(CURL* easy, bool* was_cancelled) {
    std::unique_ptr<CURLM, HttpSdMultiFree> multi(curl_multi_init());
    if (!multi || curl_multi_add_handle(multi.get(), easy) != CURLM_OK) return CURLE_OUT_OF_MEMORY;
    CURLcode result = CURLE_OK;
    int running = 1;
    while (true) {
      if (curl_multi_perform(multi.get(), &running) != CURLM_OK) {
        result = CURLE_OUT_OF_MEMORY;
        break;
      }
      if (running == 0) {
        int left = 0;
        while (CURLMsg* m = curl_multi_info_read(multi.get(), &left)) {
          if (m->msg == CURLMSG_DONE) result = m->data.result;
        }
        break;
      }
      if (cancelled()) {
        *was_cancelled = true;
        break;
      }
      curl_multi_poll(multi.get(), nullptr, 0, kHttpSdPollMs, nullptr);
    }
    curl_multi_remove_handle(multi.get(), easy);
    return result;
  }

  const SourceSpec spec_;
  std::vector<std::string> secrets_;  // of the running Fetch: scrubbed from its error
};

}  // namespace

std::unique_ptr<Source> MakeHttpSdSource(const SourceSpec& spec) {
  return std::make_unique<HttpSdSource>(spec);
}

}  // namespace registrar::sources
