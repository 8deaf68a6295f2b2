// SPDX-License-Identifier: GPL-2.0-or-later
// The AT snapshot after a hangup: what it asks, how it records answers and failures, and
// that it is bounded in time and size.
#include "core/at_snapshot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/text.h"
#include "fakes.h"

namespace dialupd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using testing::FakeAtPort;
using testing::FakeScheduler;

class AtSnapshotTest : public ::testing::Test {
protected:
    AtSnapshotTest() { port.answerLikeAnEc25(); }
    void start() {
        snapshot.start("/dev/ttyUSB2", [this](std::string text) {
            ++calls;
            result = std::move(text);
            finishedAt = scheduler.monotonicNow();
        });
    }

    FakeScheduler scheduler;
    FakeAtPort port{scheduler};
    AtSnapshot snapshot{port, scheduler, {3000ms, 1000ms}};
    int calls = 0;
    std::string result;
    std::chrono::microseconds finishedAt{0};
};

TEST_F(AtSnapshotTest, AsksEveryQuestionAndRecordsEachAnswer) {
    auto began = scheduler.monotonicNow();
    start();
    scheduler.advanceInSteps(1s);
    ASSERT_EQ(calls, 1);
    EXPECT_THAT(port.sent, ElementsAre("ATI", "AT+CEER", "AT+CSQ", "AT+CPIN?", "AT+CREG?", "AT+CGREG?", "AT+CEREG?",
                                       "AT+COPS?", "AT+CGACT?", "AT+QENG=\"servingcell\""));
    EXPECT_THAT(result, HasSubstr("== AT snapshot (/dev/ttyUSB2) ==\n"));
    EXPECT_THAT(result, HasSubstr("ATI ->\n    Quectel\n    EC25\n    Revision: EC25EFAR06A06M4G\n"));
    EXPECT_THAT(result, HasSubstr("AT+CEER -> +CEER: \"Regular deactivation: network failure\"\n"));
    EXPECT_THAT(result, HasSubstr("AT+CSQ -> +CSQ: 24,99\n"));
    EXPECT_THAT(result, HasSubstr("AT+QENG=\"servingcell\" -> +QENG: \"servingcell\""));
    EXPECT_EQ(finishedAt - began, 200ms);  // ten answers, 20 ms each: it goes on as soon as one is in
    EXPECT_EQ(port.openChannels, 0);
}

TEST_F(AtSnapshotTest, OnlyAQuectelIsAskedForItsServingCell) {
    port.answers["ATI"] = {"SIMCOM INCORPORATED", "SIM7600E", "OK"};
    start();
    scheduler.advance(1s);
    EXPECT_THAT(port.sent, Not(::testing::Contains("AT+QENG=\"servingcell\"")));
    EXPECT_THAT(result, Not(HasSubstr("QENG")));
}

TEST_F(AtSnapshotTest, ErrorsAreExplainedAndEchoIsIgnored) {
    port.echo = true;
    port.answers["AT+CPIN?"] = {"+CME ERROR: 10"};
    port.answers["AT+CSQ"] = {"+CSQ: 99,99", "OK"};
    start();
    scheduler.advance(1s);
    EXPECT_THAT(result, HasSubstr("AT+CPIN? -> +CME ERROR: 10 (SIM not inserted)\n"));
    EXPECT_THAT(result, HasSubstr("AT+CSQ -> +CSQ: 99,99\n"));
    EXPECT_THAT(result, Not(HasSubstr("-> AT+CSQ")));
}

TEST_F(AtSnapshotTest, ASilentPortCostsOneCommandTimeout) {
    port.silent = true;
    auto began = scheduler.monotonicNow();
    start();
    scheduler.advanceInSteps(5s);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(finishedAt - began, 1000ms);
    EXPECT_THAT(port.sent, ElementsAre("ATI"));
    EXPECT_THAT(result, HasSubstr("ATI -> no answer within 1000 ms\nAT port silent: 8 command(s) not sent\n"));
}

TEST_F(AtSnapshotTest, TheWholeIsBoundedEvenWhenEveryAnswerIsSlow) {
    port.delay = 900ms;
    auto began = scheduler.monotonicNow();
    start();
    scheduler.advanceInSteps(10s);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(finishedAt - began, 3000ms);
    EXPECT_THAT(result, HasSubstr("snapshot cut off after 3000 ms (waiting for AT+CPIN?)"));
    EXPECT_THAT(result, HasSubstr("AT+CSQ -> +CSQ: 24,99"));
}

