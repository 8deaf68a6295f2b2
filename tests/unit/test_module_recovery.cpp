// The recovery ladder: which rung brings a module back, in which order, how long each waits,
// and that every step is noted.
#include "core/module_recovery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/text.h"
#include "fakes.h"

namespace dialupd {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace std::chrono_literals;
using testing::FakeModule;
using testing::FakeScheduler;

class ModuleRecoveryTest : public ::testing::Test {
protected:
    void start(RecoveryPorts ports = {"/dev/ttyUSB3", "/dev/ttyUSB2", "1-1"}) {
        recovery.start([ports] { return ports; }, [this](std::optional<std::string> by) {
            ++calls;
            recoveredBy = by;
            finishedAt = scheduler.monotonicNow();
        });
        began = scheduler.monotonicNow();
    }
    std::string notes() const {
        std::string all;
        for (const auto& line : noted) all += line + "\n";
        return all;
    }
    std::chrono::microseconds took() const { return finishedAt - began; }

    FakeScheduler scheduler;
    FakeModule module{scheduler, "/dev/ttyUSB3", "/dev/ttyUSB2"};
    std::vector<std::string> noted;
    ModuleRecovery recovery{module, scheduler, &module, RecoveryLimits{},
                            [this](std::string_view line) { noted.emplace_back(line); }};
    int calls = 0;
    std::optional<std::string> recoveredBy;
    std::chrono::microseconds began{0};
    std::chrono::microseconds finishedAt{0};
};

TEST_F(ModuleRecoveryTest, AModuleThatAnswersNeedsNothing) {
    start();
    scheduler.advanceInSteps(1s);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(recoveredBy, "probe");
    EXPECT_THAT(module.log, ElementsAre("/dev/ttyUSB3 AT"));
    EXPECT_LT(took(), 100ms);
    EXPECT_THAT(notes(), HasSubstr("nothing to recover"));
}

TEST_F(ModuleRecoveryTest, StuckInDataModeTheEscapeSequenceBringsItBack) {
    module.stuck = true;
    start();
    scheduler.advanceInSteps(10s);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(recoveredBy, "escape");
    // The probe's AT is swallowed; +++ after a guard time; ATH and AT once it answers.
    EXPECT_THAT(module.log, ElementsAre("/dev/ttyUSB3 AT", "/dev/ttyUSB3 +++", "/dev/ttyUSB3 ATH", "/dev/ttyUSB3 AT"));
    EXPECT_THAT(module.usbResets, IsEmpty());
    // 1 s for the probe, 1.2 s guard, then the answers (20 ms each).
    EXPECT_GE(took(), 2200ms);
    EXPECT_LT(took(), 2400ms);
    EXPECT_THAT(notes(), HasSubstr("step 1 of 3: escape to command mode"));
    EXPECT_THAT(notes(), HasSubstr("module recovered by escape in"));
}

TEST_F(ModuleRecoveryTest, WhenTheEscapeFailsTheModuleIsRestartedAndAwaited) {
    module.stuck = true;
    module.escapeWorks = false;
    start();
    scheduler.advanceInSteps(20s);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(recoveredBy, "reboot");
    EXPECT_THAT(module.log, Contains("/dev/ttyUSB2 AT+CFUN=1,1"));
    EXPECT_THAT(module.usbResets, IsEmpty());
    // Tries the modem port once a second while the ports are gone (5 s), then gets OK.
    EXPECT_GE(std::count(module.opened.begin(), module.opened.end(), "/dev/ttyUSB3"), 5);
    EXPECT_THAT(notes(), HasSubstr("step 2 of 3: restart the module (AT+CFUN=1,1 on /dev/ttyUSB2)"));
    EXPECT_THAT(notes(), HasSubstr("module recovered by reboot in"));
    EXPECT_GT(took(), 5s + 2200ms);
    EXPECT_LT(took(), 5s + 2200ms + 5s);
}

TEST_F(ModuleRecoveryTest, ASilentAtPortLeadsToAUsbReset) {
    module.stuck = true;
    module.escapeWorks = false;
    module.atSilent = true;
    start();
    scheduler.advanceInSteps(30s);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(recoveredBy, "usb-reset");
    EXPECT_THAT(module.usbResets, ElementsAre("1-1"));
    EXPECT_THAT(notes(), HasSubstr("AT+CFUN=1,1 got no answer"));
    EXPECT_THAT(notes(), HasSubstr("step 3 of 3: reset USB device 1-1"));
}

TEST_F(ModuleRecoveryTest, ARestartThatNeverAnswersFallsThroughToTheUsbReset) {
    module.stuck = true;
    module.escapeWorks = false;
    module.restartTime = 1000s;  // as if the reboot never finished
    module.usbResetWorks = false;
    start();
    scheduler.advanceInSteps(200s, 100ms);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(recoveredBy, std::nullopt);
    EXPECT_THAT(module.usbResets, ElementsAre("1-1"));
    EXPECT_THAT(notes(), HasSubstr("did not answer within 45 s (" ));
    EXPECT_THAT(notes(), HasSubstr("gave up after"));
}

TEST_F(ModuleRecoveryTest, AFixedPortModemWithoutAtPortHasOnlyTheEscape) {
    module.stuck = true;
    module.escapeWorks = false;
    start({"/dev/ttyUSB3", "", ""});
    scheduler.advanceInSteps(10s);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(recoveredBy, std::nullopt);
    EXPECT_THAT(notes(), HasSubstr("step 2 of 3: skipped: no separate AT port"));
    EXPECT_THAT(notes(), HasSubstr("step 3 of 3: skipped: not a USB modem"));
    EXPECT_THAT(module.usbResets, IsEmpty());
}

TEST_F(ModuleRecoveryTest, WhatAHostileModuleSaysIsNotedAsCleanText) {
    // The notes become the call log, the journal and Reset's reply, which sd-bus once refused to
    // send (the caller waited for NoReply) for a U+FFFE in the probe's answer.
    module.answers["/dev/ttyUSB3 AT"] = {"\xef\xbf\xbe\x1b[2J\xc2\x9b", "+CME ERROR: \xff\xfe"};
    start();
    scheduler.advanceInSteps(120s);
    ASSERT_EQ(calls, 1);
    EXPECT_EQ(recoveredBy, std::nullopt);
    for (const std::string& line : noted) EXPECT_TRUE(isCleanText(line)) << line;
    EXPECT_THAT(notes(), HasSubstr("recovery: AT answered '+CME ERROR: \\xff\\xfe'"));
    EXPECT_THAT(notes(), HasSubstr("did not answer within 45 s (+CME ERROR: \\xff\\xfe)"));
}

TEST_F(ModuleRecoveryTest, AbandonedMidwayItCallsNothing) {
    module.stuck = true;
    {
        ModuleRecovery shortLived{module, scheduler, &module, RecoveryLimits{}, [](std::string_view) {}};
        shortLived.start([] { return RecoveryPorts{"/dev/ttyUSB3", "/dev/ttyUSB2", ""}; },
                         [this](std::optional<std::string>) { ++calls; });
        scheduler.advanceInSteps(1500ms);
    }
    scheduler.advanceInSteps(10s);
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
}

TEST(FinalResult, TellsFinalResultsFromOtherLines) {
    for (const char* line : {"OK", "ERROR", "NO CARRIER", "BUSY", "+CME ERROR: 10", "CONNECT", "CONNECT 150000000"})
        EXPECT_TRUE(isFinalResult(line)) << line;
    for (const char* line : {"AT", "+CSQ: 24,99", "RDY", "OKAY", "CONNECTED"}) EXPECT_FALSE(isFinalResult(line)) << line;
}

}  // namespace
}  // namespace dialupd
