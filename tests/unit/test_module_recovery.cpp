// SPDX-License-Identifier: GPL-2.0-or-later
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

// The recovery, the module it talks to, and what it noted and answered.
struct Bench {
    explicit Bench(RecoveryLimits limits = {}) : limits(limits) {}

    void start() {
        recovery.start([this] { return ports; },
                       [this](std::optional<std::string> by) {
                           ++calls;
                           recoveredBy = by;
                           finishedAt = scheduler.monotonicNow();
                       });
        began = scheduler.monotonicNow();
    }
    // Runs the loop until the recovery is done, at most `span`.
    void runUntilDone(std::chrono::microseconds span = 300s) {
        for (auto ran = 0us; ran < span && calls == 0; ran += 10ms) scheduler.advance(10ms);
        scheduler.advanceInSteps(1s);  // anything left over would show up now
    }
    std::string notes() const {
        std::string all;
        for (const auto& line : noted) all += line + "\n";
        return all;
    }
    std::chrono::microseconds took() const { return finishedAt - began; }
    // Commands the module got on `port` ("AT", "+++"...), in order.
    std::vector<std::string> sentTo(const std::string& port) const {
        std::vector<std::string> sent;
        for (const auto& entry : module.log)
            if (entry.starts_with(port + " ")) sent.push_back(entry.substr(port.size() + 1));
        return sent;
    }

    RecoveryLimits limits;
    RecoveryPorts ports{"/dev/ttyUSB3", "/dev/ttyUSB2", "1-1"};
    FakeScheduler scheduler;
    FakeModule module{scheduler, "/dev/ttyUSB3", "/dev/ttyUSB2"};
    std::vector<std::string> noted;
    ModuleRecovery recovery{module, scheduler, &module, limits,
                            [this](std::string_view line) { noted.emplace_back(line); }};
    int calls = 0;
    std::optional<std::string> recoveredBy;
    std::chrono::microseconds began{0};
    std::chrono::microseconds finishedAt{0};
};

class ModuleRecoveryTest : public ::testing::Test, public Bench {
protected:
    void start(RecoveryPorts where = {"/dev/ttyUSB3", "/dev/ttyUSB2", "1-1"}) {
        ports = std::move(where);
        Bench::start();
    }
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
    EXPECT_THAT(notes(), HasSubstr("did not answer within 45 s ("));
    EXPECT_THAT(notes(), HasSubstr("gave up after"));
    // The longest ladder there is stays within the overall bound.
    EXPECT_THAT(notes(), Not(HasSubstr("overran")));
    EXPECT_LT(took(), RecoveryLimits{}.overallBound());
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
        shortLived.start(
            [] {
                return RecoveryPorts{"/dev/ttyUSB3", "/dev/ttyUSB2", ""};
            },
            [this](std::optional<std::string>) { ++calls; });
        scheduler.advanceInSteps(1500ms);
    }
    scheduler.advanceInSteps(10s);
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
}

// --- a port that closes at any step ---------------------------------------------------------
// Every wait of the ladder ends, whatever the port does meanwhile: a hang-up at each step
// leads to the next rung, to a success or to a failure, never to a recovery that waits forever.

// (port, text) -> true for the `n`th command `text` on `port`.
std::function<bool(const std::string&, const std::string&)> nth(std::string port, std::string text, int n) {
    auto seen = std::make_shared<int>(0);
    return
        [=](const std::string& path, const std::string& sent) { return path == port && sent == text && ++*seen == n; };
}

struct HangUpCase {
    const char* where;
    std::function<void(Bench&)> arrange;  // the module's faults, and when its port hangs up
    std::optional<std::string> recoveredBy;
    const char* noted;  // says what happened
};

const char* const kModemPort = "/dev/ttyUSB3";
const char* const kAtPort = "/dev/ttyUSB2";

