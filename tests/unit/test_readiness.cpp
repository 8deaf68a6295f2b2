// SPDX-License-Identifier: GPL-2.0-or-later
// The checks before a dial, against a module played by the test: its SIM (locked, a retry
// counter, PUK, missing), its registration (home, roaming, denied, after a while, by URC), its
// IMSI and a provider database; every branch of issue 20's list, on a hand-moved clock.
#include "core/readiness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "fake_ec25.h"
#include "fakes.h"

namespace dialupd {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using testing::FakeEc25;
using testing::FakeScheduler;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TableProviders;

class ReadinessTest : public ::testing::Test {
protected:
    void run(std::optional<std::string> pin = std::nullopt) {
        outcome.reset();
        error.reset();
        PinSource source = [pin]() -> std::optional<Secret> {
            if (!pin) return std::nullopt;
            return Secret(*pin);
        };
        began = scheduler.monotonicNow();
        check.start(
            settings, source, [this](std::string_view line) { notes.emplace_back(line); },
            [this](Readiness readiness, std::optional<Error> failed) {
                ++calls;
                outcome = std::move(readiness);
                error = std::move(failed);
                endedAt = scheduler.monotonicNow();
            });
    }
    void runToEnd(std::optional<std::string> pin = std::nullopt, std::chrono::milliseconds span = 5s) {
        run(std::move(pin));
        scheduler.advanceInSteps(span);
        ASSERT_TRUE(outcome) << "the check did not end";
    }
    std::string errorName() const { return error ? error->name() : ""; }
    std::string allNotes() const { return fmt::format("{}", fmt::join(notes, "\n")); }
    size_t pinCommandsSent() const {
        return std::count_if(module.sent.begin(), module.sent.end(),
                             [](const std::string& command) { return command.starts_with("AT+CPIN=\""); });
    }

