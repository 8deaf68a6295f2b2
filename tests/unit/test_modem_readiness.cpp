// SPDX-License-Identifier: GPL-2.0-or-later
// The readiness check as a Modem runs it before each dial (CallAttempt): against a module played
// by the test (fake_ec25.h) and a fake pppd, on a hand-moved clock. What a Connect(wait) is
// answered, LastExitReason, the Hangup and the redial after each way of not being ready.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <deque>

#include "core/modem.h"
#include "fake_ec25.h"
#include "fakes.h"
#include "transition_watch.h"

namespace dialupd {
namespace {

using namespace std::chrono_literals;
using testing::FakeEc25;
using testing::FakePppdRunner;
using testing::FakeScheduler;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TableProviders;

struct Recorder final : ModemObserver {
    explicit Recorder(Modem& modem) : modem(modem) { modem.setObserver(this); }
    void modemPropertiesChanged(const std::vector<ModemProperty>& changed) override {
        for (ModemProperty property : changed)
            if (property == ModemProperty::State) states.emplace_back(toString(modem.state()));
    }
    void modemHangup(const ExitReason& reason, std::chrono::microseconds, const std::string& log) override {
        hangups.push_back({reason, log});
    }
    struct Hangup {
        ExitReason reason;
        std::string log;
    };
    Modem& modem;
    std::vector<std::string> states;
    std::vector<Hangup> hangups;
};

struct Outcome {
    bool called = false;
    std::string errorName;
    std::string message;
    Completion completion() {
        return [this](const Error* error) {
            called = true;
            errorName = error ? error->name() : "";
            message = error ? error->what() : "";
        };
    }
};

class ModemReadinessTest : public ::testing::Test {
protected:
    ModemReadinessTest() {
        daemon.runtimeDir = "/run/dialupd-test";
        config.id = "m0";
        config.device = "/dev/ttyUSB3";
        config.atPort = "/dev/ttyUSB2";
        config.call.apn = "internet";
        config.call.apnGiven = true;
        services.atPorts = &module;
        services.providers = &providers;
        module.answers["ATI"] = {"Quectel", "EC25", "OK"};  // the snapshot after a failure
    }
    Modem& modem() {
        if (!modem_) {
            modem_ = std::make_unique<Modem>(
                config, daemon, runner, scheduler, [](const std::string&) { return true; }, services);
            recorder_ = std::make_unique<Recorder>(*modem_);
        }
        return *modem_;
    }
    Recorder& recorder() {
        modem();
        return *recorder_;
    }
    // Connect(wait) with `pin`, the clock moved on until the check is over.
    // (The outcome lives as long as the test: a call that gets online answers it later.)
    Outcome& connect(std::optional<std::string> pin = std::nullopt, std::chrono::milliseconds span = 10s) {
        CallOverrides overrides;
        if (pin) overrides.pin = Secret(*pin);
        Outcome& outcome = outcomes.emplace_back();
        modem().connect(overrides, true, outcome.completion());
        scheduler.advanceInSteps(span);
        return outcome;
    }
    size_t pinsSent() const {
        return std::count_if(module.sent.begin(), module.sent.end(),
                             [](const std::string& sent) { return sent.starts_with("AT+CPIN=\""); });
    }
    // Everything the PIN could have leaked into.
    void expectNoPinAnywhere(const std::string& pin) {
        for (const auto& hangup : recorder().hangups) EXPECT_THAT(hangup.log, Not(HasSubstr(pin)));
        for (const auto& launch : runner.launches)
            for (const std::string& arg : launch.argv) EXPECT_THAT(arg, Not(HasSubstr(pin)));
        EXPECT_THAT(modem().lastExitReason().description, Not(HasSubstr(pin)));
    }
    void expectNotReady(const Outcome& outcome, const char* error, uint32_t code, const char* name) {
        EXPECT_TRUE(outcome.called);
        EXPECT_EQ(outcome.errorName, error);
        EXPECT_TRUE(runner.launches.empty()) << "pppd ran";
        EXPECT_EQ(modem().state(), ModemState::Disconnected);
        EXPECT_EQ(modem().lastExitReason().code, code);
        EXPECT_EQ(modem().lastExitReason().name, name);
        ASSERT_EQ(recorder().hangups.size(), 1u);
        EXPECT_EQ(recorder().hangups[0].reason.code, code);
        EXPECT_THAT(recorder().hangups[0].log,
                    HasSubstr(fmt::format("the call failed before pppd ran: {} {}", code, name)));
    }