std::vector<HangUpCase> hangUpCases() {
    auto at = [](Bench& bench, std::chrono::milliseconds when, std::function<void(Bench&)> what) {
        // The test's own timer: runs from the loop, as a tty's hang-up does.
        auto handle = std::make_shared<std::unique_ptr<TimerHandle>>();
        *handle = bench.scheduler.after(when, [&bench, what, handle] { what(bench); });
    };
    return {
        {"probe: the modem port hangs up instead of answering AT",
         [](Bench& b) { b.module.hangUpOn = nth(kModemPort, "AT", 1); }, "reboot",
         "/dev/ttyUSB3 hung up during the probe"},
        // The reported case: no answer to the probe (1 s), then the port hangs up 0.5 s into
        // the 1.2 s guard time.
        {"escape: the guard time before '+++'",
         [at](Bench& b) { at(b, 1500ms, [](Bench& b) { b.module.hangUp(kModemPort); }); }, "reboot",
         "/dev/ttyUSB3 hung up during the guard time before '+++'"},
        {"escape: '+++' sent, the guard time after it", [](Bench& b) { b.module.hangUpOn = nth(kModemPort, "+++", 1); },
         "reboot", "hung up during the guard time after '+++'"},
        {"escape: ATH", [](Bench& b) { b.module.hangUpOn = nth(kModemPort, "ATH", 1); }, "reboot",
         "hung up during ATH"},
        {"escape: the AT after ATH", [](Bench& b) { b.module.hangUpOn = nth(kModemPort, "AT", 2); }, "reboot",
         "hung up during the AT after ATH"},
        {"reboot: the AT port hangs up before its OK to AT+CFUN=1,1",
         [](Bench& b) {
             b.module.escapeWorks = false;
             b.module.hangUpOn = nth(kAtPort, "AT+CFUN=1,1", 1);
         },
         "reboot", "the AT port hung up before its OK"},
        {"reboot: the AT port hangs up right after its OK (the channel is being let go)",
         [](Bench& b) { b.module.escapeWorks = false; }, "reboot", "answers OK again"},
        {"awaiting the restart: the returned port hangs up instead of answering",
         [](Bench& b) {
             b.module.escapeWorks = false;
             b.module.hangUpOn = nth(kModemPort, "AT", 2);  // the probe's was the first
         },
         "reboot", "answers OK again"},
        {"awaiting the USB reset: the returned port hangs up instead of answering",
         [](Bench& b) {
             b.module.escapeWorks = false;
             b.module.rebootWorks = false;
             b.module.hangUpOn = nth(kModemPort, "AT", 2);
         },
         "usb-reset", "answers OK again"},
        {"awaiting the restart: the ports come back under other names",
         [at](Bench& b) {
             b.module.escapeWorks = false;
             at(b, 6000ms, [](Bench& b) {  // restarting by then (AT+CFUN=1,1 went out at 4.4 s)
                 b.module.renamePorts("/dev/ttyUSB7", "/dev/ttyUSB6");
                 b.ports = {"/dev/ttyUSB7", "/dev/ttyUSB6", "1-1"};  // what udev tells the daemon
             });
         },
         "reboot", "/dev/ttyUSB7 answers OK again"},
        {"escape: the module restarts by itself in the guard time (both ports go)",
         [at](Bench& b) { at(b, 1500ms, [](Bench& b) { b.module.restartByItself(); }); }, "reboot",
         "the module seems to restart by itself"},
        {"escape: hang-up in the guard time, a fixed-port modem with no AT port: a named failure",
         [at](Bench& b) {
             b.ports = {kModemPort, "", ""};
             at(b, 1500ms, [](Bench& b) { b.module.hangUp(kModemPort); });
         },
         std::nullopt, "gave up after"},
        {"escape: the module restarts by itself, never comes back, no USB reset: a named failure",
         [at](Bench& b) {
             b.ports = {kModemPort, kAtPort, ""};
             b.module.restartTime = 1000s;
             at(b, 1500ms, [](Bench& b) { b.module.restartByItself(); });
         },
         std::nullopt, "did not answer within 45 s (/dev/ttyUSB3: No such file or directory)"},
    };
}

