// SPDX-License-Identifier: GPL-2.0-or-later
// The AT session: what ends a command (the final results, its timeout, the port hanging up),
// cancellation, raw bytes and guard times, and how it holds and lets go of its port.
#include "core/at_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/text.h"
#include "fakes.h"

namespace dialupd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;
using testing::FakeAtPort;
using testing::FakeScheduler;

TEST(FinalResult, TellsFinalResultsFromOtherLines) {
    for (const char* line : {"OK", "ERROR", "NO CARRIER", "BUSY", "+CME ERROR: 10", "CONNECT", "CONNECT 150000000"})
        EXPECT_TRUE(isFinalResult(line)) << line;
    for (const char* line : {"AT", "+CSQ: 24,99", "RDY", "OKAY", "CONNECTED"})
        EXPECT_FALSE(isFinalResult(line)) << line;
}

TEST(FinalResult, NamesEachFinalResult) {
    struct Case {
        const char* line;
        std::optional<AtFinal> final;
    };
    const Case cases[] = {
        {"OK", AtFinal::Ok},
        {"ERROR", AtFinal::Error},
        {"+CME ERROR: 10", AtFinal::CmeError},
        {"+CME ERROR: SIM not inserted", AtFinal::CmeError},
        {"+CMS ERROR: 500", AtFinal::CmsError},
        {"NO CARRIER", AtFinal::NoCarrier},
        {"BUSY", AtFinal::Busy},
        {"NO ANSWER", AtFinal::NoAnswer},
        {"NO DIALTONE", AtFinal::NoDialtone},
        {"CONNECT", AtFinal::Connect},
        {"CONNECT 150000000", AtFinal::Connect},
        {"CONNECTED", std::nullopt},
        {"OK OK", std::nullopt},
        {"ok", std::nullopt},
        {"+CME: 10", std::nullopt},
        {"RING", std::nullopt},
        {"+CREG: 0,1", std::nullopt},
        {"", std::nullopt},
    };
    for (const Case& c : cases) EXPECT_EQ(parseFinalResult(c.line), c.final) << c.line;
    EXPECT_EQ(toString(AtFinal::NoDialtone), "NO DIALTONE");
    EXPECT_EQ(trimmedAtLine(" \tOK\r\r"), "OK");
}

class AtSessionTest : public ::testing::Test {
protected:
    AtSessionTest() { port.answers = {{"AT+CSQ", {"+CSQ: 24,99", "OK"}}, {"AT+CPIN?", {"+CME ERROR: 10"}}}; }
    AtSession::Callback keep() {
        return [this](AtResult result) {
            ++calls;
            last = std::move(result);
            endedAt = scheduler.monotonicNow();
        };
    }

    FakeScheduler scheduler;
    FakeAtPort port{scheduler};
    std::vector<std::string> unsolicited;
    std::vector<std::string> closed;
    AtSession session{port,
                      scheduler,
                      {.unsolicited = [this](std::string_view line) { unsolicited.emplace_back(line); },
                       .closed = [this](std::string_view why) { closed.emplace_back(why); }}};
    int calls = 0;
    AtResult last;
    std::chrono::microseconds endedAt{0};
};

TEST_F(AtSessionTest, ACommandEndsWithItsFinalResultAndKeepsItsLines) {
    session.open("/dev/ttyUSB2");
    port.echo = true;
    auto began = scheduler.monotonicNow();
    session.send("AT+CSQ", 1s, keep());
    EXPECT_EQ(calls, 0);
    scheduler.advance(5s);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(last.end, AtResult::End::Final);
    EXPECT_TRUE(last.ok());
    EXPECT_THAT(last.lines, ElementsAre("+CSQ: 24,99"));  // the echo is not an answer
    EXPECT_EQ(last.finalLine, "OK");
    EXPECT_EQ(endedAt - began, 20ms);  // as soon as it came, not at the timeout

    session.send("AT+CPIN?", 1s, keep());
    scheduler.advance(5s);
    ASSERT_EQ(calls, 2);
    EXPECT_EQ(last.final, AtFinal::CmeError);
    EXPECT_FALSE(last.ok());
    EXPECT_EQ(last.finalLine, "+CME ERROR: 10");
    EXPECT_THAT(port.sent, ElementsAre("AT+CSQ", "AT+CPIN?"));
}

