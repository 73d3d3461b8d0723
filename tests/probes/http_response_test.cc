#include "probes/transports/http_response.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace registrar::probes {
namespace {

using State = ResponseReader::State;

constexpr int64_t kBig = 1 << 20;

ResponseReader Reader(int64_t max_body = kBig, bool keep_body = true, bool head = false) {
  ResponseReader r;
  r.Reset(head, max_body, keep_body);
  return r;
}

// A chunked response with chunk extensions and trailers; its body is "hello world!".
constexpr std::string_view kChunked =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;name=value\r\nhello\r\n6 ; ext\r\n world\r\n1\r\n!\r\n"
    "0\r\nX-Trailer: a\r\nX-Other: b\r\n\r\n";

TEST(ResponseReaderTest, ContentLengthBodyCompletesReusableAndKeptOnlyWhenAsked) {
  const std::string_view resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  ResponseReader kept = Reader(kBig, /*keep_body=*/true);
  EXPECT_EQ(kept.Feed(resp), State::kDone);
  EXPECT_EQ(kept.status(), 200);
  EXPECT_TRUE(kept.reusable());
  EXPECT_FALSE(kept.truncated());
  EXPECT_EQ(kept.body(), "hello");
  EXPECT_EQ(kept.body_bytes(), 5);

  ResponseReader counted = Reader(kBig, /*keep_body=*/false);
  EXPECT_EQ(counted.Feed(resp), State::kDone);
  EXPECT_TRUE(counted.reusable());
  EXPECT_EQ(counted.body(), "");
  EXPECT_EQ(counted.body_bytes(), 5);
}

TEST(ResponseReaderTest, ChunkedBodyIsTheConcatenatedChunks) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed(kChunked), State::kDone);
  EXPECT_EQ(r.body(), "hello world!");
  EXPECT_EQ(r.body_bytes(), 12);
  EXPECT_TRUE(r.reusable());
}

TEST(ResponseReaderTest, OneByteAtATimeMatchesFeedingAtOnce) {
  ResponseReader r = Reader();
  for (size_t i = 0; i + 1 < kChunked.size(); ++i) {
    ASSERT_EQ(r.Feed(kChunked.substr(i, 1)), State::kMore) << "byte " << i;
  }
  EXPECT_EQ(r.Feed(kChunked.substr(kChunked.size() - 1)), State::kDone);
  EXPECT_EQ(r.body(), "hello world!");
  EXPECT_TRUE(r.reusable());
}

TEST(ResponseReaderTest, AnySplitPointMatchesFeedingAtOnce) {
  for (size_t split = 0; split <= kChunked.size(); ++split) {
    ResponseReader r = Reader();
    r.Feed(kChunked.substr(0, split));
    EXPECT_EQ(r.Feed(kChunked.substr(split)), State::kDone) << "split " << split;
    EXPECT_EQ(r.body(), "hello world!") << "split " << split;
    EXPECT_TRUE(r.reusable()) << "split " << split;
  }
}

// Found by fuzz_http_response: a read boundary exactly at the end of the
// response left the connection reusable although more bytes followed.
TEST(ResponseReaderTest, BytesAfterTheResponseInALaterReadMakeItNotReusable) {
  const std::string_view resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  ResponseReader at_once = Reader();
  EXPECT_EQ(at_once.Feed(std::string(resp) + "stray"), State::kDone);
  EXPECT_FALSE(at_once.reusable());
  ResponseReader split = Reader();
  EXPECT_EQ(split.Feed(resp), State::kDone);
  EXPECT_TRUE(split.reusable());
  EXPECT_EQ(split.Feed("stray"), State::kDone);
  EXPECT_FALSE(split.reusable());
}

TEST(ResponseReaderTest, Http10WithoutLengthEndsAtEofAndIsNotReusable) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("HTTP/1.0 200 OK\r\n\r\nsome "), State::kMore);
  EXPECT_EQ(r.Feed("body"), State::kMore);
  EXPECT_EQ(r.Eof(), State::kDone);
  EXPECT_EQ(r.body(), "some body");
  EXPECT_FALSE(r.reusable());
}