TEST(ModuleRecoveryHangUp, EveryStepEndsWhenItsPortHangsUp) {
    for (const HangUpCase& c : hangUpCases()) {
        SCOPED_TRACE(c.where);
        Bench bench;
        bench.module.stuck = true;
        c.arrange(bench);
        bench.start();
        bench.runUntilDone();
        if (bench.calls != 1) {
            ADD_FAILURE() << "the recovery never ended; it noted:\n" << bench.notes();
            continue;  // the other steps still tell their story
        }
        EXPECT_EQ(bench.recoveredBy, c.recoveredBy) << bench.notes();
        EXPECT_THAT(bench.notes(), HasSubstr(c.noted));
        EXPECT_THAT(bench.notes(), Not(HasSubstr("overran")));
        EXPECT_EQ(bench.recovery.step(), ModuleRecovery::Step::Done);
        EXPECT_EQ(bench.scheduler.pendingTimers(), 0u) << "a wait outlived the recovery";
    }
}

TEST(ModuleRecoveryHangUp, WhicheverMomentThePortHangsUpTheRecoveryEnds) {
    // Sweeps the moment of the hang-up over the whole ladder (the escape, the restart, the
    // wait for the return), hanging up whatever port is open then.
    for (bool escapeWorks : {true, false}) {
        for (auto when = 0ms; when < 12s; when += 50ms) {
            SCOPED_TRACE(::testing::Message()
                         << "escape works: " << escapeWorks << ", hang-up at " << when.count() << " ms");
            Bench bench;
            bench.module.stuck = true;
            bench.module.escapeWorks = escapeWorks;
            auto hangUp = bench.scheduler.after(when, [&bench] {
                bench.module.hangUp(kModemPort);
                bench.module.hangUp(kAtPort);
            });
            bench.start();
            bench.runUntilDone();
            hangUp.reset();  // when it comes after the end
            ASSERT_EQ(bench.calls, 1) << "the recovery never ended; it noted:\n" << bench.notes();
            EXPECT_TRUE(bench.recoveredBy) << bench.notes();  // the restart is there to bring it back
            EXPECT_EQ(bench.scheduler.pendingTimers(), 0u);
        }
    }
}

TEST(ModuleRecoveryHangUp, ARecoveryPastItsOverallBoundEndsAsAFailureNamingItsStep) {
    RecoveryLimits limits;
    limits.overall = 3s;  // shorter than this ladder: probe 1 s, guard 1.2 s, '+++' waits 2.2 s
    Bench bench(limits);
    bench.module.stuck = true;
    bench.module.escapeWorks = false;
    bench.start();
    bench.runUntilDone();
    bench.scheduler.advanceInSteps(60s, 100ms);
    ASSERT_EQ(bench.calls, 1);
    EXPECT_EQ(bench.recoveredBy, std::nullopt);
    EXPECT_THAT(bench.notes(), HasSubstr("still at step ''+++' and the guard time after' after 3 s"));
    EXPECT_THAT(bench.notes(), HasSubstr("gave up after 3.0 s: the recovery overran its bound"));
    EXPECT_THAT(bench.sentTo(kAtPort), IsEmpty()) << "nothing goes on after the end";
    EXPECT_EQ(bench.scheduler.pendingTimers(), 0u);
}

TEST(ModuleRecoveryHangUp, TheDefaultBoundIsAboveTheLongestLadder) {
    RecoveryLimits limits;
    // probe 1, guard 1.2, '+++' 2.2, ATH 1, AT 1, CFUN 5, two waits of 45 + 1 + 1: 105.4 s; the
    // power cycle's ladder, its command's 60 s and one wait of 45 + 1 + 1: 107 s; a 10 s margin
    EXPECT_EQ(limits.overallBound(), 117000ms);
    limits.command = 10s;
    EXPECT_EQ(limits.overallBound(), 115400ms);
    limits.overall = 7s;
    EXPECT_EQ(limits.overallBound(), 7s);
}

}  // namespace
}  // namespace dialupd