    FakeScheduler scheduler;
    FakeEc25 module{scheduler};
    TableProviders providers;
    FailedPins failedPins;
    ReadinessCheck check{module, scheduler, providers, failedPins};
    ReadinessSettings settings{
        .atPort = "/dev/ttyUSB2", .apnGiven = true, .allowRoaming = true, .registrationTimeout = 60s, .answer = 1s};
    std::vector<std::string> notes;
    std::optional<Readiness> outcome;
    std::optional<Error> error;
    int calls = 0;
    std::chrono::microseconds began{0}, endedAt{0};
};

TEST_F(ReadinessTest, AReadySimOnItsHomeNetworkGoesStraightOn) {
    runToEnd();
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(errorName(), "");
    EXPECT_TRUE(outcome->checked);
    EXPECT_EQ(outcome->sim, SimState::Ready);
    EXPECT_EQ(outcome->registration, Registration::Home);
    EXPECT_EQ(outcome->apn, std::nullopt);  // an APN was given: no IMSI read, no lookup
    EXPECT_THAT(module.sent, ::testing::ElementsAre("AT+CPIN?", "AT+CEREG=2", "AT+CGREG=2", "AT+CREG=2", "AT+CEREG?",
                                                    "AT+CGREG?", "AT+CREG?"));
    EXPECT_TRUE(providers.lookups.empty());
    EXPECT_THAT(notes, Contains("AT+CPIN? -> +CPIN: READY"));
    EXPECT_THAT(notes, Contains("AT+CEREG? -> +CEREG: 2,1,\"1A2B\",\"01A2D001\",7"));
    EXPECT_THAT(notes, Contains("ready: SIM ready, registered home"));
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
}

TEST_F(ReadinessTest, CallsBackFromTheLoopOnlyAndNotWhenDestroyedFirst) {
    settings.atPort = "";
    run();
    EXPECT_EQ(calls, 0);  // not from inside start()
    scheduler.runDeferred();
    EXPECT_EQ(calls, 1);

    auto abandoned = std::make_unique<ReadinessCheck>(module, scheduler, providers, failedPins);
    bool called = false;
    settings.atPort = "/dev/ttyUSB2";
    abandoned->start(
        settings, {}, [](std::string_view) {}, [&called](Readiness, std::optional<Error>) { called = true; });
    scheduler.advance(30ms);
    abandoned.reset();
    scheduler.advanceInSteps(2s);
    EXPECT_FALSE(called);
}

TEST_F(ReadinessTest, ALockedSimTakesTheRightPinAsASecret) {
    module.sim = FakeEc25::Sim::Pin;
    module.echo = true;  // the module repeats the command, PIN and all
    runToEnd("1234");
    EXPECT_EQ(errorName(), "");
    EXPECT_EQ(outcome->sim, SimState::Ready);
    EXPECT_EQ(module.sim, FakeEc25::Sim::Ready);
    EXPECT_THAT(module.sent, Contains("AT+QPINC=\"SC\""));
    EXPECT_EQ(pinCommandsSent(), 1u);
    EXPECT_EQ(module.secretSends, 1);  // through the channel's secret send, and only it
    EXPECT_THAT(notes, Contains("AT+QPINC=\"SC\" -> +QPINC: \"SC\",3,10"));
    EXPECT_THAT(notes, Contains("AT+CPIN=\"<hidden>\" -> OK"));
    EXPECT_THAT(notes, Contains("SIM unlocked"));
    EXPECT_THAT(allNotes(), Not(HasSubstr("1234")));
    EXPECT_EQ(failedPins.size(), 0u);
}

TEST_F(ReadinessTest, AWrongPinIsRejectedAndNeverSentAgain) {
    module.sim = FakeEc25::Sim::Pin;
    runToEnd("9999");
    EXPECT_EQ(errorName(), error_name::kSimPinRejected);
    EXPECT_THAT(error->what(), HasSubstr("+CME ERROR: 16 (incorrect password)"));
    EXPECT_EQ(module.pinRetries, 2u);
    EXPECT_EQ(failedPins.size(), 1u);
    EXPECT_THAT(allNotes(), Not(HasSubstr("9999")));

    // The next Connect with the same PIN: refused before anything is sent, the SIM keeps its tries.
    module.sent.clear();
    runToEnd("9999");
    EXPECT_EQ(errorName(), error_name::kSimPinRejected);
    EXPECT_THAT(error->what(), HasSubstr("refused by the SIM before"));
    EXPECT_EQ(pinCommandsSent(), 0u);
    EXPECT_EQ(module.pinRetries, 2u);

    // Another PIN is tried (2 tries left), and the right one unlocks.
    runToEnd("1234");
    EXPECT_EQ(errorName(), "");
    EXPECT_EQ(pinCommandsSent(), 1u);
}

TEST_F(ReadinessTest, OneTryLeftIsNotRiskedNothingIsSent) {
    module.sim = FakeEc25::Sim::Pin;
    module.pinRetries = 1;
    runToEnd("1234");  // even the right PIN: dialupd cannot know it is right
    EXPECT_EQ(errorName(), error_name::kSimPinRejected);
    EXPECT_THAT(error->what(), HasSubstr("only 1 PIN try left"));
    EXPECT_EQ(pinCommandsSent(), 0u);
    EXPECT_EQ(module.pinRetries, 1u);
    EXPECT_EQ(module.sim, FakeEc25::Sim::Pin);
}

TEST_F(ReadinessTest, AModuleThatDoesNotTellItsRetriesGetsNoPin) {
    module.sim = FakeEc25::Sim::Pin;
    module.answers["AT+QPINC=\"SC\""] = {"ERROR"};
    runToEnd("1234");
    EXPECT_EQ(errorName(), error_name::kSimPinRejected);
    EXPECT_EQ(pinCommandsSent(), 0u);
}

TEST_F(ReadinessTest, ALockedSimWithoutAPinIsSimPinRequired) {
    module.sim = FakeEc25::Sim::Pin;
    runToEnd();
    EXPECT_EQ(errorName(), error_name::kSimPinRequired);
    EXPECT_THAT(error->what(), HasSubstr("no PIN was given"));
    EXPECT_EQ(pinCommandsSent(), 0u);
    EXPECT_THAT(module.sent, Not(Contains("AT+QPINC=\"SC\"")));
}

TEST_F(ReadinessTest, APinThatIsNoPinIsNotSent) {
    module.sim = FakeEc25::Sim::Pin;
    for (const char* pin : {"12", "123456789", "12\"4", "12\r4", "abcd"}) {
        runToEnd(pin);
        EXPECT_EQ(errorName(), error_name::kSimPinRejected) << pin;
    }
    EXPECT_EQ(pinCommandsSent(), 0u);
}

TEST_F(ReadinessTest, APinSourceThatFailsEndsTheCheckWithItsError) {
    module.sim = FakeEc25::Sim::Pin;
    check.start(
        settings,
        []() -> std::optional<Secret> {
            throw Error(error_name::kInvalidArgument, "sim-pin-file /etc/pin is readable by other users");
        },
        [this](std::string_view line) { notes.emplace_back(line); },
        [this](Readiness readiness, std::optional<Error> failed) {
            outcome = std::move(readiness);
            error = std::move(failed);
        });
    scheduler.advanceInSteps(2s);
    EXPECT_EQ(errorName(), error_name::kInvalidArgument);
    EXPECT_EQ(pinCommandsSent(), 0u);
}

TEST_F(ReadinessTest, ThePukIsNeverGuessed) {
    module.sim = FakeEc25::Sim::Puk;
    runToEnd("1234");
    EXPECT_EQ(errorName(), error_name::kSimPukRequired);
    EXPECT_THAT(module.sent, ::testing::ElementsAre("AT+CPIN?"));
    EXPECT_EQ(outcome->sim, SimState::PukRequired);
}

TEST_F(ReadinessTest, NoSimIsSimMissing) {
    module.sim = FakeEc25::Sim::Missing;
    runToEnd();
    EXPECT_EQ(errorName(), error_name::kSimMissing);
    EXPECT_THAT(error->what(), HasSubstr("+CME ERROR: 10 (SIM not inserted)"));
    EXPECT_THAT(notes, Contains("AT+CPIN? -> +CME ERROR: 10 (SIM not inserted)"));
}

TEST_F(ReadinessTest, RegistrationThatComesLaterIsAwaitedByItsUnsolicitedCode) {
    module.eps = 2;
    module.ps = 2;
    module.cs = 2;
    auto registers = scheduler.after(5s, [this] { module.epsBecomes(1); });
    run();
    scheduler.advanceInSteps(1s);
    EXPECT_FALSE(outcome);
    size_t sentWhileWaiting = module.sent.size();
    EXPECT_THAT(
        notes,
        Contains(HasSubstr("not registered yet (EPS searching, PS searching, CS searching): waiting up to 60 s")));
    scheduler.advanceInSteps(3900ms);
    EXPECT_FALSE(outcome);
    EXPECT_EQ(module.sent.size(), sentWhileWaiting);  // no polling: nothing asked while waiting
    scheduler.advanceInSteps(200ms);
    ASSERT_TRUE(outcome);
    EXPECT_EQ(errorName(), "");
    EXPECT_EQ(outcome->registration, Registration::Home);
    EXPECT_GE(endedAt - began, 5s);
    EXPECT_LT(endedAt - began, 5100ms);  // at the URC, not at a timeout or a poll
    EXPECT_THAT(notes, Contains("(unsolicited) +CEREG: 1,\"1A2B\",\"01A2D001\",7"));
    EXPECT_EQ(scheduler.pendingTimers(), 0u);  // the registration timer is gone
}

TEST_F(ReadinessTest, NoRegistrationWithinTheTimeoutIsNotRegisteredWithStateAndSignal) {
    module.eps = 2;
    module.ps = 0;
    module.cs = 2;
    settings.registrationTimeout = 20s;
    run();
    scheduler.advanceInSteps(19s);
    EXPECT_FALSE(outcome);
    scheduler.advanceInSteps(2s);
    ASSERT_TRUE(outcome);
    EXPECT_EQ(errorName(), error_name::kNotRegistered);
    EXPECT_THAT(error->what(), HasSubstr("not registered within 20 s"));
    EXPECT_THAT(error->what(), HasSubstr("EPS searching, PS idle, CS searching"));
    EXPECT_THAT(error->what(), HasSubstr("signal +CSQ: 12,99"));
    EXPECT_EQ(module.sent.back(), "AT+CSQ");
}

TEST_F(ReadinessTest, ADeniedRegistrationIsRegistrationDenied) {
    module.eps = 3;
    module.ps = 3;
    module.cs = 3;
    runToEnd();
    EXPECT_EQ(errorName(), error_name::kRegistrationDenied);
    EXPECT_THAT(error->what(), HasSubstr("EPS denied"));
    EXPECT_EQ(outcome->registration, Registration::Denied);
}

TEST_F(ReadinessTest, ADenialWhileWaitingEndsTheWait) {
    module.eps = 2;
    module.ps = 0;
    auto denied = scheduler.after(3s, [this] { module.epsBecomes(3); });
    run();
    scheduler.advanceInSteps(4s);
    ASSERT_TRUE(outcome);
    EXPECT_EQ(errorName(), error_name::kRegistrationDenied);
}

TEST_F(ReadinessTest, RoamingGoesOnUnlessRoamingIsNotAllowed) {
    module.eps = 5;
    module.ps = 5;
    module.cs = 5;
    runToEnd();
    EXPECT_EQ(errorName(), "");
    EXPECT_EQ(outcome->registration, Registration::Roaming);

    settings.allowRoaming = false;
    runToEnd();
    EXPECT_EQ(errorName(), error_name::kRoamingNotAllowed);
    EXPECT_THAT(error->what(), HasSubstr("allow-roaming is no"));
}

TEST_F(ReadinessTest, TheDataDomainsDecideNotCircuitSwitched) {
    module.eps = 2;
    module.ps = 2;
    module.cs = 1;  // registered for calls, not for data
    settings.registrationTimeout = 5s;
    runToEnd(std::nullopt, 8s);
    EXPECT_EQ(errorName(), error_name::kNotRegistered);
    // A module that tells only +CREG: that one decides.
    module.answers["AT+CEREG?"] = {"ERROR"};
    module.answers["AT+CGREG?"] = {"ERROR"};
    runToEnd();
    EXPECT_EQ(errorName(), "");
}

TEST_F(ReadinessTest, AModuleRefusingAnUrcSettingGoesOn) {
    module.answers["AT+CGREG=2"] = {"+CME ERROR: 4"};
    module.answers["AT+CREG=2"] = {"ERROR"};
    runToEnd();
    EXPECT_EQ(errorName(), "");
    EXPECT_THAT(notes, Contains("AT+CGREG=2 -> +CME ERROR: 4 (operation not supported)"));
}

TEST_F(ReadinessTest, WithoutAnApnTheDatabaseGivesOneNamedInTheLog) {
    settings.apnGiven = false;
    runToEnd();
    EXPECT_EQ(errorName(), "");
    ASSERT_TRUE(outcome->apn);
    EXPECT_EQ(outcome->apn->apn, "internet.telekom");
    EXPECT_EQ(outcome->apn->username, "t-mobile");
    EXPECT_EQ(outcome->imsi, "262011234567890");
    EXPECT_THAT(providers.lookups, ::testing::ElementsAre("262011234567890"));
    EXPECT_THAT(notes, Contains("APN from test-providers.xml: internet.telekom (Default) of Telekom, MCC 262 MNC 01, "
                                "user t-mobile, with a password"));
    EXPECT_THAT(allNotes(), Not(HasSubstr("1234567890")));  // the subscriber's part of the IMSI
    EXPECT_THAT(allNotes(), Not(HasSubstr("tm")));
}

TEST_F(ReadinessTest, AnUnknownNetworkIsApnRequired) {
    settings.apnGiven = false;
    module.imsi = "001011234567890";
    runToEnd();
    EXPECT_EQ(errorName(), error_name::kApnRequired);
    EXPECT_THAT(error->what(), HasSubstr("test-providers.xml has none for MCC 001 MNC 01 or 011"));
    EXPECT_EQ(outcome->imsi, "001011234567890");

    providers.broken = true;
    module.imsi = "262011234567890";
    runToEnd();
    EXPECT_EQ(errorName(), error_name::kApnRequired);
    EXPECT_THAT(error->what(), HasSubstr("not well-formed"));

    module.answers["AT+CIMI"] = {"+CME ERROR: 10"};
    runToEnd();
    EXPECT_EQ(errorName(), error_name::kApnRequired);
    EXPECT_THAT(error->what(), HasSubstr("did not tell its IMSI"));
}

TEST_F(ReadinessTest, AUrcInsideAnAnswerIsNeitherLostNorTakenForTheAnswer) {
    // The network registers while the module answers AT+CPIN? and AT+CIMI, and roams while it
    // answers AT+CEREG? (after its answer "searching").
    module.eps = 2;
    module.ps = 0;
    module.cs = 0;
    settings.apnGiven = false;
    module.urcsInAnswer["AT+CPIN?"] = {"+CEREG: 2"};
    module.urcsInAnswer["AT+CIMI"] = {"+CEREG: 1,\"1A2B\",\"01A2D001\",7", "+QIND: \"csq\",20,99"};
    module.answers["AT+CEREG?"] = {"+CEREG: 2,2", "+CEREG: 5,\"1A2B\",\"01A2D001\",7", "OK"};
    runToEnd();
    EXPECT_EQ(errorName(), "");
    EXPECT_EQ(outcome->sim, SimState::Ready);                 // the +CEREG before it was not the answer
    EXPECT_EQ(outcome->imsi, "262011234567890");              // nor before this one
    EXPECT_EQ(outcome->registration, Registration::Roaming);  // the URC after the answer is the newer news
    EXPECT_THAT(notes, Contains("AT+CPIN? -> +CPIN: READY"));
    EXPECT_THAT(notes, Contains("(unsolicited, during AT+CPIN?) +CEREG: 2"));
    EXPECT_THAT(notes, Contains("(unsolicited, during AT+CIMI) +QIND: \"csq\",20,99"));
    EXPECT_THAT(notes, Contains("AT+CEREG? -> +CEREG: 2,2"));
    EXPECT_THAT(notes, Contains("(unsolicited, during AT+CEREG?) +CEREG: 5,\"1A2B\",\"01A2D001\",7"));
    EXPECT_EQ(endedAt - began, 160ms);  // 8 commands, 20 ms each: no wait for registration
}

TEST_F(ReadinessTest, WithoutAUsableAtPortTheChecksAreSkippedAndSaidSo) {
    settings.atPort = "";
    runToEnd();
    EXPECT_EQ(errorName(), "");
    EXPECT_FALSE(outcome->checked);
    EXPECT_EQ(outcome->skipped, "no AT port");
    EXPECT_THAT(notes, ::testing::ElementsAre("no AT port: SIM and registration not checked before the dial"));
    EXPECT_TRUE(module.opened.empty());

    module.openError = AtPortError(AtPortError::Kind::Busy, "/dev/ttyUSB2 is locked by pid 42");
    settings.atPort = "/dev/ttyUSB2";
    runToEnd();
    EXPECT_EQ(errorName(), "");
    EXPECT_EQ(outcome->skipped, "AT port busy: /dev/ttyUSB2 is locked by pid 42");
    module.openError.reset();

    module.silent = true;
    runToEnd();
    EXPECT_EQ(errorName(), "");
    EXPECT_FALSE(outcome->checked);
    EXPECT_EQ(outcome->skipped, "no answer to AT+CPIN? within 1000 ms");
    EXPECT_EQ(endedAt - began, 1s);

    // Without an APN, nothing is looked up: the dial goes on with the built-in one, as before.
    settings.apnGiven = false;
    runToEnd();
    EXPECT_EQ(errorName(), "");
    EXPECT_EQ(outcome->apn, std::nullopt);
    EXPECT_THAT(notes.back(), HasSubstr("no APN looked up"));
}

TEST_F(ReadinessTest, AbandonedWhileWaitingForTheNetworkItLeavesNoTimerAndNoCallback) {
    module.eps = 2;
    module.ps = 2;
    auto abandoned = std::make_unique<ReadinessCheck>(module, scheduler, providers, failedPins);
    bool called = false;
    abandoned->start(
        settings, {}, [](std::string_view) {}, [&called](Readiness, std::optional<Error>) { called = true; });
    scheduler.advanceInSteps(1s);
    ASSERT_NE(module.channel, nullptr);
    abandoned.reset();
    scheduler.advanceInSteps(100ms);
    EXPECT_EQ(module.channel, nullptr);  // the port is let go
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
    module.epsBecomes(1);
    scheduler.advanceInSteps(61s);
    EXPECT_FALSE(called);
}

}  // namespace
}  // namespace dialupd
