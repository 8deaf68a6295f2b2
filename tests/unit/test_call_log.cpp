// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/call_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dialupd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(CallLog, LinesAreTimestampedAndTagged) {
    CallLog log;
    log.append(1.25, "pppd", "Connect: ppp0 <--> /dev/ttyUSB3");
    EXPECT_EQ(log.text(), "[   1.250] pppd: Connect: ppp0 <--> /dev/ttyUSB3\n");
}

TEST(CallLog, OldestLinesGoFirstWithAMarker) {
    CallLog log(200);
    for (int i = 0; i < 20; ++i) log.append(i, "pppd", "line " + std::to_string(i));
    std::string text = log.text();
    EXPECT_GT(log.droppedLines(), 0u);
    EXPECT_THAT(text, StartsWith("[... " + std::to_string(log.droppedLines()) + " earlier lines dropped ...]\n"));
    EXPECT_THAT(text, HasSubstr("line 19"));
    EXPECT_THAT(text, Not(HasSubstr("line 0\n")));
    EXPECT_LE(text.size(), 200u + 64u);
}

TEST(CallLog, OneHugeLineIsCutNotAllowedToGrow) {
    CallLog log(100);
    log.append(0, "pppd", std::string(10000, 'x'));
    EXPECT_LE(log.text().size(), 100u);
}

TEST(CallLog, BinaryFromTheModemBecomesReadableUtf8) {
    CallLog log;
    log.append(0, "pppd", std::string("rcvd \x7e\xff\x03\x00\x01", 10));
    std::string text = log.text();
    EXPECT_THAT(text, HasSubstr("rcvd ~\\xff\\x03\\x00\\x01\n"));  // each byte written out
}

TEST(CallLog, ClearStartsOver) {
    CallLog log(50);
    for (int i = 0; i < 10; ++i) log.append(i, "pppd", "something long enough");
    log.clear();
    EXPECT_EQ(log.text(), "");
    EXPECT_EQ(log.droppedLines(), 0u);
}

}  // namespace
}  // namespace dialupd