TEST(ResponseReaderTest, Http10KeepAliveWithContentLengthIsReusable) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok"),
            State::kDone);
  EXPECT_TRUE(r.reusable());
}

TEST(ResponseReaderTest, Http11ConnectionCloseIsNotReusable) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"),
            State::kDone);
  EXPECT_EQ(r.body(), "ok");
  EXPECT_FALSE(r.reusable());
}

TEST(ResponseReaderTest, HeadRequestHasNoBodyAndIsDoneAfterTheHead) {
  ResponseReader r = Reader(kBig, true, /*head=*/true);
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), State::kDone);
  EXPECT_EQ(r.body_bytes(), 0);
  EXPECT_TRUE(r.reusable());
}

TEST(ResponseReaderTest, NoContentAndNotModifiedHaveNoBody) {
  for (std::string_view resp : {"HTTP/1.1 204 No Content\r\n\r\n",
                                "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"}) {
    ResponseReader r = Reader();
    EXPECT_EQ(r.Feed(resp), State::kDone) << resp;
    EXPECT_EQ(r.body_bytes(), 0) << resp;
    EXPECT_TRUE(r.reusable()) << resp;
  }
}

TEST(ResponseReaderTest, InterimContinueIsSkippedThenTheRealResponseIsRead) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("HTTP/1.1 100 Continue\r\n\r\n"), State::kMore);
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), State::kDone);
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body(), "ok");
  EXPECT_TRUE(r.reusable());
}

TEST(ResponseReaderTest, GarbageIsAnErrorAfterTheFirstBytes) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("\x16\x03\x01"), State::kError);
  EXPECT_EQ(r.error(), "invalid HTTP response");
  EXPECT_FALSE(r.reusable());

  ResponseReader partial = Reader();
  EXPECT_EQ(partial.Feed("HTT"), State::kMore);
  EXPECT_EQ(partial.Feed("X"), State::kError);
}

TEST(ResponseReaderTest, HeaderLargerThanTheLimitIsAnError) {
  ResponseReader r = Reader();
  std::string head = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(ResponseReader::kMaxHeadBytes, 'a');
  EXPECT_EQ(r.Feed(head), State::kError);
  EXPECT_EQ(r.error(), "response header too large");
}

TEST(ResponseReaderTest, EofBeforeAnyByteIsAnEmptyReply) {
  ResponseReader r = Reader();
  EXPECT_FALSE(r.started());
  EXPECT_EQ(r.Eof(), State::kError);
  EXPECT_EQ(r.error(), "empty reply");
}

TEST(ResponseReaderTest, EofMidBodyIsAnIncompleteResponse) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), State::kMore);
  EXPECT_TRUE(r.started());
  EXPECT_EQ(r.Eof(), State::kError);
  EXPECT_EQ(r.error(), "incomplete response");
}

TEST(ResponseReaderTest, BodyLongerThanTheLimitIsTruncatedAndNotReusable) {
  ResponseReader r = Reader(/*max_body=*/4);
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456"), State::kDone);
  EXPECT_TRUE(r.truncated());
  EXPECT_FALSE(r.reusable());
  EXPECT_EQ(r.body_bytes(), 4);
  EXPECT_EQ(r.body(), "0123");
}

TEST(ResponseReaderTest, BodyExactlyAtTheLimitIsNotTruncated) {
  ResponseReader r = Reader(/*max_body=*/4);
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n0123"), State::kDone);
  EXPECT_FALSE(r.truncated());
  EXPECT_TRUE(r.reusable());
  EXPECT_EQ(r.body_bytes(), 4);
}