    DaemonSettings daemon;
    ModemConfig config;
    FakePppdRunner runner;
    FakeScheduler scheduler;
    FakeEc25 module{scheduler};
    TableProviders providers;
    ModemServices services;
    testing::TransitionWatch transitions;
    std::deque<Outcome> outcomes;

    // With the live status listening, a Connect whose check must ask the module again.
    void expectTheCheckAsks() {
        modem().setLiveStatus(std::make_unique<LiveStatus>(module, scheduler, "m0"));
        scheduler.advanceInSteps(5s);
        ASSERT_EQ(modem().liveStatus()->phase(), LiveStatus::Phase::Listening);
        const auto asked = static_cast<std::ptrdiff_t>(module.sent.size());
        modem().connect({}, false, [](const Error*) {});
        scheduler.advanceInSteps(1s);
        EXPECT_NE(std::find(module.sent.begin() + asked, module.sent.end(), "AT+CPIN?"), module.sent.end())
            << "the check did not ask the module";
    }

private:
    std::unique_ptr<Modem> modem_;
    std::unique_ptr<Recorder> recorder_;
};

TEST_F(ModemReadinessTest, AReadyModuleIsCheckedWhileConnectingThenDialled) {
    Outcome outcome;
    modem().connect({}, true, outcome.completion());
    EXPECT_EQ(modem().state(), ModemState::Connecting);
    EXPECT_TRUE(runner.launches.empty()) << "pppd before the check";
    scheduler.advanceInSteps(5s);
    ASSERT_EQ(runner.launches.size(), 1u);
    EXPECT_FALSE(outcome.called);
    runner.ipUp({"ppp0", "10.64.0.2", "10.64.0.1", {}});
    EXPECT_TRUE(outcome.called);
    EXPECT_EQ(outcome.errorName, "");
    EXPECT_EQ(recorder().states, (std::vector<std::string>{"connecting", "connected"}));
}

TEST_F(ModemReadinessTest, ALockedSimWithTheRightPinConnects) {
    module.sim = FakeEc25::Sim::Pin;
    Outcome& outcome = connect("1234");
    ASSERT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(pinsSent(), 1u);
    runner.ipUp({"ppp0", "10.64.0.2", "10.64.0.1", {}});
    EXPECT_EQ(outcome.errorName, "");
    EXPECT_EQ(modem().state(), ModemState::Connected);
    runner.exitWith(16);
    scheduler.advanceInSteps(10s);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("SIM unlocked"));
    expectNoPinAnywhere("1234");
}

TEST_F(ModemReadinessTest, TheSimPinFileIsReadWhenNoPinIsGiven) {
    module.sim = FakeEc25::Sim::Pin;
    config.simPinFile = "/etc/dialupd/m0.pin";
    std::vector<std::string> read;
    services.readSimPinFile = [&](const std::string& path) {
        read.push_back(path);
        return Secret("1234");
    };
    connect();
    EXPECT_EQ(read, (std::vector<std::string>{"/etc/dialupd/m0.pin"}));
    EXPECT_EQ(runner.launches.size(), 1u);
}

TEST_F(ModemReadinessTest, AWrongPinIsSimPinRejectedAndNeverSentAgain) {
    module.sim = FakeEc25::Sim::Pin;
    Outcome& outcome = connect("1111");
    expectNotReady(outcome, error_name::kSimPinRejected, 68, "sim-pin-rejected");
    EXPECT_EQ(pinsSent(), 1u);
    Outcome& again = connect("1111");
    EXPECT_EQ(again.errorName, error_name::kSimPinRejected);
    EXPECT_EQ(pinsSent(), 1u) << "the same wrong PIN was sent twice";
    EXPECT_EQ(recorder().hangups.size(), 2u);
    expectNoPinAnywhere("1111");
}

TEST_F(ModemReadinessTest, AModuleBackFromARestartMayBeGivenThePinAgain) {
    module.sim = FakeEc25::Sim::Pin;
    connect("1111");
    modem().deviceReattached(config.device, config.atPort);
    connect("1111");
    EXPECT_EQ(pinsSent(), 2u);
}

TEST_F(ModemReadinessTest, APukLockedSimIsSimPukRequiredWithoutRedial) {
    module.sim = FakeEc25::Sim::Puk;
    config.call.reconnect.enabled = true;
    Outcome& outcome = connect("1234");
    expectNotReady(outcome, error_name::kSimPukRequired, 69, "sim-puk-required");
    EXPECT_EQ(pinsSent(), 0u);
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("no redial: a redial cannot fix a PIN"));
}

