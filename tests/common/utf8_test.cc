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

TEST(CutForLog, KeepsShortTextWhole) {
  EXPECT_EQ(CutForLog("short", 10), "short");
  EXPECT_EQ(CutForLog("", 0), "");
}

TEST(CutForLog, CutsAJsonValueAfterAWholeMemberAndSaysHowMuchIsLeftOut) {
  const std::string value =
      R"({"service":"web","address":"127.0.0.1:8080","registeredAt":"2026-12-06T20:00:00Z"})";
  const std::string cut = CutForLog(value, 60);
  EXPECT_EQ(cut, R"({"service":"web","address":"127.0.0.1:8080",)"
                 "\xe2\x80\xa6 (" +
                     std::to_string(value.size() - 44) + " more bytes)");
  EXPECT_EQ(cut.find("2026"), std::string::npos) << "no value cut mid-string: " << cut;
}

TEST(CutForLog, NeverSplitsACharacter) {
  // "é" is two bytes; a cut after 3 bytes would split the second one.
  const std::string cut = CutForLog("\xc3\xa9\xc3\xa9\xc3\xa9", 3);
  EXPECT_EQ(cut, "\xc3\xa9\xe2\x80\xa6 (4 more bytes)");
  EXPECT_EQ(FirstInvalidUtf8(cut), kAllValid);
}

}  // namespace
}  // namespace registrar
