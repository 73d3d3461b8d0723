// How the Prober's HTTP client treats connections and framing that real
// servers use: idle connections closed by the server, "Connection: close",
// chunked bodies, HEAD. Both probe paths, real local servers.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "tests/probes/prober_fixture.h"
#include "tests/probes/raw_server.h"
#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

using registrar::testing::WaitFor;
using std::chrono::milliseconds;
using testing::RawServer;

class ConnectionTest : public ProberTest {
 protected:
  void ExpectAllOk(const Target& t, size_t count) {
    ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(t.Id()) >= count; }));
    for (const auto& e : observer_.Results(t.Id())) EXPECT_TRUE(e.result.ok) << e.result.reason;
  }
};

// A server that answers the first request of each connection, then reads the
// next one and closes without answering: what a server's idle timeout looks
// like when it fires just as the next probe is sent.
TEST_P(ConnectionTest, AKeptAliveConnectionClosedUnderTheRequestIsRetriedFresh) {
  RawServer server([](int fd, const std::atomic<bool>& stopping) {
    if (!RawServer::ReadRequestHead(fd, stopping)) return;
    if (!RawServer::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) return;
    RawServer::ReadRequestHead(fd, stopping);  // then close, unanswered
  });
  Target t = HttpTarget("idle-timeout", server.port());
  t.probe.period = milliseconds(20);
  Start({t});
  ExpectAllOk(t, 10);
  EXPECT_GE(server.accepted(), 10);  // each probe after the first needed a retry
}

TEST_P(ConnectionTest, ConnectionCloseOnEveryResponseIsFine) {
  RawServer server([](int fd, const std::atomic<bool>& stopping) {
    if (RawServer::ReadRequestHead(fd, stopping)) {
      RawServer::WriteAll(fd,
                          "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  Target t = HttpTarget("close", server.port());
  t.probe.period = milliseconds(20);
  Start({t});
  ExpectAllOk(t, 10);
}

// Bytes after a response's end (here a body longer than its Content-Length)
// would be read as the start of the next response: the connection is dropped.
TEST_P(ConnectionTest, BytesBeyondTheResponseEndRetireTheConnection) {
  RawServer server([](int fd, const std::atomic<bool>& stopping) {
    while (RawServer::ReadRequestHead(fd, stopping)) {
      if (!RawServer::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokJUNK")) return;
    }
  });
  Target t = HttpTarget("excess", server.port());
  t.probe.period = milliseconds(20);
  Start({t});
  ExpectAllOk(t, 5);
  EXPECT_GE(server.accepted(), 5);
}

TEST_P(ConnectionTest, ChunkedBodiesAreDecodedForTheBodyRegex) {
  RawServer server([](int fd, const std::atomic<bool>& stopping) {
    while (RawServer::ReadRequestHead(fd, stopping)) {
      // "status": "ok" split across chunks, with an extension and a trailer.
      if (!RawServer::WriteAll(fd,
                               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "9;x=y\r\n{\"status\"\r\n7\r\n: \"ok\"}\r\n0\r\nX-T: 1\r\n\r\n")) {
        return;
      }
    }
  });
  Target t = HttpTarget("chunked", server.port());
  t.probe.period = milliseconds(20);
  t.probe.http_get.body_regex = "\"status\": \"ok\"";
  Start({t});
  ExpectAllOk(t, 5);
  EXPECT_EQ(server.accepted(), 1);  // the chunked framing left the connection reusable
}

TEST_P(ConnectionTest, HeadProbesExpectNoBody) {
  RawServer server([](int fd, const std::atomic<bool>& stopping) {
    std::string head;
    while (RawServer::ReadRequestHead(fd, stopping, &head)) {
      if (head.rfind("HEAD ", 0) != 0) return;  // only HEAD is answered
      if (!RawServer::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")) return;
    }
  });
  Target t = HttpTarget("head", server.port());
  t.probe.period = milliseconds(20);
  t.probe.http_get.method = "HEAD";
  Start({t});
  ExpectAllOk(t, 5);
  for (const auto& e : observer_.Results(t.Id())) EXPECT_LT(e.result.latency, milliseconds(400));
}

TEST_P(ConnectionTest, ProxySettingsInTheEnvironmentAreIgnored) {
  RawServer server(testing::KeepAliveOk());
  std::string dead_proxy = "http://127.0.0.1:" + std::to_string(registrar::testing::FreePort());
  for (const char* name : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
    setenv(name, dead_proxy.c_str(), 1);
  }
  Target by_address = HttpTarget("address", server.port());
  Target by_name = HttpTarget("name", server.port());
  by_name.host = "localhost";  // names always take the libcurl path
  Start({by_address, by_name});
  ExpectAllOk(by_address, 3);
  ExpectAllOk(by_name, 3);
  for (const char* name : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) unsetenv(name);
}

INSTANTIATE_TEST_SUITE_P(BothPaths, ConnectionTest, ::testing::Values(true, false), PathName);

}  // namespace
}  // namespace registrar::probes