TEST(ResponseReaderTest, BadOrConflictingContentLengthIsAnError) {
  for (std::string_view resp :
       {"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"}) {
    ResponseReader r = Reader();
    EXPECT_EQ(r.Feed(resp), State::kError) << resp;
    EXPECT_NE(r.error().find("Content-Length"), std::string::npos) << r.error();
  }
  ResponseReader same = Reader();  // a repeated identical value is fine
  EXPECT_EQ(same.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"),
            State::kDone);
}

TEST(ResponseReaderTest, BadChunkSizeIsAnError) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), State::kError);
  EXPECT_EQ(r.error().rfind("invalid HTTP response", 0), 0u) << r.error();
}

TEST(ResponseReaderTest, StatusIsParsed) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"), State::kDone);
  EXPECT_EQ(r.status(), 503);
}

TEST(ResponseReaderTest, LfOnlyLineEndingsAreAccepted) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n"), State::kDone);
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body(), "abc");
  EXPECT_TRUE(r.reusable());
}

TEST(ResponseReaderTest, ResetReadsASecondResponse) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx"), State::kDone);
  r.Reset(false, kBig, true);
  EXPECT_EQ(r.state(), State::kMore);
  EXPECT_FALSE(r.started());
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), State::kDone);
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body(), "ok");
  EXPECT_TRUE(r.reusable());
}

TEST(ResponseReaderTest, InputAfterDoneIsIgnoredAndTheConnectionIsNotReused) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"), State::kDone);
  EXPECT_EQ(r.Feed("more garbage"), State::kDone);
  EXPECT_EQ(r.Eof(), State::kDone);
  EXPECT_EQ(r.body(), "ok");
  EXPECT_EQ(r.body_bytes(), 2);
  EXPECT_FALSE(r.reusable());  // the stream is out of step with the requests
}

TEST(ResponseReaderTest, CloseWinsOverKeepAlive) {
  for (std::string_view resp :
       {"HTTP/1.0 200 OK\r\nConnection: close, keep-alive\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\n"
        "Content-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nok"}) {
    ResponseReader r = Reader();
    EXPECT_EQ(r.Feed(resp), State::kDone) << resp;
    EXPECT_FALSE(r.reusable()) << resp;
  }
}

TEST(ResponseReaderTest, AHeadOfExactlyTheLimitFitsOneByteMoreDoesNot) {
  auto head_of = [](size_t size) {
    std::string head = "HTTP/1.1 200 OK\r\nX-Pad: ";
    std::string end = "\r\nContent-Length: 0\r\n\r\n";
    return head + std::string(size - head.size() - end.size(), 'p') + end;
  };
  ResponseReader fits = Reader();
  EXPECT_EQ(fits.Feed(head_of(ResponseReader::kMaxHeadBytes)), State::kDone);
  ResponseReader over = Reader();
  EXPECT_EQ(over.Feed(head_of(ResponseReader::kMaxHeadBytes + 1)), State::kError);
  EXPECT_EQ(over.error(), "response header too large");
}

TEST(ResponseReaderTest, ChunkedWithAContentLengthIsReadButNotReused) {
  ResponseReader r = Reader();
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "2\r\nok\r\n0\r\n\r\n"),
            State::kDone);
  EXPECT_EQ(r.body(), "ok");
  EXPECT_FALSE(r.reusable());
}

TEST(ReaderPool, LendsAReturnedReaderAgainButDropsOneWhoseBuffersGrewLarge) {
  ReaderPool pool;
  auto small = pool.Take();
  small->Reset(false, kBig, true);
  small->Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  ResponseReader* kept = small.get();
  pool.Give(std::move(small));
  EXPECT_EQ(pool.idle(), 1u);
  auto again = pool.Take();
  EXPECT_EQ(again.get(), kept);

  again->Reset(false, kBig, true);
  std::string body(64 * 1024, 'x');
  again->Feed("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
              body);
  ASSERT_EQ(again->body().size(), body.size());
  pool.Give(std::move(again));
  EXPECT_EQ(pool.idle(), 0u);
}

}  // namespace
}  // namespace registrar::probes