TEST_F(AtSessionTest, EveryFinalResultEndsACommand) {
    session.open("/dev/ttyUSB2");
    for (const char* final : {"OK", "ERROR", "+CME ERROR: 10", "+CMS ERROR: 500", "NO CARRIER", "BUSY", "NO ANSWER",
                              "NO DIALTONE", "CONNECT", "CONNECT 150000000"}) {
        SCOPED_TRACE(final);
        port.answers["ATD*99#"] = {"+INTERMEDIATE", final, "AFTER"};
        int before = calls;
        session.send("ATD*99#", 1s, keep());
        scheduler.advance(100ms);
        ASSERT_EQ(calls, before + 1);
        EXPECT_EQ(last.end, AtResult::End::Final);
        EXPECT_EQ(last.finalLine, final);
        EXPECT_THAT(last.lines, ElementsAre("+INTERMEDIATE"));
        EXPECT_EQ(unsolicited.back(), "AFTER");  // nothing waits for it any more
    }
}

TEST_F(AtSessionTest, ASilentModuleCostsTheCommandsTimeout) {
    session.open("/dev/ttyUSB2");
    port.answers["AT+CEER"] = {"+CEER: half an answer"};  // and never a final result
    auto began = scheduler.monotonicNow();
    session.send("AT+CEER", 700ms, keep());
    scheduler.advanceInSteps(2s);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(last.end, AtResult::End::Timeout);
    EXPECT_EQ(last.final, std::nullopt);
    EXPECT_EQ(last.lastLine, "+CEER: half an answer");
    EXPECT_EQ(endedAt - began, 700ms);
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
}

TEST_F(AtSessionTest, ACancelledCommandIsNeverAnswered) {
    session.open("/dev/ttyUSB2");
    session.send("AT+CSQ", 1s, keep());
    scheduler.advance(10ms);
    session.cancel();
    EXPECT_FALSE(session.waiting());
    scheduler.advance(5s);
    EXPECT_EQ(calls, 0);
    EXPECT_THAT(unsolicited, ElementsAre("+CSQ: 24,99", "OK"));  // its late answer
    // The session goes on with the next command.
    session.send("AT+CPIN?", 1s, keep());
    scheduler.advance(1s);
    EXPECT_EQ(calls, 1);
}

TEST_F(AtSessionTest, APortThatHangsUpMidCommandEndsIt) {
    session.open("/dev/ttyUSB2");
    port.delay = 500ms;
    session.send("AT+CSQ", 1s, keep());
    scheduler.advance(100ms);
    ASSERT_NE(port.current, nullptr);
    port.current->hangUp();
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(last.end, AtResult::End::Closed);
    EXPECT_EQ(last.closedWhy, "the tty hung up");
    EXPECT_THAT(closed, ElementsAre("the tty hung up"));
    EXPECT_TRUE(session.hungUp());
    EXPECT_EQ(scheduler.pendingTimers(), 1u);  // the fake tty's own answer timer, no timeout of ours

    // What is sent after ends as Closed too, on a later turn, never from inside send().
    session.send("AT+CPIN?", 1s, keep());
    EXPECT_EQ(calls, 1);
    scheduler.runDeferred();
    ASSERT_EQ(calls, 2);
    EXPECT_EQ(last.end, AtResult::End::Closed);
    EXPECT_THAT(port.sent, ElementsAre("AT+CSQ"));
}

TEST_F(AtSessionTest, WhatIsSentOnAHungUpPortEndsAsClosedOnALaterTurn) {
    session.open("/dev/ttyUSB2");
    port.current->hangUp();
    session.send("AT", 1s, keep());
    EXPECT_EQ(calls, 0);
    scheduler.runDeferred();
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(last.end, AtResult::End::Closed);
    EXPECT_EQ(last.closedWhy, "the tty hung up");
    EXPECT_THAT(port.sent, IsEmpty());

    session.close();
    session.send("AT", 1s, keep());
    scheduler.runDeferred();
    ASSERT_EQ(calls, 2);
    EXPECT_EQ(last.closedWhy, "the port is not open");
}

TEST_F(AtSessionTest, RawBytesGoAsTheyAreAfterAGuardTime) {
    session.open("/dev/ttyUSB3");
    port.answers["+++"] = {"OK"};
    session.guard(1200ms, keep());
    scheduler.advance(1199ms);
    EXPECT_EQ(calls, 0);
    EXPECT_THAT(port.sent, IsEmpty());  // the guard time is silence
    scheduler.advance(1ms);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(last.end, AtResult::End::Timeout);  // a guard time ends by its time
    session.sendRaw("+++", 2200ms, keep());
    scheduler.advance(100ms);
    ASSERT_EQ(calls, 2);
    EXPECT_TRUE(last.ok());
    EXPECT_THAT(port.sent, ElementsAre("+++"));
}

