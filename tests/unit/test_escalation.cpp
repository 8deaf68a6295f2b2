// SPDX-License-Identifier: GPL-2.0-or-later
// Escalation after failed dials: which step each count names, what falls back when the module
// cannot take a step, and the hourly cap on a hand-moved clock.
#include "core/escalation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dialupd {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr EscalationMeans kAllMeans{true, true, true};

std::vector<EscalationStep> stepsFor(const EscalationSettings& settings, uint32_t upTo) {
    std::vector<EscalationStep> steps;
    for (uint32_t failures = 1; failures <= upTo; ++failures) steps.push_back(escalationStepFor(settings, failures));
    return steps;
}

TEST(Escalation, TheDefaultsRestartAfterThreeAndResetUsbAfterSixThenGoRound) {
    using S = EscalationStep;
    EXPECT_EQ(stepsFor({}, 13), (std::vector<S>{S::None, S::None, S::Restart, S::None, S::None, S::UsbReset, S::None,
                                                S::None, S::Restart, S::None, S::None, S::UsbReset, S::None}));
}

TEST(Escalation, APowerCycleAboveTheOthersWidensTheRound) {
    using S = EscalationStep;
    EscalationSettings settings;
    settings.powerCycleAfterFailures = 8;
    EXPECT_EQ(stepsFor(settings, 11), (std::vector<S>{S::None, S::None, S::Restart, S::None, S::None, S::UsbReset,
                                                      S::None, S::PowerCycle, S::None, S::None, S::Restart}));
}

TEST(Escalation, StepsSetToZeroAreOffAndTheStrongerWinsATie) {
    using S = EscalationStep;
    EscalationSettings settings;
    settings.resetAfterFailures = 0;
    settings.usbResetAfterFailures = 0;
    EXPECT_EQ(stepsFor(settings, 20), std::vector<S>(20, S::None));
    settings.resetAfterFailures = 2;
    settings.powerCycleAfterFailures = 2;
    EXPECT_EQ(stepsFor(settings, 4), (std::vector<S>{S::None, S::PowerCycle, S::None, S::PowerCycle}));
}

TEST(Escalation, TheDecisionNamesTheCountAndTheKeyThatTriggeredIt) {
    Escalation escalation;
    EscalationSettings settings;
    EXPECT_EQ(escalation.dialFailed(settings, kAllMeans, 0us).step, EscalationStep::None);
    EXPECT_TRUE(escalation.dialFailed(settings, kAllMeans, 0us).why.empty());
    EscalationDecision third = escalation.dialFailed(settings, kAllMeans, 0us);
    EXPECT_EQ(third.step, EscalationStep::Restart);
    EXPECT_EQ(third.failures, 3u);
    EXPECT_THAT(third.why, HasSubstr("3 failed dials in a row (reset-after-failures = 3)"));
    EXPECT_THAT(third.why, HasSubstr("AT+CFUN=1,1"));
    escalation.ran(0us);
    escalation.dialFailed(settings, kAllMeans, 0us);
    escalation.dialFailed(settings, kAllMeans, 0us);
    EscalationDecision sixth = escalation.dialFailed(settings, kAllMeans, 0us);
    EXPECT_EQ(sixth.step, EscalationStep::UsbReset);
    EXPECT_THAT(sixth.why, HasSubstr("6 failed dials in a row (usb-reset-after-failures = 6)"));
}

TEST(Escalation, TheLinkComingUpStartsTheCountAfresh) {
    Escalation escalation;
    EscalationSettings settings;
    escalation.dialFailed(settings, kAllMeans, 0us);
    escalation.dialFailed(settings, kAllMeans, 0us);
    escalation.linkUp();
    EXPECT_EQ(escalation.failures(), 0u);
    EXPECT_EQ(escalation.dialFailed(settings, kAllMeans, 0us).step, EscalationStep::None);
    EXPECT_EQ(escalation.dialFailed(settings, kAllMeans, 0us).step, EscalationStep::None);
    EXPECT_EQ(escalation.dialFailed(settings, kAllMeans, 0us).step, EscalationStep::Restart);
}

TEST(Escalation, AStepTheModuleCannotTakeFallsToAGentlerOne) {
    EscalationSettings settings;
    settings.resetAfterFailures = 0;
    settings.usbResetAfterFailures = 0;
    settings.powerCycleAfterFailures = 1;
    Escalation escalation;
    // No command: the USB reset.
    EscalationDecision decision = escalation.dialFailed(settings, {true, true, false}, 0us);
    EXPECT_EQ(decision.step, EscalationStep::UsbReset);
    EXPECT_THAT(decision.why, HasSubstr("power-cycle cannot be done here: usb-reset instead"));
    // A fixed port: the restart.
    EXPECT_EQ(escalation.dialFailed(settings, {true, false, false}, 0us).step, EscalationStep::Restart);
    // No separate AT port either: nothing, said so.
    decision = escalation.dialFailed(settings, {false, false, false}, 0us);
    EXPECT_EQ(decision.step, EscalationStep::None);
    EXPECT_THAT(decision.why, HasSubstr("no step"));
    EXPECT_THAT(decision.why, HasSubstr("the next dial goes ahead"));
}

TEST(Escalation, AtMostMaxResetsPerHourInASlidingHour) {
    EscalationSettings settings;
    settings.resetAfterFailures = 1;  // a step after every failed dial
    settings.usbResetAfterFailures = 0;
    settings.maxResetsPerHour = 2;
    Escalation escalation;
    auto now = 0us;
    auto failAndRun = [&] {
        EscalationDecision decision = escalation.dialFailed(settings, kAllMeans, now);
        if (decision.step != EscalationStep::None) escalation.ran(now);
        return decision;
    };
    EXPECT_EQ(failAndRun().step, EscalationStep::Restart);  // at 0 min
    now += 10min;
    EXPECT_EQ(failAndRun().step, EscalationStep::Restart);  // at 10 min
    now += 10min;
    EscalationDecision capped = failAndRun();  // at 20 min: two in the hour already
    EXPECT_EQ(capped.step, EscalationStep::None);
    EXPECT_THAT(capped.why,
                HasSubstr("restart skipped: 2 reset(s) in the last hour already (max-resets-per-hour = 2)"));
    now = 59min + 59s;
    EXPECT_EQ(failAndRun().step, EscalationStep::None);  // the first is still inside the hour
    now = 60min;
    EXPECT_EQ(failAndRun().step, EscalationStep::Restart);  // the first has left it
    EXPECT_EQ(escalation.resetsInWindow(now), 2u);
    now = 69min;
    EXPECT_EQ(failAndRun().step, EscalationStep::None);  // 10 min and 60 min are inside
    now = 70min;
    EXPECT_EQ(failAndRun().step, EscalationStep::Restart);
}

TEST(Escalation, NoResetsAtAllWithACapOfZero) {
    EscalationSettings settings;
    settings.maxResetsPerHour = 0;
    Escalation escalation;
    for (int i = 0; i < 12; ++i) EXPECT_EQ(escalation.dialFailed(settings, kAllMeans, 0us).step, EscalationStep::None);
}

}  // namespace
}  // namespace dialupd
