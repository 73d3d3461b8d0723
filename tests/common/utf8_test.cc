#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace registrar {
namespace {

constexpr size_t kAllValid = std::string_view::npos;

TEST(FirstInvalidUtf8, AcceptsAsciiAndWellFormedSequences) {
  EXPECT_EQ(FirstInvalidUtf8(""), kAllValid);
  EXPECT_EQ(FirstInvalidUtf8("zone: a"), kAllValid);
  EXPECT_EQ(FirstInvalidUtf8("z\xc3\xa9ro \xe2\x82\xac \xf0\x9f\x98\x80"), kAllValid);
  EXPECT_EQ(FirstInvalidUtf8("\xf4\x8f\xbf\xbf"), kAllValid);  // U+10FFFF
}

TEST(FirstInvalidUtf8, FindsTheFirstBadByte) {
  EXPECT_EQ(FirstInvalidUtf8("z\x89ne"), 1u);             // a lone continuation byte
  EXPECT_EQ(FirstInvalidUtf8("ab\xc3"), 2u);              // cut short
  EXPECT_EQ(FirstInvalidUtf8("\xc0\xaf"), 0u);            // overlong "/"
  EXPECT_EQ(FirstInvalidUtf8("a\xe0\x80\xaf"), 1u);       // overlong, 3 bytes
  EXPECT_EQ(FirstInvalidUtf8("\xed\xa0\x80"), 0u);        // a surrogate
  EXPECT_EQ(FirstInvalidUtf8("ok\xf4\x90\x80\x80"), 2u);  // above U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("\xff"), 0u);
  EXPECT_EQ(FirstInvalidUtf8("\xc3\xa9\xc3("), 2u);  // a bad second byte
}

}  // namespace
}  // namespace registrar