TEST_F(ModemReadinessTest, NoSimIsSimMissing) {
    module.sim = FakeEc25::Sim::Missing;
    expectNotReady(connect(), error_name::kSimMissing, 70, "sim-missing");
}

TEST_F(ModemReadinessTest, ARegistrationThatTakesAWhileIsWaitedFor) {
    module.eps = module.ps = module.cs = 2;
    Outcome outcome;
    modem().connect({}, true, outcome.completion());
    scheduler.advanceInSteps(5s);
    EXPECT_TRUE(runner.launches.empty());
    EXPECT_EQ(modem().state(), ModemState::Connecting);
    module.epsBecomes(1);
    scheduler.advanceInSteps(1s);
    ASSERT_EQ(runner.launches.size(), 1u);
    runner.ipUp({"ppp0", "10.64.0.2", "10.64.0.1", {}});
    EXPECT_EQ(outcome.errorName, "");
    EXPECT_EQ(modem().state(), ModemState::Connected);
}

TEST_F(ModemReadinessTest, ADeniedRegistrationIsRegistrationDenied) {
    module.eps = module.ps = module.cs = 3;
    expectNotReady(connect(), error_name::kRegistrationDenied, 71, "registration-denied");
}

TEST_F(ModemReadinessTest, RoamingWhenNotAllowedIsRoamingNotAllowed) {
    module.eps = module.ps = module.cs = 5;
    config.call.allowRoaming = false;
    expectNotReady(connect(), error_name::kRoamingNotAllowed, 72, "roaming-not-allowed");
}

TEST_F(ModemReadinessTest, NotRegisteredInTimeIsRedialledWithBackoff) {
    module.eps = module.ps = module.cs = 2;
    config.call.registrationTimeoutSeconds = 3;
    config.call.reconnect.enabled = true;
    config.call.reconnect.delaySeconds = 5;
    services.random = [] { return 0.5; };
    Outcome& outcome = connect(std::nullopt, 4s);  // the timeout, AT+CSQ, the snapshot: not the redial
    expectNotReady(outcome, error_name::kNotRegistered, 73, "not-registered");
    EXPECT_NE(modem().nextReconnectUsec(), 0u);
    EXPECT_EQ(modem().reconnectAttempts(), 1u);
    module.eps = 1;  // the network came meanwhile
    scheduler.advanceInSteps(10s);
    ASSERT_EQ(runner.launches.size(), 1u) << "no redial after NotRegistered";
    EXPECT_EQ(std::count(module.sent.begin(), module.sent.end(), "AT+CPIN?"), 2 + 1);  // 2 checks, 1 snapshot
}

TEST_F(ModemReadinessTest, WithoutAnApnTheProviderDatabaseGivesOne) {
    config.call.apnGiven = false;
    connect();
    ASSERT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(providers.lookups, (std::vector<std::string>{"262011234567890"}));
    runner.exitWith(16);
    scheduler.advanceInSteps(10s);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    const std::string& log = recorder().hangups[0].log;
    EXPECT_THAT(log, HasSubstr("APN from test-providers.xml: internet.telekom"));
    EXPECT_THAT(log, HasSubstr("apn 'internet.telekom'"));
}

TEST_F(ModemReadinessTest, AnUnknownNetworkWithoutAnApnIsApnRequiredWithoutRedial) {
    config.call.apnGiven = false;
    config.call.reconnect.enabled = true;
    module.imsi = "999991234567890";
    expectNotReady(connect(), error_name::kApnRequired, 74, "apn-required");
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
}

TEST_F(ModemReadinessTest, DisconnectDuringTheCheckCancelsIt) {
    module.eps = module.ps = module.cs = 2;
    Outcome connecting, disconnecting;
    modem().connect({}, true, connecting.completion());
    scheduler.advanceInSteps(1s);
    modem().disconnect(disconnecting.completion());
    EXPECT_TRUE(disconnecting.called);
    EXPECT_EQ(disconnecting.errorName, "");
    EXPECT_EQ(connecting.errorName, error_name::kCancelled);
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
    module.epsBecomes(1);
    scheduler.advanceInSteps(10s);
    EXPECT_TRUE(runner.launches.empty());
    EXPECT_TRUE(recorder().hangups.empty());
    EXPECT_EQ(module.channel, nullptr) << "the AT port is still open";
}