TEST_F(AtSessionTest, AGuardTimeHearsLinesButOnlyTimeOrAHangUpEndsIt) {
    session.open("/dev/ttyUSB3");
    session.send("AT+CSQ", 1s, keep());
    session.cancel();  // its answer comes during the guard time
    session.guard(1s, keep());
    scheduler.advance(500ms);
    EXPECT_EQ(calls, 0);
    EXPECT_THAT(last.lines, IsEmpty());
    port.current->hangUp();
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(last.end, AtResult::End::Closed);
    EXPECT_THAT(last.lines, ElementsAre("+CSQ: 24,99", "OK"));

    // With no port open, only the time ends it: a pause between tries.
    session.close();
    session.guard(300ms, keep());
    scheduler.advance(299ms);
    EXPECT_EQ(calls, 1);
    scheduler.advance(1ms);
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(last.end, AtResult::End::Timeout);
}

TEST_F(AtSessionTest, OneCommandAtATime) {
    session.open("/dev/ttyUSB2");
    session.send("AT+CSQ", 1s, keep());
    EXPECT_THROW(session.send("AT+CPIN?", 1s, keep()), std::logic_error);
    scheduler.advance(1s);
    EXPECT_EQ(calls, 1);
    EXPECT_THAT(port.sent, ElementsAre("AT+CSQ"));
}

TEST_F(AtSessionTest, ThePortIsHeldUntilClosedAndLetGoOnALaterTurn) {
    port.openError = AtPortError(AtPortError::Kind::Busy, "lock /run/lock/LCK..ttyUSB2 is held by pid 42");
    EXPECT_THROW(session.open("/dev/ttyUSB2"), AtPortError);
    EXPECT_FALSE(session.isOpen());
    port.openError.reset();

    session.open("/dev/ttyUSB2");
    EXPECT_TRUE(session.isOpen());
    EXPECT_EQ(session.path(), "/dev/ttyUSB2");
    session.send("AT+CSQ", 1s, keep());
    session.close();                  // cancels the command too
    EXPECT_EQ(port.openChannels, 1);  // a close may come from inside the channel's own callback
    scheduler.runDeferred();
    EXPECT_EQ(port.openChannels, 0);
    scheduler.advance(5s);
    EXPECT_EQ(calls, 0);
    EXPECT_THAT(unsolicited, IsEmpty());  // a closed port reaches nobody

    // Opening another port lets the first go.
    session.open("/dev/ttyUSB2");
    session.open("/dev/ttyUSB3");
    scheduler.runDeferred();
    EXPECT_EQ(port.openChannels, 1);
    EXPECT_THAT(port.opened, ElementsAre("/dev/ttyUSB2", "/dev/ttyUSB2", "/dev/ttyUSB2", "/dev/ttyUSB3"));
}

TEST_F(AtSessionTest, ASessionDestroyedFromItsOwnCallbackLetsTheChannelGoLater) {
    auto owned = std::make_unique<AtSession>(port, scheduler);
    owned->open("/dev/ttyUSB2");
    owned->send("AT+CSQ", 1s, [&](AtResult result) {
        last = std::move(result);
        owned.reset();  // inside the channel's callback: the channel must outlive it
        EXPECT_EQ(port.openChannels, 1);
    });
    scheduler.advance(1s);
    EXPECT_EQ(owned, nullptr);
    EXPECT_TRUE(last.ok());
    EXPECT_EQ(port.openChannels, 0);

    // Destroyed from outside, it lets the channel go at once, and calls nothing.
    auto other = std::make_unique<AtSession>(port, scheduler);
    other->open("/dev/ttyUSB2");
    other->send("AT+CSQ", 1s, keep());
    other->later([&] { ++calls; });
    other.reset();
    EXPECT_EQ(port.openChannels, 0);
    scheduler.advance(5s);
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
}

TEST_F(AtSessionTest, AFloodingModuleCannotGrowTheAnswer) {
    session.open("/dev/ttyUSB2");
    std::vector<std::string> flood(1000, "+FLOOD");
    flood.push_back("OK");
    port.answers["AT+CEER"] = flood;
    session.send("AT+CEER", 1s, keep());
    scheduler.advance(1s);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(last.lines.size(), AtResult::kMaxLines);
    EXPECT_TRUE(last.ok());
}

TEST_F(AtSessionTest, WhatTheModuleSaysComesOutTrimmedAndClean) {
    session.open("/dev/ttyUSB2");
    port.answers["ATI"] = {"  Quectel\t", "\xef\xbf\xbe\x1b[2J", "", "+CME ERROR: \xff\xfe  "};
    session.send("ATI", 1s, keep());
    scheduler.advance(1s);
    ASSERT_EQ(calls, 1);
    EXPECT_THAT(last.lines, ElementsAre("Quectel", "\\u{FFFE}\\x1b[2J"));
    EXPECT_EQ(last.final, AtFinal::CmeError);
    EXPECT_EQ(last.finalLine, "+CME ERROR: \\xff\\xfe");
    for (const std::string& line : last.lines) EXPECT_TRUE(isCleanText(line)) << line;
}

}  // namespace
}  // namespace dialupd