TEST_F(AtSnapshotTest, AnAbsentOrBusyPortIsRecordedAndNeverReportedFromInsideStart) {
    port.openError = AtPortError(AtPortError::Kind::Absent, "/dev/ttyUSB2: No such file or directory");
    start();
    EXPECT_EQ(calls, 0);
    scheduler.runDeferred();
    ASSERT_EQ(calls, 1);
    EXPECT_THAT(result, HasSubstr("AT port absent: /dev/ttyUSB2: No such file or directory"));

    AtSnapshot busy{port, scheduler, {3000ms, 1000ms}};
    port.openError = AtPortError(AtPortError::Kind::Busy, "in use: /run/lock/LCK..ttyUSB2 is held by pid 42");
    std::string busyText;
    busy.start("/dev/ttyUSB2", [&](std::string text) { busyText = std::move(text); });
    scheduler.runDeferred();
    EXPECT_THAT(busyText, HasSubstr("AT port busy: in use: /run/lock/LCK..ttyUSB2 is held by pid 42"));
}

TEST_F(AtSnapshotTest, APortThatHangsUpEndsTheSnapshot) {
    port.delay = 50ms;
    start();
    scheduler.advance(120ms);  // ATI and AT+CEER answered, AT+CSQ asked
    ASSERT_EQ(port.sent.size(), 3u);
    ASSERT_NE(port.current, nullptr);
    port.current->hangUp();
    scheduler.runDeferred();
    ASSERT_EQ(calls, 1);
    EXPECT_THAT(result, HasSubstr("AT+CEER -> +CEER:"));
    EXPECT_THAT(result, HasSubstr("AT port closed waiting for AT+CSQ: the tty hung up\n"));
    EXPECT_EQ(port.openChannels, 0);
}

TEST_F(AtSnapshotTest, AnAbandonedSnapshotReportsNothing) {
    auto abandoned = std::make_unique<AtSnapshot>(port, scheduler, AtSnapshotLimits{3000ms, 1000ms});
    bool called = false;
    abandoned->start("/dev/ttyUSB2", [&](std::string) { called = true; });
    scheduler.advance(50ms);
    abandoned.reset();  // the modem went away mid-snapshot
    scheduler.advance(5s);
    EXPECT_FALSE(called);
    EXPECT_EQ(port.openChannels, 0);
}

TEST_F(AtSnapshotTest, AFloodingPortIsCutAt16KiB) {
    std::vector<std::string> flood(5000, std::string(100, 'x'));
    flood.push_back("OK");
    port.answers["AT+CEER"] = flood;
    start();
    scheduler.advance(1s);
    ASSERT_EQ(calls, 1);
    EXPECT_LT(result.size(), 20u * 1024);
}

TEST_F(AtSnapshotTest, HostileAnswersComeOutAsCleanText) {
    // Final result codes too: "+CME ERROR: <anything>" once went into the text as it came, and
    // sd-bus refused the Hangup that carried it.
    port.answers["AT+CPIN?"] = {"+CME ERROR: \xff\xfe\xef\xbf\xbe"};
    port.answers["AT+CSQ"] = {
        "+CSQ: \x1b[2J\xc2\x9b"
        "31m",
        "+CMS ERROR: \xef\xb7\x90\x1b]0;owned\x07"};
    port.answers["AT+CEER"] = {"\xef\xbf\xbf", "OK"};
    start();
    scheduler.advance(1s);
    ASSERT_EQ(calls, 1);
    EXPECT_TRUE(isCleanText(result, Newlines::Keep)) << result;
    EXPECT_THAT(result, HasSubstr("AT+CPIN? -> +CME ERROR: \\xff\\xfe\\u{FFFE}\n"));
    EXPECT_THAT(result, HasSubstr("    +CSQ: \\x1b[2J\\u{009B}31m\n    +CMS ERROR: \\u{FDD0}\\x1b]0;owned\\x07\n"));
    EXPECT_THAT(result, HasSubstr("AT+CEER -> \\u{FFFF}\n"));
}

TEST(ExplainAtError, KnownCodesOnly) {
    EXPECT_EQ(explainAtError("+CME ERROR: 10"), "+CME ERROR: 10 (SIM not inserted)");
    EXPECT_EQ(explainAtError("+CME ERROR: 30"), "+CME ERROR: 30 (no network service)");
    EXPECT_EQ(explainAtError("+CME ERROR: 9999"), "+CME ERROR: 9999");
    EXPECT_EQ(explainAtError("+CME ERROR: SIM not inserted"), "+CME ERROR: SIM not inserted");
    EXPECT_EQ(explainAtError("ERROR"), "ERROR");
}

}  // namespace
}  // namespace dialupd