TEST_F(ModemReadinessTest, ACancelledChecksLateAnswerDoesNotReachTheNextCheck) {
    // Seen in the load storm: a Disconnect while AT+CEREG=2 waited, a Connect at once, and the
    // next check read every answer one command late (AT+CPIN? -> OK, AT+CIMI -> OK: ApnRequired).
    config.call.apnGiven = false;
    module.echo = true;
    module.answersOutliveThePort = true;
    module.delay = 500ms;
    Outcome first, disconnecting, second;
    modem().connect({}, true, first.completion());
    scheduler.advanceInSteps(700ms);  // AT+CPIN? answered at 500 ms; AT+CEREG=2 waits
    ASSERT_EQ(module.sent.back(), "AT+CEREG=2");
    modem().disconnect(disconnecting.completion());
    EXPECT_EQ(first.errorName, error_name::kCancelled);
    modem().connect({}, true, second.completion());
    scheduler.advanceInSteps(30s);
    EXPECT_EQ(second.errorName, "") << second.message;
    ASSERT_EQ(runner.launches.size(), 1u) << "the second check did not dial";
    EXPECT_EQ(std::count(module.sent.begin(), module.sent.end(), "AT+CIMI"), 1);
    // Its first command went out only once the first check's last answer was in.
    EXPECT_EQ(std::count(module.sent.begin(), module.sent.end(), "AT+CPIN?"), 2);
}

TEST_F(ModemReadinessTest, WithoutAnAtPortTheCheckIsSkippedAndSaidSo) {
    config.atPort = "";
    Outcome outcome;
    modem().connect({}, false, outcome.completion());
    ASSERT_EQ(runner.launches.size(), 1u);  // at once, as before the check existed
    runner.exitWith(16);
    scheduler.advanceInSteps(10s);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("no AT port: SIM and registration not checked before the dial"));
    EXPECT_TRUE(module.opened.empty());
}

// With the live status listening on the AT port (it read the SIM and the registration and hears
// their URCs), its "ready" is the check's: the dial starts at once, nothing is asked again.
TEST_F(ModemReadinessTest, AListeningLiveStatusThatKnowsTheModuleReadySkipsTheCheck) {
    modem().setLiveStatus(std::make_unique<LiveStatus>(module, scheduler, "m0"));
    scheduler.advanceInSteps(5s);
    ASSERT_EQ(modem().liveStatus()->phase(), LiveStatus::Phase::Listening);
    const size_t sentBefore = module.sent.size();
    Outcome outcome;
    modem().connect({}, false, outcome.completion());
    ASSERT_EQ(runner.launches.size(), 1u);  // at once: no turn on the port, no answer awaited
    EXPECT_EQ(module.sent.size(), sentBefore) << module.sent.back();
    runner.exitWith(16);
    scheduler.advanceInSteps(10s);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log,
                HasSubstr("ready: SIM ready, registered home (as the live status on /dev/ttyUSB2 last heard"));
}

// What the live status knows decides only a "ready": a network still searching, a roaming one
// not allowed, a CS-only registration or a missing APN go through the check, which asks again.
TEST_F(ModemReadinessTest, TheLiveStatusDecidesNothingButReadySearching) {
    module.eps = module.ps = module.cs = 2;
    expectTheCheckAsks();
}

TEST_F(ModemReadinessTest, TheLiveStatusDecidesNothingButReadyRoamingNotAllowed) {
    module.eps = module.ps = module.cs = 5;
    config.call.allowRoaming = false;
    expectTheCheckAsks();
}

TEST_F(ModemReadinessTest, TheLiveStatusDecidesNothingButReadyCsOnly) {
    module.eps = module.ps = 2;
    expectTheCheckAsks();
}

TEST_F(ModemReadinessTest, TheLiveStatusDecidesNothingButReadyNoApn) {
    config.call.apnGiven = false;
    expectTheCheckAsks();
}

}  // namespace
}  // namespace dialupd
