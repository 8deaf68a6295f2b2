#include "core/text.h"

#include <gtest/gtest.h>

namespace dialupd {
namespace {

TEST(Text, ValidUtf8PassesUnchanged) {
    EXPECT_EQ(sanitizeText("plain ascii\ttab"), "plain ascii\ttab");
    EXPECT_EQ(sanitizeText("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb6"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb6");
}

TEST(Text, InvalidSequencesBecomeReplacementCharacters) {
    EXPECT_EQ(sanitizeText("a\xff" "b"), "a\xef\xbf\xbd" "b");
    EXPECT_EQ(sanitizeText("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");          // overlong '/'
    EXPECT_EQ(sanitizeText("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
    EXPECT_EQ(sanitizeText("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");          // truncated
}

TEST(Text, ControlCharactersAreEscaped) {
    EXPECT_EQ(sanitizeText(std::string("a\0b\r\x1b", 5)), "a\\x00b\\x0d\\x1b");
}

TEST(Text, Validation) {
    EXPECT_TRUE(isValidUtf8("ok \xc3\xa9"));
    EXPECT_FALSE(isValidUtf8("\xc3"));
    EXPECT_FALSE(isValidUtf8("\xf5\x80\x80\x80"));
}

TEST(Text, ShortenedCutsOnACharacterBoundary) {
    EXPECT_EQ(shortened("short", 10), "short");
    EXPECT_EQ(shortened("abcdefgh", 3), "abc...");
    EXPECT_EQ(shortened("\xc3\xa9\xc3\xa9", 3), "\xc3\xa9...");
}

}  // namespace
}  // namespace dialupd
