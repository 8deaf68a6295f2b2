// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/text.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <random>
#include <sstream>

#include "core/sanitizing_sink.h"

namespace dialupd {
namespace {

TEST(Text, ValidUtf8PassesUnchanged) {
    EXPECT_EQ(sanitizeText("plain ascii\ttab"), "plain ascii\ttab");
    EXPECT_EQ(sanitizeText("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb6"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb6");
    EXPECT_EQ(sanitizeText("\xef\xbf\xbd \xef\xbb\xbf \xef\xbf\xbc"),
              "\xef\xbf\xbd \xef\xbb\xbf \xef\xbf\xbc");              // U+FFFD, BOM, U+FFFC
    EXPECT_EQ(sanitizeText("a\\x1b \\u{FFFE}"), "a\\x1b \\u{FFFE}");  // backslashes are text
}

TEST(Text, InvalidBytesAreWrittenOutAsHex) {
    EXPECT_EQ(sanitizeText("a\xff"
                           "b"),
              "a\\xffb");
    EXPECT_EQ(sanitizeText("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
    EXPECT_EQ(sanitizeText("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
    EXPECT_EQ(sanitizeText("\xe2\x82"), "\\xe2\\x82");                    // truncated
    EXPECT_EQ(sanitizeText("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
    EXPECT_EQ(sanitizeText("+CME ERROR: \xff\xfe"), "+CME ERROR: \\xff\\xfe");
}

TEST(Text, ControlCharactersAreEscaped) {
    EXPECT_EQ(sanitizeText(std::string("a\0b\r\x1b\x7f", 6)), "a\\x00b\\x0d\\x1b\\x7f");
    EXPECT_EQ(sanitizeText("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
    EXPECT_EQ(sanitizeText("two\nlines"), "two\\x0alines");
}

TEST(Text, C1ControlsAreEscaped) {
    // U+0080, U+0085 (NEL), U+009B (CSI: a terminal's escape introducer), U+009F.
    EXPECT_EQ(sanitizeText("\xc2\x80\xc2\x85\xc2\x9b"
                           "31m\xc2\x9f"),
              "\\u{0080}\\u{0085}\\u{009B}31m\\u{009F}");
    EXPECT_EQ(sanitizeText("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is no control
}

TEST(Text, NoncharactersAreEscaped) {
    EXPECT_EQ(sanitizeText("a\xef\xbf\xbe"
                           "b"),
              "a\\u{FFFE}b");
    EXPECT_EQ(sanitizeText("\xef\xbf\xbf"), "\\u{FFFF}");
    EXPECT_EQ(sanitizeText("\xef\xb7\x90\xef\xb7\xaf"), "\\u{FDD0}\\u{FDEF}");
    EXPECT_EQ(sanitizeText("\xef\xb7\x8f\xef\xb7\xb0"), "\xef\xb7\x8f\xef\xb7\xb0");  // U+FDCF, U+FDF0: characters
    EXPECT_EQ(sanitizeText("\xf0\x9f\xbf\xbe"), "\\u{1FFFE}");
    EXPECT_EQ(sanitizeText("\xf4\x8f\xbf\xbf"), "\\u{10FFFF}");
}

TEST(Text, MultilineTextKeepsItsNewlines) {
    EXPECT_EQ(sanitizeMultilineText("one\ntwo\r\n\x1b"), "one\ntwo\\x0d\n\\x1b");
    EXPECT_EQ(sanitizeText("one\ntwo", Newlines::Keep), "one\ntwo");
}

TEST(Text, SanitizingTwiceChangesNothing) {
    // Any bytes at all: the result is clean and stays as it is.
    std::mt19937 random(20261126);
    for (int round = 0; round < 2000; ++round) {
        std::string bytes(random() % 64, '\0');
        for (char& c : bytes) c = static_cast<char>(random() % 256);
        for (Newlines newlines : {Newlines::Escape, Newlines::Keep}) {
            std::string once = sanitizeText(bytes, newlines);
            EXPECT_TRUE(isValidUtf8(once));
            EXPECT_TRUE(isCleanText(once, newlines));
            EXPECT_EQ(sanitizeText(once, newlines), once);
            EXPECT_EQ(isCleanText(bytes, newlines), once == bytes);
            for (char c : once) EXPECT_NE(c, '\x1b');
        }
    }
}

TEST(Text, Cleanliness) {
    EXPECT_TRUE(isCleanText("ok \xc3\xa9\t"));
    EXPECT_FALSE(isCleanText("a\nb"));
    EXPECT_TRUE(isCleanText("a\nb", Newlines::Keep));
    EXPECT_FALSE(isCleanText("\xef\xbf\xbe"));
    EXPECT_FALSE(isCleanText("\xc2\x9b"));
    EXPECT_FALSE(isCleanText("\xff"));
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

TEST(SanitizingSink, TheJournalGetsCleanLines) {
    std::ostringstream journal;
    auto inner = std::make_shared<spdlog::sinks::ostream_sink_st>(journal);
    spdlog::logger logger("test", std::make_shared<SanitizingSink>(inner));
    logger.set_pattern("%l: %v");
    logger.info("[m0] pppd: {}", "rcvd \xef\xbf\xbe\x1b[2J\xff");
    logger.warn("forged\nerror: a second line");
    logger.info("plain");
    EXPECT_EQ(journal.str(),
              "info: [m0] pppd: rcvd \\u{FFFE}\\x1b[2J\\xff\n"
              "warning: forged\\x0aerror: a second line\n"
              "info: plain\n");
}

TEST(Text, StableHashIsFnv1a64) {
    // The published FNV-1a 64 test vectors: the same value on every build and run.
    EXPECT_EQ(stableHash(""), 0xcbf29ce484222325ULL);
    EXPECT_EQ(stableHash("a"), 0xaf63dc4c8601ec8cULL);
    EXPECT_EQ(stableHash("foobar"), 0x85944171f73967e8ULL);
}

}  // namespace
}  // namespace dialupd
