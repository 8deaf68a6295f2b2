// SPDX-License-Identifier: GPL-2.0-or-later
// The call state machine, driven by a fake pppd and a hand-moved clock.
#include "core/modem.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <optional>

#include "core/diag_log_config.h"
#include "core/text.h"
#include "fake_link_services.h"
#include "fakes.h"
#include "transition_watch.h"

namespace dialupd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using testing::FakeAtPort;
using testing::FakeCallLogStore;
using testing::FakeModule;
using testing::FakePppdRunner;
using testing::FakeScheduler;

struct Recorder final : ModemObserver {
    explicit Recorder(Modem& modem) : modem(modem) { modem.setObserver(this); }
    void modemPropertiesChanged(const std::vector<ModemProperty>& changed) override {
        for (ModemProperty property : changed)
            if (property == ModemProperty::State) states.emplace_back(toString(modem.state()));
        changes.push_back(changed);
    }
    void modemHangup(const ExitReason& reason, std::chrono::microseconds duration, const std::string& log) override {
        hangups.push_back({reason, duration, log});
    }
    struct Hangup {
        ExitReason reason;
        std::chrono::microseconds duration;
        std::string log;
    };
    Modem& modem;
    std::vector<std::string> states;
    std::vector<std::vector<ModemProperty>> changes;
    std::vector<Hangup> hangups;
};

// What a Completion was called with.
struct Outcome {
    bool called = false;
    std::optional<std::string> errorName;
    std::string message;
    Completion completion() {
        return [this](const Error* error) {
            called = true;
            if (error) {
                errorName = error->name();
                message = error->what();
            }
        };
    }
};

class ModemTest : public ::testing::Test {
protected:
    ModemTest() {
        daemon.pluginPath = "/usr/lib/pppd/2.4.9/dialupd-pppd-plugin.so";
        daemon.runtimeDir = "/run/dialupd-test";
        daemon.stopTimeout = 20s;
        config.id = "m0";
        config.device = "/dev/ttyUSB3";
        config.call.apn = "internet";
    }
    Modem& modem() {
        if (!modem_) {
            modem_ = std::make_unique<Modem>(
                config, daemon, runner, scheduler, [this](const std::string&) { return deviceExists; }, services);
            recorder_ = std::make_unique<Recorder>(*modem_);
        }
        return *modem_;
    }
    Recorder& recorder() {
        modem();
        return *recorder_;
    }
    static IpConfig sampleIp() { return {"ppp0", "10.64.0.2", "10.64.0.1", {"10.64.0.53", "10.64.0.54"}}; }

    // A modem with an AT port whose snapshot answers, and a store for finished calls.
    Modem& diagnosedModem() {
        config.atPort = "/dev/ttyUSB2";
        atPort.answerLikeAnEc25();
        services.atPorts = &atPort;
        services.callLogs = &store;
        return modem();
    }
    static PluginReport stats(uint64_t in, uint64_t out) {
        PluginReport report;
        report.kind = PluginReport::Kind::Stats;
        report.bytesIn = in;
        report.bytesOut = out;
        return report;
    }

    DaemonSettings daemon;
    ModemConfig config;
    FakePppdRunner runner;
    FakeScheduler scheduler;
    FakeAtPort atPort{scheduler};
    FakeCallLogStore store;
    bool deviceExists = true;
    ModemServices services;                // handed to the modem when modem() first makes it
    testing::TransitionWatch transitions;  // every state change checked against the table

private:
    std::unique_ptr<Modem> modem_;
    std::unique_ptr<Recorder> recorder_;
};

TEST_F(ModemTest, StartsDisconnectedWithNoReason) {
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
    EXPECT_EQ(modem().lastExitReason().code, 0u);
    EXPECT_EQ(modem().lastExitReason().name, "none");
    EXPECT_EQ(modem().connectedSinceUsec(), 0u);
}

TEST_F(ModemTest, StartsUnavailableWhenTheDeviceIsMissing) {
    deviceExists = false;
    EXPECT_EQ(modem().state(), ModemState::Unavailable);
    Outcome outcome;
    try {
        modem().connect({}, false, outcome.completion());
        FAIL() << "connect should refuse";
    } catch (const Error& error) {
        EXPECT_STREQ(error.name(), error_name::kUnavailable);
        EXPECT_THAT(error.what(), HasSubstr("/dev/ttyUSB3"));
    }
    EXPECT_TRUE(runner.launches.empty());
}

TEST_F(ModemTest, ConnectWithoutWaitReturnsOnceDialingStarted) {
    Outcome outcome;
    modem().connect({}, false, outcome.completion());
    EXPECT_TRUE(outcome.called);
    EXPECT_FALSE(outcome.errorName);
    EXPECT_EQ(modem().state(), ModemState::Connecting);
    ASSERT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(runner.launches[0].argv[1], "/dev/ttyUSB3");
}

TEST_F(ModemTest, ConnectWithWaitReturnsWhenTheLinkIsUp) {
    Outcome outcome;
    modem().connect({}, true, outcome.completion());
    EXPECT_FALSE(outcome.called);
    runner.ipUp(sampleIp());
    EXPECT_TRUE(outcome.called);
    EXPECT_FALSE(outcome.errorName);
    EXPECT_EQ(modem().state(), ModemState::Connected);
    EXPECT_EQ(modem().ip(), sampleIp());
    EXPECT_EQ(modem().connectedSinceUsec(), scheduler.realtimeNowUsec());
    EXPECT_THAT(recorder().states, ElementsAre("connecting", "connected"));
}

TEST_F(ModemTest, ConnectWithWaitFailsWithTheExitReason) {
    Outcome outcome;
    modem().connect({}, true, outcome.completion());
    runner.log("Couldn't open the /dev/ppp device: No such file or directory");
    runner.exitWith(4);
    ASSERT_TRUE(outcome.errorName);
    EXPECT_EQ(*outcome.errorName, error_name::kCallFailed);
    EXPECT_THAT(outcome.message, ::testing::StartsWith("4 no-kernel-support: "));
    EXPECT_EQ(modem().lastExitReason().code, 4u);
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_EQ(recorder().hangups[0].reason.name, "no-kernel-support");
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("Couldn't open the /dev/ppp device"));
}

TEST_F(ModemTest, ConnectWhileConnectingOrConnectedIsRefusedAndDisturbsNothing) {
    Outcome first;
    modem().connect({}, false, first.completion());
    EXPECT_THROW(
        try { modem().connect({}, false, Outcome().completion()); } catch (const Error& error) {
            EXPECT_STREQ(error.name(), error_name::kAlreadyConnected);
            throw;
        },
        Error);
    runner.ipUp(sampleIp());
    EXPECT_THROW(modem().connect({}, true, Outcome().completion()), Error);
    EXPECT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(modem().state(), ModemState::Connected);
    EXPECT_TRUE(runner.live()->signals.empty());
}

TEST_F(ModemTest, HangupWhileConnectedIsReportedWithDurationAndLog) {
    modem().connect({}, false, Outcome().completion());
    runner.ipUp(sampleIp());
    scheduler.advance(90s);
    runner.log("Modem hangup");
    runner.exitWith(16);
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
    EXPECT_EQ(modem().lastExitReason().name, "hangup");
    EXPECT_EQ(modem().ip(), IpConfig{});
    EXPECT_EQ(modem().connectedSinceUsec(), 0u);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_EQ(recorder().hangups[0].duration, 90s);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("Modem hangup"));
    EXPECT_THAT(recorder().states, ElementsAre("connecting", "connected", "disconnected"));
}

TEST_F(ModemTest, TheDmLogIsFrozenIntoTheHangupWithTheNetworksCause) {
    testing::FakeDmPort dmPort;
    services.dmPorts = &dmPort;
    services.callLogs = &store;
    config.dmLog = true;
    config.dmPort = "/dev/ttyUSB0";
    modem().connect({}, false, Outcome().completion());
    ASSERT_TRUE(dmPort.isOpen());  // before pppd's link is up: the dial is recorded too
    EXPECT_FALSE(dmPort.takeWritten().empty());
    dmPort.send(hdlcEncode(std::vector<uint8_t>{0x73, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0}));
    runner.ipUp(sampleIp());
    scheduler.advance(30s);
    // LOG_F, LTE NAS ESM plain in (0xB0E2): Deactivate EPS bearer context request, ESM cause #36.
    std::vector<uint8_t> deactivate = {0x10, 0, 0x14, 0, 0x14, 0,    0xe2, 0xb0, 0,    0,    0,    0,
                                       0,    0, 0,    0, 0x01, 0x09, 0x05, 0x00, 0x52, 0x00, 0xcd, 0x24};
    dmPort.send(hdlcEncode(deactivate));
    scheduler.advance(800ms);
    runner.log("Modem hangup");
    runner.exitWith(16);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    const std::string& log = recorder().hangups[0].log;
    EXPECT_THAT(log, HasSubstr("== DM log ==\nDM log: 2 frames, "));
    EXPECT_THAT(log, HasSubstr(", 30.0 s, saved as /var/lib/dialupd/calls/m0/"));
    EXPECT_THAT(log, HasSubstr("network: ESM cause #36 regular deactivation (NAS, 0.8 s before the end)\n"));
    EXPECT_THAT(log, HasSubstr("ended: 16 hangup: "));
    EXPECT_THAT(modem().lastExitReason().description, HasSubstr("; network: ESM cause #36 regular deactivation"));
    EXPECT_THAT(recorder().hangups[0].reason.description, HasSubstr("network: ESM cause #36"));
    ASSERT_EQ(store.dmLogs.size(), 1u);
    EXPECT_EQ(store.dmLogs.begin()->second.size() > deactivate.size(), true);
    // No call is up: logging off, the port closed.
    EXPECT_FALSE(dmPort.isOpen());
    EXPECT_EQ(dmPort.written, disableLoggingCommand());
}

TEST_F(ModemTest, SaveDiagnosticLogWritesTheRunningCallsDmLogUnderItsStart) {
    testing::FakeDmPort dmPort;
    services.dmPorts = &dmPort;
    services.callLogs = &store;
    config.dmLog = true;
    config.dmPort = "/dev/ttyUSB0";
    EXPECT_THROW(
        {
            try {
                modem().saveDiagnosticLog();
            } catch (const Error& error) {
                EXPECT_STREQ(error.name(), error_name::kNoDiagnosticLog);
                throw;
            }
        },
        Error);
    modem().connect({}, false, Outcome().completion());
    dmPort.send(hdlcEncode(std::vector<uint8_t>{0x73, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0}));
    runner.ipUp(sampleIp());
    scheduler.advance(10s);
    DmLogSaved saved = modem().saveDiagnosticLog();
    EXPECT_EQ(saved.frames, 1u);
    EXPECT_EQ(modem().openDiagnosticLog(0).startedAtUsec, saved.startedAtUsec);
    EXPECT_TRUE(modem().callActive());
    dmPort.send(hdlcEncode(std::vector<uint8_t>{0x10, 0, 0x10, 0, 0x10, 0, 0xc0, 0xb0, 0, 0, 0, 0, 0, 0, 0, 0}));
    runner.exitWith(16);
    // The call's record has the same start: the Hangup wrote the file again, whole.
    ASSERT_EQ(store.saved["m0"].size(), 1u);
    EXPECT_EQ(store.saved["m0"][0].startedAtUsec, saved.startedAtUsec);
    ASSERT_EQ(store.dmLogs.size(), 1u);
    EXPECT_EQ(store.dmLogs.begin()->first, saved.path);
    EXPECT_GT(store.dmLogs.begin()->second.size(), saved.bytes);
    EXPECT_THAT(store.saved["m0"][0].text, HasSubstr("DM log: 2 frames, "));
    EXPECT_THAT(store.saved["m0"][0].text, HasSubstr("saved as " + saved.path + "\n"));
    // After the call, the last window again.
    EXPECT_EQ(modem().saveDiagnosticLog().frames, 2u);
}

TEST_F(ModemTest, SaveDiagnosticLogWithDmLogOffIsNamed) {
    services.callLogs = &store;
    try {
        modem().saveDiagnosticLog();
        ADD_FAILURE() << "nothing thrown";
    } catch (const Error& error) {
        EXPECT_STREQ(error.name(), error_name::kDiagnosticLogOff);
    }
}

TEST_F(ModemTest, WithoutDmLogTheHangupHasNoDmSection) {
    testing::FakeDmPort dmPort;
    services.dmPorts = &dmPort;
    config.dmPort = "/dev/ttyUSB0";
    modem().connect({}, false, Outcome().completion());
    EXPECT_EQ(dmPort.openedPath, "");
    runner.ipUp(sampleIp());
    runner.exitWith(16);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log, Not(HasSubstr("DM log")));
}

TEST_F(ModemTest, DisconnectSendsSigtermAndReturnsAfterExitWithoutHangup) {
    modem().connect({}, false, Outcome().completion());
    runner.ipUp(sampleIp());
    Outcome outcome;
    modem().disconnect(outcome.completion());
    EXPECT_THAT(runner.live()->signals, ElementsAre(SIGTERM));
    EXPECT_EQ(modem().state(), ModemState::Disconnecting);
    EXPECT_FALSE(outcome.called);
    scheduler.advance(3s);
    runner.exitWith(5);
    EXPECT_TRUE(outcome.called);
    EXPECT_FALSE(outcome.errorName);
    EXPECT_EQ(modem().lastExitReason().name, "user-request");
    EXPECT_TRUE(recorder().hangups.empty());
    EXPECT_FALSE(modem().suspect());
    EXPECT_EQ(scheduler.pendingTimers(), 0u) << "the kill timer must be cancelled";
    EXPECT_THAT(recorder().states, ElementsAre("connecting", "connected", "disconnecting", "disconnected"));
}

TEST_F(ModemTest, DisconnectEscalatesToSigkillOnlyAfterTheStopTimeout) {
    modem().connect({}, false, Outcome().completion());
    Outcome outcome;
    modem().disconnect(outcome.completion());
    scheduler.advance(19s);
    EXPECT_THAT(runner.live()->signals, ElementsAre(SIGTERM)) << "never SIGKILL before the window ends";
    scheduler.advance(1s);
    EXPECT_THAT(runner.live()->signals, ElementsAre(SIGTERM, SIGKILL));
    EXPECT_TRUE(modem().suspect());
    runner.killedBy(SIGKILL);
    EXPECT_TRUE(outcome.called);
    EXPECT_EQ(modem().lastExitReason().name, "killed-by-signal");
    EXPECT_EQ(modem().lastExitReason().code, 128u + SIGKILL);
    EXPECT_THAT(modem().lastExitReason().description, HasSubstr("SIGKILL"));
    EXPECT_TRUE(recorder().hangups.empty());
}

TEST_F(ModemTest, StopTimeoutComesFromTheSettings) {
    daemon.stopTimeout = 3s;
    modem().connect({}, false, Outcome().completion());
    modem().disconnect(Outcome().completion());
    scheduler.advance(2999ms);
    EXPECT_EQ(runner.live()->signals.size(), 1u);
    scheduler.advance(1ms);
    EXPECT_EQ(runner.live()->signals.size(), 2u);
}

TEST_F(ModemTest, DisconnectWhileIdleIsNotConnected) {
    try {
        modem().disconnect(Outcome().completion());
        FAIL() << "disconnect should refuse";
    } catch (const Error& error) {
        EXPECT_STREQ(error.name(), error_name::kNotConnected);
    }
}

TEST_F(ModemTest, DisconnectWhileConnectingCancelsAWaitingConnect) {
    Outcome connect;
    modem().connect({}, true, connect.completion());
    Outcome disconnect;
    modem().disconnect(disconnect.completion());
    runner.exitWith(5);
    ASSERT_TRUE(connect.errorName);
    EXPECT_EQ(*connect.errorName, error_name::kCancelled);
    EXPECT_TRUE(disconnect.called);
    EXPECT_FALSE(disconnect.errorName);
}

TEST_F(ModemTest, ASecondDisconnectJoinsTheFirstAndSignalsOnce) {
    modem().connect({}, false, Outcome().completion());
    Outcome first, second;
    modem().disconnect(first.completion());
    modem().disconnect(second.completion());
    EXPECT_THAT(runner.live()->signals, ElementsAre(SIGTERM));
    EXPECT_EQ(scheduler.pendingTimers(), 1u);
    runner.exitWith(5);
    EXPECT_TRUE(first.called);
    EXPECT_TRUE(second.called);
}

TEST_F(ModemTest, ConnectWhileDisconnectingIsBusy) {
    modem().connect({}, false, Outcome().completion());
    modem().disconnect(Outcome().completion());
    try {
        modem().connect({}, false, Outcome().completion());
        FAIL() << "connect should refuse";
    } catch (const Error& error) {
        EXPECT_STREQ(error.name(), error_name::kBusy);
    }
}

TEST_F(ModemTest, PppdKilledFromOutsideIsAHangupWithTheSignal) {
    modem().connect({}, false, Outcome().completion());
    runner.ipUp(sampleIp());
    runner.killedBy(SIGKILL);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_EQ(recorder().hangups[0].reason.code, 137u);
    EXPECT_EQ(recorder().hangups[0].reason.name, "killed-by-signal");
}

TEST_F(ModemTest, InvalidOverridesAreRefusedBeforeAnythingStarts) {
    CallOverrides hostile;
    hostile.apn = "x\" ABORT \"OK";
    EXPECT_THROW(modem().connect(hostile, false, Outcome().completion()), Error);
    hostile.apn = "inter\nnet";
    EXPECT_THROW(modem().connect(hostile, false, Outcome().completion()), Error);
    EXPECT_TRUE(runner.launches.empty());
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
    EXPECT_TRUE(recorder().states.empty());
}

TEST_F(ModemTest, OverridesReachTheLaunchAndThePasswordOnlyThePipe) {
    CallOverrides overrides;
    overrides.apn = "web.operator.example";
    overrides.user = "alice";
    overrides.password = "S3cret-Pa55";
    modem().connect(overrides, false, Outcome().completion());
    ASSERT_EQ(runner.launches.size(), 1u);
    const PppdLaunch& launch = runner.launches[0];
    EXPECT_THAT(launch.chatScript, HasSubstr("\"web.operator.example\""));
    EXPECT_EQ(launch.secret, "S3cret-Pa55");
    for (const std::string& arg : launch.argv) EXPECT_THAT(arg, Not(HasSubstr("S3cret")));
    EXPECT_THAT(launch.chatScript, Not(HasSubstr("S3cret")));
}

TEST_F(ModemTest, ThePasswordIsHiddenFromTheCallLog) {
    CallOverrides overrides;
    overrides.password = "S3cret-Pa55";
    modem().connect(overrides, false, Outcome().completion());
    runner.log("sent [PAP AuthReq id=0x1 user=\"alice\" password=\"S3cret-Pa55\"]");
    runner.exitWith(19);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log, Not(HasSubstr("S3cret-Pa55")));
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("password=<hidden>]"));
}

// Issue 16 item 4: replacing every copy of the password marked where the APN equals it.
TEST_F(ModemTest, APasswordEqualToTheApnLeavesTheApnAsItIs) {
    CallOverrides overrides;
    overrides.password = "internet";
    modem().connect(overrides, false, Outcome().completion());
    runner.log("send (AT+CGDCONT=1,\"IP\",\"internet\",,0,0^M)");
    runner.log("sent [PAP AuthReq id=0x1 user=\"alice\" password=\"internet\"]");
    runner.exitWith(19);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    const std::string& log = recorder().hangups[0].log;
    EXPECT_THAT(log, HasSubstr("apn 'internet'"));
    EXPECT_THAT(log, HasSubstr("AT+CGDCONT=1,\"IP\",\"internet\""));
    EXPECT_THAT(log, HasSubstr("password=<hidden>]"));
    EXPECT_THAT(log, Not(HasSubstr("redacted")));
}

TEST_F(ModemTest, HostileTextFromPppdAndTheModuleEndsCleanInTheHangupAndTheKeptRecord) {
    diagnosedModem();
    atPort.answers["AT+CPIN?"] = {"+CME ERROR: \xff\xfe\xef\xbf\xbe"};
    modem().connect({}, false, Outcome().completion());
    runner.log(
        "rcvd \xef\xbf\xbe\x1b]0;owned\x07 \xc2\x9b"
        "2J \xff");
    runner.exitWith(16);
    scheduler.advance(5s);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    const std::string& log = recorder().hangups[0].log;
    EXPECT_TRUE(isCleanText(log, Newlines::Keep)) << log;
    EXPECT_THAT(log, HasSubstr("pppd: rcvd \\u{FFFE}\\x1b]0;owned\\x07 \\u{009B}2J \\xff\n"));
    EXPECT_THAT(log, HasSubstr("AT+CPIN? -> +CME ERROR: \\xff\\xfe\\u{FFFE}\n"));
    ASSERT_EQ(store.saved["m0"].size(), 1u);
    EXPECT_EQ(store.saved["m0"][0].text, log);
}

TEST_F(ModemTest, APasswordWithControlCharactersIsHiddenBeforeTheLineIsSanitized) {
    // The field is hidden on the bytes as pppd wrote them: sanitizing first would turn the
    // password into escapes that no longer look like the field's end.
    CallOverrides overrides;
    overrides.password = "pw\x1b[0m\xff";
    modem().connect(overrides, false, Outcome().completion());
    runner.log("sent [PAP AuthReq id=0x1 user=\"alice\" password=\"pw\x1b[0m\xff\"]");
    runner.exitWith(19);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("password=<hidden>]"));
    EXPECT_THAT(recorder().hangups[0].log, Not(HasSubstr("pw\\x1b")));
    EXPECT_THAT(recorder().hangups[0].log, Not(HasSubstr("pw")));
}

TEST_F(ModemTest, SpawnFailureLeavesTheModemAsItWas) {
    runner.failNextStart = true;
    try {
        modem().connect({}, true, Outcome().completion());
        FAIL() << "connect should fail";
    } catch (const Error& error) {
        EXPECT_STREQ(error.name(), error_name::kSpawnFailed);
    }
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
    EXPECT_FALSE(modem().callActive());
    modem().connect({}, false, Outcome().completion());
    EXPECT_EQ(modem().state(), ModemState::Connecting);
}

TEST_F(ModemTest, StopEndsTheCallAndReportsWhenPppdIsGone) {
    modem().connect({}, false, Outcome().completion());
    bool stopped = false;
    modem().stop([&] { stopped = true; });
    EXPECT_THAT(runner.live()->signals, ElementsAre(SIGTERM));
    EXPECT_FALSE(stopped);
    runner.exitWith(5);
    EXPECT_TRUE(stopped);
    EXPECT_TRUE(recorder().hangups.empty());
}

TEST_F(ModemTest, StopWithoutACallReportsAtOnce) {
    bool stopped = false;
    modem().stop([&] { stopped = true; });
    EXPECT_TRUE(stopped);
}

TEST_F(ModemTest, IpDownClearsTheAddressesButKeepsTheCall) {
    modem().connect({}, false, Outcome().completion());
    runner.ipUp(sampleIp());
    PluginReport down;
    down.kind = PluginReport::Kind::IpDown;
    runner.report(down);
    EXPECT_EQ(modem().ip(), IpConfig{});
    EXPECT_EQ(modem().connectedSinceUsec(), 0u);
    EXPECT_TRUE(modem().callActive());
}

TEST_F(ModemTest, ATtyHangupAfterTheLinkWentDownKeepsTheFirstCause) {
    // pppd: "No response to 3 echo-requests" (status 15), then the tty reads EOF on the way out
    // ("Modem hangup", status 16). The call ended because the peer died.
    modem().connect({}, false, Outcome().completion());
    runner.ipUp(sampleIp());
    runner.cause(15);
    runner.exitWith(16);
    EXPECT_EQ(modem().lastExitReason().name, "peer-dead");
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_EQ(recorder().hangups[0].reason.code, 15u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("pppd exit status 16 follows the link's end for status 15"));
}

TEST_F(ModemTest, ARealHangupStaysAHangup) {
    modem().connect({}, false, Outcome().completion());
    runner.cause(16);
    runner.exitWith(16);
    EXPECT_EQ(modem().lastExitReason().name, "hangup");
}

TEST_F(ModemTest, OtherExitStatusesAreNotReinterpreted) {
    // Only the EOF-on-hangup artefact is explained away: pppd's own verdict otherwise stands.
    modem().connect({}, false, Outcome().completion());
    runner.cause(15);
    runner.exitWith(5);
    EXPECT_EQ(modem().lastExitReason().name, "user-request");
}

TEST_F(ModemTest, ACauseDoesNotLeakIntoTheNextCall) {
    modem().connect({}, false, Outcome().completion());
    runner.cause(15);
    runner.exitWith(5);
    scheduler.runDeferred();
    modem().connect({}, false, Outcome().completion());
    runner.exitWith(16);
    EXPECT_EQ(modem().lastExitReason().name, "hangup");
}

TEST_F(ModemTest, TheProcessIsReleasedOutsideItsOwnCallback) {
    modem().connect({}, false, Outcome().completion());
    runner.exitWith(16);
    EXPECT_NE(runner.live(), nullptr) << "released while its exit callback still runs";
    scheduler.runDeferred();
    EXPECT_EQ(runner.live(), nullptr);
}

TEST_F(ModemTest, ANewCallStartsWithAFreshLog) {
    modem().connect({}, false, Outcome().completion());
    runner.log("first call line");
    runner.exitWith(8);
    scheduler.runDeferred();
    modem().connect({}, false, Outcome().completion());
    runner.log("second call line");
    runner.exitWith(8);
    ASSERT_EQ(recorder().hangups.size(), 2u);
    EXPECT_THAT(recorder().hangups[1].log, Not(HasSubstr("first call line")));
    EXPECT_THAT(recorder().hangups[1].log, HasSubstr("second call line"));
}

TEST_F(ModemTest, PropertiesChangeAtOnceAndTheHangupFollowsTheSnapshotWithEverySection) {
    diagnosedModem().connect({}, false, Outcome().completion());
    runner.ipUp(sampleIp());
    scheduler.advance(30s);
    runner.report(stats(1234, 5678));
    runner.log("Modem hangup");
    runner.exitWith(16);
    EXPECT_EQ(modem().state(), ModemState::Disconnected) << "State must not wait for the snapshot";
    EXPECT_EQ(modem().lastExitReason().code, 16u);
    EXPECT_EQ(modem().lastCall().bytesIn, 1234u);
    EXPECT_EQ(modem().lastCall().bytesOut, 5678u);
    EXPECT_EQ(modem().lastCall().durationUsec, 30'000'000u);
    EXPECT_TRUE(recorder().hangups.empty()) << "Hangup waits for the AT snapshot";
    scheduler.advanceInSteps(1s);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    const std::string& log = recorder().hangups[0].log;
    EXPECT_THAT(log, HasSubstr("== call ==\nmodem: m0 (fixed port), device /dev/ttyUSB3\n"));
    EXPECT_THAT(log, HasSubstr("ended: 16 hangup: "));
    EXPECT_THAT(log, HasSubstr("lasted 30.0 s"));
    EXPECT_THAT(log, HasSubstr("traffic: 1234 bytes in, 5678 bytes out\n"));
    EXPECT_THAT(log, HasSubstr("== pppd, chat and dialupd ==\n"));
    EXPECT_THAT(log, HasSubstr("pppd: Modem hangup"));
    EXPECT_THAT(log, HasSubstr("== AT snapshot (/dev/ttyUSB2) ==\n"));
    EXPECT_THAT(log, HasSubstr("AT+CEER -> +CEER: \"Regular deactivation: network failure\""));
    EXPECT_LT(log.find("== call =="), log.find("== pppd, chat and dialupd =="));
    EXPECT_LT(log.find("== pppd, chat and dialupd =="), log.find("== AT snapshot"));
    // The changed properties include the last call's figures.
    bool figuresPublished = false;
    for (const auto& changed : recorder().changes)
        for (ModemProperty property : changed) figuresPublished |= property == ModemProperty::LastCallBytesIn;
    EXPECT_TRUE(figuresPublished);
}

TEST_F(ModemTest, TheLiveStatusHandsTheAtPortToTheSnapshotAndTakesItBack) {
    diagnosedModem();
    atPort.answers["AT+CGSN"] = {"867698041234561", "OK"};
    int mostOpen = 0;
    modem().setLiveStatus(std::make_unique<LiveStatus>(atPort, scheduler, "m0"));
    ASSERT_NE(modem().liveStatus(), nullptr);
    EXPECT_EQ(atPort.opened, std::vector<std::string>{"/dev/ttyUSB2"});
    modem().connect({}, false, Outcome().completion());
    scheduler.advance(30ms);  // the live status's first command is out, its answer not yet in
    ASSERT_EQ(modem().liveStatus()->phase(), LiveStatus::Phase::Reading);
    runner.exitWith(16);
    for (int i = 0; i < 300 && recorder().hangups.empty(); ++i) {
        scheduler.advance(10ms);
        mostOpen = std::max(mostOpen, atPort.openChannels);
    }
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_EQ(mostOpen, 1) << "the snapshot and the live status never hold the port at once";
    const std::string& log = recorder().hangups[0].log;
    EXPECT_THAT(log, HasSubstr("ATI ->\n    Quectel\n    EC25\n"));  // its own answer, not a late one of ours
    EXPECT_THAT(log, HasSubstr("AT+CSQ -> +CSQ: 24,99\n"));
    // Taken back: opened again, and read again to the end.
    scheduler.advanceInSteps(5s);
    EXPECT_EQ(atPort.opened.size(), 3u);
    EXPECT_EQ(modem().liveStatus()->phase(), LiveStatus::Phase::Listening);
    EXPECT_EQ(modem().liveStatus()->state().imei, "867698041234561");
    // A new AT port name (the module re-enumerated): the live status follows it.
    modem().setAtPort("/dev/ttyUSB6");
    EXPECT_EQ(atPort.opened.back(), "/dev/ttyUSB6");
}

TEST_F(ModemTest, WithoutAnAtPortTheHangupSaysSoAtOnce) {
    services.atPorts = &atPort;
    modem().connect({}, false, Outcome().completion());
    runner.exitWith(8);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("== AT snapshot ==\nno AT port known for this modem\n"));
    EXPECT_TRUE(atPort.opened.empty());
}

TEST_F(ModemTest, TheAtPortIsNeverThePppPort) {
    config.atPort = config.device;
    services.atPorts = &atPort;
    modem().connect({}, false, Outcome().completion());
    runner.exitWith(16);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("the AT port is the PPP port: not asked"));
    EXPECT_TRUE(atPort.opened.empty());
}

TEST_F(ModemTest, EveryFinishedCallIsKeptRequestedOrNot) {
    diagnosedModem().connect({}, false, Outcome().completion());
    runner.exitWith(8);
    scheduler.advanceInSteps(1s);
    modem().connect({}, false, Outcome().completion());
    Outcome disconnected;
    modem().disconnect(disconnected.completion());
    runner.exitWith(5);
    EXPECT_TRUE(disconnected.called);
    ASSERT_EQ(store.saved["m0"].size(), 2u);
    EXPECT_FALSE(store.saved["m0"][0].requested);
    EXPECT_THAT(store.saved["m0"][0].text, HasSubstr("== AT snapshot (/dev/ttyUSB2) =="));
    EXPECT_TRUE(store.saved["m0"][1].requested);
    EXPECT_THAT(store.saved["m0"][1].text, HasSubstr("ended: 5 user-request: "));
    EXPECT_THAT(store.saved["m0"][1].text, HasSubstr("(requested)"));
    auto newestFirst = modem().callLogs(10);
    ASSERT_EQ(newestFirst.size(), 2u);
    EXPECT_EQ(newestFirst[0].reason.code, 5u);
}

TEST_F(ModemTest, StopWaitsForAHangupOnItsWay) {
    diagnosedModem().connect({}, false, Outcome().completion());
    runner.exitWith(16);
    bool stopped = false;
    modem().stop([&] { stopped = true; });
    EXPECT_FALSE(stopped);
    scheduler.advanceInSteps(1s);
    EXPECT_EQ(recorder().hangups.size(), 1u);
    EXPECT_TRUE(stopped);
}

TEST_F(ModemTest, ASilentAtPortDelaysTheHangupByOneCommandTimeoutOnly) {
    diagnosedModem();
    atPort.silent = true;
    modem().connect({}, false, Outcome().completion());
    runner.exitWith(15);
    scheduler.advanceInSteps(990ms);
    EXPECT_TRUE(recorder().hangups.empty());
    scheduler.advanceInSteps(30ms);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("ATI -> no answer within 1000 ms"));
}

TEST_F(ModemTest, TheCallLogSizeComesFromTheSettings) {
    daemon.callLogBytes = 4096;
    modem().connect({}, false, Outcome().completion());
    for (int i = 0; i < 200; ++i) runner.log(std::string(60, 'x'));
    runner.exitWith(16);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("earlier lines dropped"));
    EXPECT_LT(recorder().hangups[0].log.size(), 4096u + 1024);
}

// --- redial -----------------------------------------------------------------------------------

class RedialTest : public ModemTest {
protected:
    RedialTest() {
        config.call.reconnect.delaySeconds = 5;
        config.call.reconnect.maxDelaySeconds = 60;
    }
    // A modem whose calls redial, with no jitter (the random source sits in the middle).
    Modem& redialling() {
        config.call.reconnect.enabled = true;
        services.random = [] { return 0.5; };
        return modem();
    }
    void endBy(int status) {
        runner.exitWith(status);
        scheduler.runDeferred();
    }
};

TEST_F(RedialTest, AnEndNobodyAskedForIsRedialledWithBackoffUntilTheLinkIsUp) {
    redialling().connect({}, false, [](const Error*) {});
    runner.ipUp(sampleIp());
    endBy(16);
    EXPECT_EQ(modem().reconnectAttempts(), 1u);
    EXPECT_EQ(modem().nextReconnectUsec(), scheduler.realtimeNowUsec() + 5'000'000u);
    ASSERT_EQ(recorder().hangups.size(), 1u);  // every end still has its Hangup
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("dialupd: redial 1 in 5.0 s"));
    scheduler.advance(4900ms);
    EXPECT_EQ(runner.launches.size(), 1u);
    scheduler.advance(100ms);
    ASSERT_EQ(runner.launches.size(), 2u);
    EXPECT_EQ(modem().state(), ModemState::Connecting);
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
    endBy(8);  // the redial fails too: the wait doubles
    EXPECT_EQ(modem().reconnectAttempts(), 2u);
    scheduler.advance(9900ms);
    EXPECT_EQ(runner.launches.size(), 2u);
    scheduler.advance(100ms);
    ASSERT_EQ(runner.launches.size(), 3u);
    runner.ipUp(sampleIp());
    EXPECT_EQ(modem().state(), ModemState::Connected);
    EXPECT_EQ(modem().reconnectAttempts(), 0u);  // up again: the next trouble starts afresh
    EXPECT_EQ(recorder().hangups.size(), 2u);
}

// A network whose data path is dead: no probe is ever answered, no byte comes in.
struct SilentProber final : ConnectivityProber {
    struct SilentProbe final : Probe {
        std::string sent() const override { return "echo request"; }
    };
    std::optional<uint64_t> rxBytes(const std::string&) override { return 100; }
    std::unique_ptr<Probe> start(const ProbeRequest& request, std::function<void(ProbeAnswer)>) override {
        requests.push_back(request);
        return std::make_unique<SilentProbe>();
    }
    std::vector<ProbeRequest> requests;
};

TEST_F(RedialTest, TheWatchdogEndsADeadLinkAsConnectivityLostAndTheRedialFollows) {
    SilentProber prober;
    services.prober = &prober;
    config.call.check.kind = CheckKind::Icmp;
    config.call.check.intervalSeconds = 2;
    config.call.check.retryIntervalSeconds = 1;
    config.call.check.failures = 3;
    config.call.check.timeoutSeconds = 1;
    redialling().connect({}, false, [](const Error*) {});
    EXPECT_EQ(scheduler.pendingTimers(), 0u) << "no watchdog before the link is up";
    runner.ipUp(sampleIp());
    ASSERT_EQ(modem().state(), ModemState::Connected);
    // 2 s to the first check, then per check 2 targets x 1 s and 1 s to the next: 3 checks by 10 s.
    scheduler.advance(9900ms);
    EXPECT_TRUE(runner.live()->signals.empty());
    scheduler.advance(100ms);
    ASSERT_EQ(prober.requests.size(), 6u);
    EXPECT_EQ(prober.requests[0].target.address, "10.64.0.53") << "the network's DNS servers by default";
    EXPECT_EQ(prober.requests[1].target.address, "10.64.0.54");
    EXPECT_EQ(prober.requests[0].interface, "ppp0");
    ASSERT_THAT(runner.live()->signals, ElementsAre(SIGTERM));
    EXPECT_EQ(modem().state(), ModemState::Disconnecting);
    runner.cause(5);
    endBy(5);
    EXPECT_EQ(modem().lastExitReason().code, kConnectivityLostCode);
    EXPECT_EQ(modem().lastExitReason().name, "connectivity-lost");
    EXPECT_EQ(modem().counters().counters().watchdogFailures, 3u) << "each failed check counts";
    ASSERT_EQ(recorder().hangups.size(), 1u);
    const std::string& log = recorder().hangups[0].log;
    EXPECT_THAT(log, HasSubstr("connectivity check 1/3: icmp to 10.64.0.53 over ppp0, sent echo request: no answer "
                               "within 1 s"));
    EXPECT_THAT(log, HasSubstr("connectivity check 3/3: icmp to 10.64.0.54"));
    EXPECT_THAT(log, HasSubstr("3 connectivity checks in a row failed (6 probes, each above)"));
    EXPECT_THAT(log, HasSubstr("redial 1 in 5.0 s"));
    EXPECT_EQ(scheduler.pendingTimers(), 1u) << "the redial's; the watchdog is gone";
    scheduler.advance(5s);
    EXPECT_EQ(runner.launches.size(), 2u);
}

TEST_F(RedialTest, NoCheckWithoutTheConfigOrTheProber) {
    SilentProber prober;
    redialling().connect({}, false, [](const Error*) {});
    runner.ipUp(sampleIp());
    EXPECT_EQ(scheduler.pendingTimers(), 0u) << "check = none: no timer while connected";
}

TEST_F(RedialTest, AHangupThatPppdFirstTookForSighupIsAHangupAndIsRedialled) {
    // The line hangup reaches pppd as SIGHUP from its controlling tty before it reads EOF: the
    // plugin reports status 5 on the way down, and pppd exits 16. Nobody asked for this end.
    redialling().connect({}, false, [](const Error*) {});
    runner.ipUp(sampleIp());
    runner.cause(5);
    endBy(16);
    EXPECT_EQ(modem().lastExitReason().name, "hangup");
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_EQ(recorder().hangups[0].reason.code, 16u);
    EXPECT_EQ(modem().reconnectAttempts(), 1u);
    scheduler.advance(5s);
    EXPECT_EQ(runner.launches.size(), 2u);
}

TEST_F(RedialTest, ARequestedStopStaysAUserRequestWhateverTheTtyDid) {
    redialling().connect({}, false, [](const Error*) {});
    runner.ipUp(sampleIp());
    modem().disconnect([](const Error*) {});
    runner.cause(5);
    endBy(16);
    EXPECT_EQ(modem().lastExitReason().name, "user-request");
    EXPECT_EQ(modem().reconnectAttempts(), 0u);
    scheduler.advance(60s);
    EXPECT_EQ(runner.launches.size(), 1u);
}

TEST_F(RedialTest, TheRedialDialsWithTheSameCallOptions) {
    CallOverrides overrides;
    overrides.apn = "m2m.example";
    overrides.reconnect = true;  // asked for by this Connect; the modem's setting is unset
    services.random = [] { return 0.5; };
    modem().connect(overrides, false, [](const Error*) {});
    endBy(16);
    scheduler.advance(5s);
    ASSERT_EQ(runner.launches.size(), 2u);
    EXPECT_THAT(runner.launches[1].chatScript, HasSubstr("m2m.example"));
}

TEST_F(RedialTest, OffForAManualConnectUnlessAskedFor) {
    modem().connect({}, false, [](const Error*) {});
    endBy(16);
    EXPECT_EQ(modem().reconnectAttempts(), 0u);
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
    scheduler.advance(600s);
    EXPECT_EQ(runner.launches.size(), 1u);
}

TEST_F(RedialTest, WhatARedialCannotMendStopsItAtOnce) {
    redialling().connect({}, false, [](const Error*) {});
    endBy(19);  // wrong password
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("no redial: trying again cannot mend this"));
    scheduler.advance(600s);
    EXPECT_EQ(runner.launches.size(), 1u);
}

TEST_F(RedialTest, StopsAfterTheAttemptsLimit) {
    config.call.reconnect.maxAttempts = 2;
    redialling().connect({}, false, [](const Error*) {});
    endBy(8);
    scheduler.advance(5s);
    endBy(8);
    scheduler.advance(10s);
    ASSERT_EQ(runner.launches.size(), 3u);
    endBy(8);
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
    EXPECT_EQ(modem().reconnectAttempts(), 2u);
    EXPECT_THAT(recorder().hangups.back().log, HasSubstr("no redial: 2 in a row"));
    scheduler.advance(600s);
    EXPECT_EQ(runner.launches.size(), 3u);
}

TEST_F(RedialTest, DisconnectCancelsAPendingRedial) {
    redialling().connect({}, false, [](const Error*) {});
    endBy(16);
    Outcome outcome;
    modem().disconnect(outcome.completion());
    EXPECT_TRUE(outcome.called);
    EXPECT_FALSE(outcome.errorName);
    EXPECT_EQ(modem().reconnectAttempts(), 0u);
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
    EXPECT_EQ(recorder().changes.back(),
              (std::vector<ModemProperty>{ModemProperty::NextReconnect, ModemProperty::ReconnectAttempts}));
    scheduler.advance(600s);
    EXPECT_EQ(runner.launches.size(), 1u);
    EXPECT_THROW(modem().disconnect(outcome.completion()), Error);  // nothing left to end
}

TEST_F(RedialTest, ARequestedEndOrAShutdownIsNotRedialled) {
    redialling().connect({}, false, [](const Error*) {});
    modem().disconnect([](const Error*) {});
    endBy(5);
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
    modem().connect({}, false, [](const Error*) {});
    modem().stop([] {});
    endBy(5);
    scheduler.advance(600s);
    EXPECT_EQ(runner.launches.size(), 2u);
}

TEST_F(RedialTest, AConnectReplacesAPendingRedial) {
    redialling().connect({}, false, [](const Error*) {});
    endBy(16);
    modem().connect({}, false, [](const Error*) {});
    EXPECT_EQ(runner.launches.size(), 2u);
    EXPECT_EQ(modem().reconnectAttempts(), 0u);
    scheduler.advance(600s);
    EXPECT_EQ(runner.launches.size(), 2u);
}

TEST_F(RedialTest, AMissingTtyCountsAsAnAttemptAndTheNextFollows) {
    redialling().connect({}, false, [](const Error*) {});
    endBy(16);
    deviceExists = false;
    scheduler.advance(5s);
    EXPECT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(modem().state(), ModemState::Unavailable);
    EXPECT_EQ(modem().reconnectAttempts(), 2u);
    deviceExists = true;
    scheduler.advance(10s);
    ASSERT_EQ(runner.launches.size(), 2u);
    EXPECT_EQ(modem().state(), ModemState::Connecting);
}

TEST_F(ModemTest, ATtyGoneWhenPppdExitsMeansTheModemWasRemoved) {
    // The kernel hangs the tty up as it removes it; pppd (chat, here) can exit before udev says so.
    modem().connect({}, false, [](const Error*) {});
    deviceExists = false;
    runner.exitWith(8);
    EXPECT_EQ(modem().lastExitReason().code, 16u);
    EXPECT_THAT(modem().lastExitReason().description, HasSubstr("removed"));
    EXPECT_EQ(modem().state(), ModemState::Unavailable);
}

TEST_F(ModemTest, APppdCrashIsNamedWithItsSignalAndLeavesTheModuleSuspect) {
    modem().connect({}, false, [](const Error*) {});
    runner.ipUp(sampleIp());
    runner.log("Fatal signal 11");
    runner.exitWith(127);  // pppd's bad_signal(): die(127)
    EXPECT_EQ(modem().lastExitReason().code, 127u);
    EXPECT_EQ(modem().lastExitReason().name, "fatal-signal");
    EXPECT_THAT(modem().lastExitReason().description, HasSubstr("SIGSEGV (signal 11)"));
    EXPECT_TRUE(modem().suspect());
}

TEST_F(ModemTest, OnlyAnAbruptDeathLeavesTheModuleSuspect) {
    modem().connect({}, false, [](const Error*) {});
    runner.killedBy(SIGTERM);  // not pppd's way (it catches SIGTERM), but no sign of a stuck module
    EXPECT_FALSE(modem().suspect());
    modem().connect({}, false, [](const Error*) {});
    runner.killedBy(SIGKILL);
    EXPECT_TRUE(modem().suspect());
}

TEST_F(ModemTest, ADisconnectMidDialIsAUserRequestWhateverPppdMadeOfIt) {
    modem().connect({}, false, [](const Error*) {});
    modem().disconnect([](const Error*) {});
    runner.exitWith(8);  // chat was killed mid-dial
    EXPECT_EQ(modem().lastExitReason().name, "user-request");
    modem().connect({}, false, [](const Error*) {});
    modem().disconnect([](const Error*) {});
    runner.killedBy(SIGTERM);  // before pppd's handlers were in
    EXPECT_EQ(modem().lastExitReason().name, "user-request");
    EXPECT_TRUE(recorder().hangups.empty());
}

TEST_F(ModemTest, ATtyStillThereKeepsPppdsOwnReason) {
    modem().connect({}, false, [](const Error*) {});
    runner.exitWith(8);
    EXPECT_EQ(modem().lastExitReason().code, 8u);
}

// Module recovery: after pppd died without closing the link, the next dial checks the module
// first; Reset() runs the ladder on demand.
class RecoveryTest : public RedialTest {
protected:
    Modem& recoverable() {
        config.atPort = "/dev/ttyUSB2";
        config.usb.portPath = "1-1";
        services.atPorts = &module;
        services.usbResetter = &module;
        return modem();
    }
    // A call that came up and then lost pppd to SIGKILL: the module is left in data mode.
    void callKilled() {
        recoverable().connect({}, false, [](const Error*) {});
        runner.ipUp(sampleIp());
        module.stuck = true;
        runner.killedBy(SIGKILL);
        scheduler.advanceInSteps(4s);  // the Hangup's AT snapshot
    }
    FakeModule module{scheduler, "/dev/ttyUSB3", "/dev/ttyUSB2"};
};

TEST_F(RecoveryTest, AfterPppdWasKilledTheNextDialEscapesDataModeFirst) {
    callKilled();
    EXPECT_TRUE(modem().suspect());
    module.log.clear();
    Outcome outcome;
    modem().connect({}, true, outcome.completion());
    EXPECT_EQ(modem().state(), ModemState::Resetting);
    EXPECT_EQ(runner.launches.size(), 1u);  // no pppd while the module is being recovered
    scheduler.advanceInSteps(5s);
    ASSERT_EQ(runner.launches.size(), 2u);
    EXPECT_EQ(modem().state(), ModemState::Connecting);
    EXPECT_FALSE(modem().suspect());
    EXPECT_THAT(module.log, ElementsAre("/dev/ttyUSB3 AT", "/dev/ttyUSB3 +++", "/dev/ttyUSB3 ATH", "/dev/ttyUSB3 AT"));
    runner.ipUp(sampleIp());
    EXPECT_TRUE(outcome.called);
    EXPECT_FALSE(outcome.errorName);
    EXPECT_THAT(recorder().states,
                ElementsAre("connecting", "connected", "disconnected", "resetting", "connecting", "connected"));
    // The steps are in the new call's log.
    runner.exitWith(16);
    scheduler.advanceInSteps(4s);
    ASSERT_EQ(recorder().hangups.size(), 2u);
    EXPECT_THAT(recorder().hangups[1].log, HasSubstr("checking the module before dialing"));
    EXPECT_THAT(recorder().hangups[1].log, HasSubstr("module recovered by escape in"));
}

TEST_F(RecoveryTest, AModuleThatAnswersIsDialledAtOnce) {
    callKilled();
    module.stuck = false;  // it came out of data mode by itself
    modem().connect({}, false, [](const Error*) {});
    scheduler.advanceInSteps(200ms);
    EXPECT_EQ(runner.launches.size(), 2u);
    EXPECT_FALSE(modem().suspect());
}

TEST_F(RecoveryTest, AnOrderlyEndLeavesNothingToRecover) {
    recoverable().connect({}, false, [](const Error*) {});
    runner.ipUp(sampleIp());
    runner.exitWith(16);
    scheduler.advanceInSteps(4s);
    EXPECT_FALSE(modem().suspect());
    modem().connect({}, false, [](const Error*) {});
    EXPECT_EQ(runner.launches.size(), 2u);
    EXPECT_EQ(modem().state(), ModemState::Connecting);
}

TEST_F(RecoveryTest, WhenNoRungHelpsTheCallFailsAsModuleUnresponsiveAndIsRedialled) {
    config.call.reconnect.enabled = true;
    services.random = [] { return 0.5; };
    recoverable();
    callKilled();
    module.escapeWorks = module.rebootWorks = module.usbResetWorks = false;
    scheduler.advanceInSteps(6s);  // the redial, 5 s after the kill
    EXPECT_EQ(modem().state(), ModemState::Resetting);
    // Probe, escape and reboot fail within 5 s; the USB reset is then awaited for 45 s.
    scheduler.advanceInSteps(50s, 100ms);
    EXPECT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(modem().lastExitReason().code, kModuleUnresponsiveCode);
    EXPECT_EQ(modem().lastExitReason().name, "module-unresponsive");
    ASSERT_EQ(recorder().hangups.size(), 2u);
    EXPECT_THAT(recorder().hangups[1].log, HasSubstr("recovery: gave up after"));
    EXPECT_THAT(recorder().hangups[1].log, HasSubstr("== AT snapshot"));
    EXPECT_EQ(modem().reconnectAttempts(), 2u);  // and it goes on trying
    EXPECT_NE(modem().nextReconnectUsec(), 0u);
}

TEST_F(RecoveryTest, ResetRunsTheLadderOnDemand) {
    recoverable();
    module.stuck = true;
    module.escapeWorks = false;
    std::optional<ResetResult> result;
    const Error* failed = nullptr;
    modem().reset([&](const Error* error, const ResetResult& r) {
        failed = error;
        result = r;
    });
    EXPECT_EQ(modem().state(), ModemState::Resetting);
    EXPECT_THROW(modem().connect({}, false, [](const Error*) {}), Error);
    scheduler.advanceInSteps(20s);
    ASSERT_TRUE(result);
    EXPECT_EQ(failed, nullptr);
    EXPECT_EQ(result->recoveredBy, "reboot");
    EXPECT_THAT(result->log, HasSubstr("AT+CFUN=1,1 on /dev/ttyUSB2"));
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
    EXPECT_THAT(recorder().states, ElementsAre("resetting", "disconnected"));
    EXPECT_TRUE(recorder().hangups.empty());  // nothing ended: no Hangup
}

TEST_F(RecoveryTest, ResetIsRefusedDuringACallAndTwice) {
    recoverable().connect({}, false, [](const Error*) {});
    try {
        modem().reset([](const Error*, const ResetResult&) {});
        FAIL() << "Reset during a call";
    } catch (const Error& error) {
        EXPECT_STREQ(error.name(), error_name::kBusy);
        EXPECT_THAT(error.what(), HasSubstr("Disconnect it first"));
    }
    runner.exitWith(8);
    scheduler.advanceInSteps(4s);
    modem().reset([](const Error*, const ResetResult&) {});
    try {
        modem().reset([](const Error*, const ResetResult&) {});
        FAIL() << "a second Reset";
    } catch (const Error& error) {
        EXPECT_STREQ(error.name(), error_name::kBusy);
    }
}

TEST_F(RecoveryTest, AFailedResetIsANamedError) {
    recoverable();
    module.stuck = true;
    module.escapeWorks = module.rebootWorks = module.usbResetWorks = false;
    std::string errorName;
    modem().reset([&](const Error* error, const ResetResult&) { errorName = error ? error->name() : "none"; });
    scheduler.advanceInSteps(120s, 100ms);
    EXPECT_EQ(errorName, error_name::kRecoveryFailed);
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
}

TEST_F(RecoveryTest, AConnectWaitingOnARecoveryWhosePortHangsUpGetsItsReply) {
    // The module stays silent to the probe; 0.5 s into the escape's guard time its modem port
    // hangs up (a module restarting itself does that). The recovery goes on to the restart, the
    // dial follows, and the waiting Connect gets its answer.
    callKilled();
    Outcome waiting;
    modem().connect({}, true, waiting.completion());
    scheduler.advanceInSteps(1500ms);
    EXPECT_EQ(modem().state(), ModemState::Resetting);
    module.hangUp("/dev/ttyUSB3");
    scheduler.advanceInSteps(20s);
    ASSERT_EQ(runner.launches.size(), 2u) << "no dial after the recovery";
    EXPECT_EQ(modem().state(), ModemState::Connecting);
    runner.ipUp(sampleIp());
    EXPECT_TRUE(waiting.called);
    EXPECT_FALSE(waiting.errorName);
    runner.exitWith(16);
    scheduler.advanceInSteps(4s);
    ASSERT_EQ(recorder().hangups.size(), 2u);
    EXPECT_THAT(recorder().hangups[1].log, HasSubstr("hung up during the guard time before '+++'"));
    EXPECT_THAT(recorder().hangups[1].log, HasSubstr("module recovered by reboot in"));
}

TEST_F(RecoveryTest, WhenTheHangUpLeavesNoRungTheWaitingConnectFailsByName) {
    // The same hang-up on a fixed-port modem with no AT port: nothing is left to try. The
    // waiting Connect fails as module-unresponsive, and the modem takes the next Connect.
    services.atPorts = &module;  // no AT port configured, not a USB modem
    modem().connect({}, false, [](const Error*) {});
    runner.ipUp(sampleIp());
    module.stuck = true;
    runner.killedBy(SIGKILL);
    scheduler.advanceInSteps(4s);
    Outcome waiting;
    modem().connect({}, true, waiting.completion());
    scheduler.advanceInSteps(1500ms);
    module.hangUp("/dev/ttyUSB3");
    scheduler.advanceInSteps(5s);
    ASSERT_TRUE(waiting.called) << "the waiting Connect got no answer";
    EXPECT_EQ(waiting.errorName, error_name::kCallFailed);
    EXPECT_THAT(waiting.message, HasSubstr("module-unresponsive"));
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
    EXPECT_EQ(modem().lastExitReason().code, kModuleUnresponsiveCode);
    modem().connect({}, false, [](const Error*) {});  // not Busy: it checks the module again
    EXPECT_EQ(modem().state(), ModemState::Resetting);
}

TEST_F(RecoveryTest, DisconnectAndShutdownCancelARecovery) {
    callKilled();
    Outcome waiting;
    modem().connect({}, true, waiting.completion());
    scheduler.advanceInSteps(500ms);
    Outcome disconnected;
    modem().disconnect(disconnected.completion());
    EXPECT_TRUE(disconnected.called);
    EXPECT_FALSE(disconnected.errorName);
    EXPECT_EQ(waiting.errorName, error_name::kCancelled);
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
    scheduler.advanceInSteps(60s, 100ms);
    EXPECT_EQ(runner.launches.size(), 1u);  // the cancelled dial never happens

    std::string resetError;
    modem().reset([&](const Error* error, const ResetResult&) { resetError = error ? error->name() : "none"; });
    bool stopped = false;
    modem().stop([&] { stopped = true; });
    EXPECT_TRUE(stopped);
    EXPECT_EQ(resetError, error_name::kCancelled);
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
}

// Putting the link online (route, DNS, IPv6: LinkOnline), as the modem drives it.
class OnlineModemTest : public ModemTest {
protected:
    Modem& onlineModem() {
        services.online = OnlineServices{&routes, &watches, &dns};
        return modem();
    }
    testing::FakeRouteTable routes;
    testing::FakeLinkWatchFactory watches;
    testing::FakeDnsBackends dns;
};

TEST_F(OnlineModemTest, ConnectedOnlyOnceRouteAndDnsAreInPlace) {
    dns.resolved.immediate = false;
    Outcome outcome;
    onlineModem().connect({}, true, outcome.completion());
    EXPECT_EQ(watches.opened, 1);  // before pppd could bring IPV6CP up
    PluginReport interface;
    interface.kind = PluginReport::Kind::Interface;
    interface.ip.interface = "ppp0";
    runner.report(interface);
    EXPECT_EQ(watches.current()->followed, 7);
    runner.ipUp(sampleIp());
    EXPECT_EQ(modem().state(), ModemState::Connecting);
    EXPECT_FALSE(outcome.called);
    EXPECT_TRUE(modem().online().defaultRoute);
    dns.resolved.answerAll();
    EXPECT_EQ(modem().state(), ModemState::Connected);
    EXPECT_TRUE(outcome.called);
    EXPECT_FALSE(outcome.errorName);
    EXPECT_EQ(modem().online().dnsBackend, "resolved");
}

TEST_F(OnlineModemTest, TheHangupLogSaysWhatWasConfiguredAndTakenAway) {
    onlineModem().connect({}, false, [](const Error*) {});
    runner.ipUp(sampleIp());
    ASSERT_EQ(modem().state(), ModemState::Connected);
    routes.removeInterface("ppp0");
    runner.exitWith(16);
    scheduler.runDeferred();
    ASSERT_EQ(recorder().hangups.size(), 1u);
    const std::string& log = recorder().hangups[0].log;
    EXPECT_THAT(log, HasSubstr("default route via ppp0 added at metric 700"));
    EXPECT_THAT(log, HasSubstr("DNS: servers 10.64.0.53 10.64.0.54 to resolved for ppp0"));
    EXPECT_THAT(log, HasSubstr("default route via ppp0: gone with the interface"));
    EXPECT_THAT(log, HasSubstr("DNS: resolved forgot ppp0's servers with the interface"));
    EXPECT_FALSE(modem().online().defaultRoute);
    EXPECT_EQ(modem().online().dnsBackend, "");
}

TEST_F(OnlineModemTest, ARouteMetricOfOneCallIsPublished) {
    CallOverrides overrides;
    overrides.routeMetric = 50;
    onlineModem().connect(overrides, false, [](const Error*) {});
    EXPECT_EQ(modem().routeMetric(), 50u);
    runner.ipUp(sampleIp());
    EXPECT_EQ(routes.routes, (std::set<std::pair<int, uint32_t>>{{7, 50}}));
}

TEST_F(OnlineModemTest, AnIpv4v6ContextRefusedAfterAtdIsDialledOnceMoreAsIpv4) {
    Outcome outcome;
    onlineModem().connect({}, true, outcome.completion());
    runner.log("send (AT+CGDCONT=1,\"IPV4V6\",\"internet\"^M)");
    runner.log("send (ATD*99#^M)");
    runner.log("expect (CONNECT)");
    runner.log("NO CARRIER");
    runner.exitWith(8);
    scheduler.runDeferred();
    ASSERT_EQ(runner.launches.size(), 2u);
    EXPECT_FALSE(outcome.called);
    EXPECT_EQ(modem().state(), ModemState::Connecting);
    EXPECT_TRUE(recorder().hangups.empty());
    runner.ipUp(sampleIp());
    EXPECT_TRUE(outcome.called);
    EXPECT_FALSE(outcome.errorName);
}

TEST_F(OnlineModemTest, TheIpv4FallbackIsTriedOnceAndThenTheFailureIsReported) {
    Outcome outcome;
    onlineModem().connect({}, true, outcome.completion());
    for (int attempt = 0; attempt < 2; ++attempt) {
        runner.log("send (ATD*99#^M)");
        runner.exitWith(8);
        scheduler.runDeferred();
    }
    EXPECT_EQ(runner.launches.size(), 2u);
    EXPECT_EQ(outcome.errorName, error_name::kCallFailed);
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("dialing again as IPv4 only"));
}

TEST_F(OnlineModemTest, NoFallbackWhenTheDialNeverReachedAtd) {
    Outcome outcome;
    onlineModem().connect({}, true, outcome.completion());
    runner.log("send (AT+CGDCONT=1,\"IPV4V6\",\"internet\"^M)");
    runner.exitWith(8);
    scheduler.runDeferred();
    EXPECT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(outcome.errorName, error_name::kCallFailed);
}

TEST_F(OnlineModemTest, NoFallbackForAnIpv4Call) {
    CallOverrides overrides;
    overrides.ipFamily = IpFamily::Ipv4;
    Outcome outcome;
    onlineModem().connect(overrides, true, outcome.completion());
    runner.log("send (ATD*99#^M)");
    runner.exitWith(8);
    scheduler.runDeferred();
    EXPECT_EQ(runner.launches.size(), 1u);
}

TEST_F(OnlineModemTest, AnIpv6OnlyCallIsConnectedOnceIpv6cpIsUp) {
    CallOverrides overrides;
    overrides.ipFamily = IpFamily::Ipv6;
    Outcome outcome;
    onlineModem().connect(overrides, true, outcome.completion());
    PluginReport ipv6Up;
    ipv6Up.kind = PluginReport::Kind::Ipv6Up;
    ipv6Up.ip.interface = "ppp0";
    runner.report(ipv6Up);
    EXPECT_TRUE(outcome.called);
    EXPECT_FALSE(outcome.errorName);
    EXPECT_EQ(modem().state(), ModemState::Connected);
    EXPECT_EQ(modem().ip().interface, "ppp0");
    EXPECT_THAT(routes.routes, ::testing::IsEmpty());  // IPv6's default route is the RA's
    watches.current()->rdnss({"2001:db8:ff::53"});
    ASSERT_FALSE(dns.resolved.applied.empty());
    EXPECT_THAT(dns.resolved.applied.back().servers, ElementsAre("2001:db8:ff::53"));
}

TEST_F(OnlineModemTest, AnIpv6OnlyCallIsCheckedAgainstTheRouterAdvertisementsDnsOnceItComes) {
    SilentProber prober;
    services.prober = &prober;
    config.call.check.kind = CheckKind::Icmp;
    config.call.check.intervalSeconds = 2;
    config.call.check.timeoutSeconds = 1;
    CallOverrides overrides;
    overrides.ipFamily = IpFamily::Ipv6;
    onlineModem().connect(overrides, false, [](const Error*) {});
    PluginReport ipv6Up;
    ipv6Up.kind = PluginReport::Kind::Ipv6Up;
    ipv6Up.ip.interface = "ppp0";
    runner.report(ipv6Up);
    ASSERT_EQ(modem().state(), ModemState::Connected);
    scheduler.advance(10s);
    EXPECT_TRUE(prober.requests.empty()) << "no IPCP servers and no RDNSS yet: nothing to check against";
    watches.current()->rdnss({"fe80::1", "2001:db8:ff::53"});
    scheduler.advance(2s);
    ASSERT_EQ(prober.requests.size(), 1u);
    EXPECT_EQ(prober.requests[0].target.address, "2001:db8:ff::53") << "the link-local one has no usable scope";
    EXPECT_EQ(prober.requests[0].target.family, AF_INET6);
    watches.current()->rdnss({"2001:db8:ff::54"});  // a later RA: the running check goes on as it was
    scheduler.advance(1s);
    EXPECT_EQ(prober.requests.size(), 1u);
    runner.exitWith(16);  // the network hung up: a Hangup with the call's log
    scheduler.runDeferred();
    ASSERT_EQ(recorder().hangups.size(), 1u);
    EXPECT_THAT(recorder().hangups[0].log, HasSubstr("the check starts when the router advertisement gives some"));
}

TEST_F(OnlineModemTest, ADualStackCallWaitsForIpcpNotIpv6cp) {
    Outcome outcome;
    onlineModem().connect({}, true, outcome.completion());
    PluginReport ipv6Up;
    ipv6Up.kind = PluginReport::Kind::Ipv6Up;
    ipv6Up.ip.interface = "ppp0";
    runner.report(ipv6Up);
    EXPECT_FALSE(outcome.called);
    EXPECT_EQ(modem().state(), ModemState::Connecting);
    runner.ipUp(sampleIp());
    EXPECT_TRUE(outcome.called);
}

// The transitions to and from "unavailable" that no other scenario here makes (the table's rows,
// modem_states.h, each happen somewhere in this file: EveryTransitionHappens below).
TEST_F(ModemTest, AFixedPortThatAppearsMakesTheModemDisconnected) {
    deviceExists = false;
    EXPECT_EQ(modem().state(), ModemState::Unavailable);
    deviceExists = true;
    modem().recheckDevice();
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
    EXPECT_THAT(recorder().states, ElementsAre("disconnected"));
}

TEST_F(ModemTest, ACallWhoseDeviceIsGoneEndsUnavailable) {
    modem().connect({}, false, Outcome().completion());
    runner.ipUp(sampleIp());
    ASSERT_EQ(modem().state(), ModemState::Connected);
    deviceExists = false;
    runner.exitWith(16);
    EXPECT_EQ(modem().state(), ModemState::Unavailable);

    deviceExists = true;
    modem().recheckDevice();
    modem().connect({}, false, Outcome().completion());
    Outcome disconnected;
    modem().disconnect(disconnected.completion());
    ASSERT_EQ(modem().state(), ModemState::Disconnecting);
    deviceExists = false;
    runner.exitWith(5);
    EXPECT_EQ(modem().state(), ModemState::Unavailable);
    EXPECT_TRUE(disconnected.called);
    EXPECT_THAT(recorder().states, ElementsAre("connecting", "connected", "unavailable", "disconnected", "connecting",
                                               "disconnecting", "unavailable"));
}

TEST_F(RecoveryTest, AResetOfADeviceBackUnannouncedAndRemovedDuringIt) {
    deviceExists = false;
    recoverable();
    ASSERT_EQ(modem().state(), ModemState::Unavailable);
    deviceExists = true;  // the node is back; nobody has said so yet
    std::string resetError;
    modem().reset([&](const Error* error, const ResetResult&) { resetError = error ? error->name() : "none"; });
    EXPECT_EQ(modem().state(), ModemState::Resetting);
    bool gone = false;
    modem().deviceRemoved([&] { gone = true; });
    EXPECT_EQ(modem().state(), ModemState::Unavailable);
    EXPECT_EQ(resetError, error_name::kUnavailable);
    EXPECT_TRUE(gone);
    EXPECT_THAT(recorder().states, ElementsAre("resetting", "unavailable"));
}

// Over a whole run of this file: every row of the transition table happens in some scenario
// above, so the table lists nothing the modem never does. (A filtered run checks only that what
// it saw is listed.)
class EveryTransitionHappens : public ::testing::Environment {
public:
    void TearDown() override {
        if (::testing::GTEST_FLAG(filter) != "*") return;
        for (const ModemTransition& transition : kModemTransitions)
            EXPECT_TRUE(testing::seenTransitions().count({transition.from, transition.to}))
                << "no scenario makes " << toString(transition.from) << " -> " << toString(transition.to) << " ("
                << transition.why << ")";
    }
};
[[maybe_unused]] const auto* const kEveryTransitionHappens =
    ::testing::AddGlobalTestEnvironment(new EveryTransitionHappens);

// Escalation (escalation.h): failed dials in a row restart the module, reset its USB device or
// run the power-cycle command before the next dial, at most max-resets-per-hour times.
class EscalationTest : public RecoveryTest {
protected:
    EscalationTest() {
        config.call.reconnect.enabled = true;
        config.call.reconnect.maxDelaySeconds = 5;  // every redial 5 s after the last end
        services.random = [] { return 0.5; };
        services.commands = &commands;
    }
    // The current dial fails (chat gets no CONNECT); time runs until the next pppd starts, at
    // most `bound`. Returns whether one did.
    bool failAndAwaitNextDial(std::chrono::seconds bound = 120s) {
        size_t before = runner.launches.size();
        endBy(8);
        for (auto ran = 0ms; ran < bound && runner.launches.size() == before; ran += 100ms)
            scheduler.advanceInSteps(100ms);
        return runner.launches.size() > before;
    }
    size_t sentCount(const std::string& entry) const { return std::count(module.log.begin(), module.log.end(), entry); }
    std::string allLogs() {
        std::string all;
        for (const auto& hangup : recorder().hangups) all += hangup.log;
        return all;
    }
    struct FakeCommands final : CommandRunner {
        struct Running final : RunningCommand {};
        std::unique_ptr<RunningCommand> run(const std::vector<std::string>& argv, Exited exited) override {
            runs.push_back(argv);
            if (then) then();
            pending.push_back(std::move(exited));
            return std::make_unique<Running>();
        }
        // The command ends with `problem` ("" = status 0).
        void finish(const std::string& problem = "") {
            auto exited = std::move(pending.front());
            pending.erase(pending.begin());
            exited(problem);
        }
        std::vector<std::vector<std::string>> runs;
        std::vector<Exited> pending;
        std::function<void()> then;  // what running it does to the module
    };
    FakeCommands commands;
};

TEST_F(EscalationTest, ThreeFailedDialsInARowRestartTheModuleBeforeTheFourth) {
    recoverable().connect({}, false, [](const Error*) {});
    ASSERT_TRUE(failAndAwaitNextDial());
    ASSERT_TRUE(failAndAwaitNextDial());
    EXPECT_EQ(sentCount("/dev/ttyUSB2 AT+CFUN=1,1"), 0u);
    ASSERT_EQ(runner.launches.size(), 3u);
    endBy(8);  // the third
    EXPECT_EQ(modem().failedDials(), 3u);
    EXPECT_EQ(modem().pendingEscalation(), EscalationStep::Restart);
    for (int i = 0; i < 100 && modem().state() != ModemState::Resetting; ++i) scheduler.advanceInSteps(100ms);
    EXPECT_EQ(runner.launches.size(), 3u) << "the restart comes before the fourth dial";
    scheduler.advanceInSteps(20s);
    ASSERT_EQ(runner.launches.size(), 4u);
    EXPECT_EQ(sentCount("/dev/ttyUSB2 AT+CFUN=1,1"), 1u);
    EXPECT_EQ(sentCount("/dev/ttyUSB3 +++"), 0u) << "the ladder starts at the restart";
    EXPECT_TRUE(module.usbResets.empty());
    // In the third call's Hangup (the decision, with its count) and in the fourth's log (the step).
    ASSERT_EQ(recorder().hangups.size(), 3u);
    EXPECT_THAT(recorder().hangups[2].log,
                HasSubstr("escalation: 3 failed dials in a row (reset-after-failures = 3): restart the module"));
    runner.exitWith(8);
    scheduler.advanceInSteps(4s);
    ASSERT_EQ(recorder().hangups.size(), 4u);
    EXPECT_THAT(recorder().hangups[3].log, HasSubstr("escalation: restart after 3 failed dials in a row"));
    EXPECT_THAT(recorder().hangups[3].log, HasSubstr("module recovered by reboot"));
}

TEST_F(EscalationTest, SixResetTheUsbDeviceAndTheCountGoesRound) {
    recoverable().connect({}, false, [](const Error*) {});
    for (int dial = 1; dial <= 5; ++dial) ASSERT_TRUE(failAndAwaitNextDial()) << "dial " << dial;
    EXPECT_EQ(sentCount("/dev/ttyUSB2 AT+CFUN=1,1"), 1u);
    EXPECT_TRUE(module.usbResets.empty());
    ASSERT_TRUE(failAndAwaitNextDial());  // the sixth failed: a USB reset before the seventh
    EXPECT_THAT(module.usbResets, ElementsAre("1-1"));
    EXPECT_EQ(sentCount("/dev/ttyUSB2 AT+CFUN=1,1"), 1u) << "the ladder starts at the USB reset";
    EXPECT_THAT(allLogs(), HasSubstr("escalation: 6 failed dials in a row (usb-reset-after-failures = 6)"));
    for (int dial = 7; dial <= 9; ++dial) ASSERT_TRUE(failAndAwaitNextDial()) << "dial " << dial;
    EXPECT_EQ(sentCount("/dev/ttyUSB2 AT+CFUN=1,1"), 2u);  // 9: round again
    EXPECT_EQ(modem().failedDials(), 9u);
}

TEST_F(EscalationTest, TheLinkComingUpStartsTheCountAfresh) {
    recoverable().connect({}, false, [](const Error*) {});
    ASSERT_TRUE(failAndAwaitNextDial());
    ASSERT_TRUE(failAndAwaitNextDial());
    runner.ipUp(sampleIp());
    EXPECT_EQ(modem().failedDials(), 0u);
    ASSERT_TRUE(failAndAwaitNextDial());  // a drop of a link that was up is no failed dial
    EXPECT_EQ(modem().failedDials(), 0u);
    ASSERT_TRUE(failAndAwaitNextDial());
    ASSERT_TRUE(failAndAwaitNextDial());
    EXPECT_EQ(sentCount("/dev/ttyUSB2 AT+CFUN=1,1"), 0u);
    EXPECT_EQ(modem().failedDials(), 2u);
}

TEST_F(EscalationTest, WhatNoRestartMendsIsNotCounted) {
    config.call.reconnect.enabled = false;
    recoverable();
    for (int i = 0; i < 4; ++i) {
        modem().connect({}, false, [](const Error*) {});
        endBy(19);  // a wrong password
        scheduler.advanceInSteps(4s);
    }
    EXPECT_EQ(modem().failedDials(), 0u);
    EXPECT_EQ(modem().pendingEscalation(), EscalationStep::None);
}

TEST_F(EscalationTest, TheHourlyCapSkipsStepsAndTheDialsGoOn) {
    config.call.escalation.resetAfterFailures = 1;
    config.call.escalation.usbResetAfterFailures = 0;
    config.call.escalation.maxResetsPerHour = 2;
    recoverable().connect({}, false, [](const Error*) {});
    for (int dial = 1; dial <= 5; ++dial) ASSERT_TRUE(failAndAwaitNextDial()) << "dial " << dial;
    EXPECT_EQ(sentCount("/dev/ttyUSB2 AT+CFUN=1,1"), 2u);
    EXPECT_THAT(allLogs(), HasSubstr("restart skipped: 2 reset(s) in the last hour already (max-resets-per-hour = 2)"));
    scheduler.advanceInSteps(1h, 1s);  // nothing pending: the redial is due; the hour passes
    // The redial after dial 5 ran long ago; its end starts a new window.
    ASSERT_TRUE(failAndAwaitNextDial());
    EXPECT_EQ(sentCount("/dev/ttyUSB2 AT+CFUN=1,1"), 3u);
}

TEST_F(EscalationTest, ThePowerCycleCommandRunsAndTheModuleIsAwaited) {
    config.call.escalation.resetAfterFailures = 0;
    config.call.escalation.usbResetAfterFailures = 0;
    config.call.escalation.powerCycleAfterFailures = 2;
    config.call.escalation.powerCycleCommand = "/usr/local/sbin/modem-power";
    commands.then = [this] { module.restartByItself(); };
    recoverable().connect({}, false, [](const Error*) {});
    ASSERT_TRUE(failAndAwaitNextDial());
    endBy(8);
    for (int i = 0; i < 100 && commands.runs.empty(); ++i) scheduler.advanceInSteps(100ms);
    ASSERT_EQ(commands.runs.size(), 1u);
    EXPECT_EQ(commands.runs[0], std::vector<std::string>{"/usr/local/sbin/modem-power"});
    scheduler.advanceInSteps(10s);
    EXPECT_EQ(runner.launches.size(), 2u) << "no dial before the command has ended";
    commands.finish();
    scheduler.advanceInSteps(10s);  // the module is back 5 s after the restart
    ASSERT_EQ(runner.launches.size(), 3u);
    EXPECT_EQ(sentCount("/dev/ttyUSB2 AT+CFUN=1,1"), 0u);
    EXPECT_TRUE(module.usbResets.empty());
    runner.exitWith(8);
    scheduler.advanceInSteps(4s);
    EXPECT_THAT(allLogs(), HasSubstr("escalation: 2 failed dials in a row (power-cycle-after-failures = 2)"));
    EXPECT_THAT(allLogs(), HasSubstr("recovery, power cycle: running /usr/local/sbin/modem-power"));
    EXPECT_THAT(allLogs(), HasSubstr("module recovered by power-cycle"));
}

TEST_F(EscalationTest, AFailingPowerCycleCommandEndsTheAttemptAndTheRedialsGoOn) {
    config.call.escalation.resetAfterFailures = 0;
    config.call.escalation.usbResetAfterFailures = 0;
    config.call.escalation.powerCycleAfterFailures = 1;
    config.call.escalation.powerCycleCommand = "/usr/local/sbin/modem-power";
    recoverable().connect({}, false, [](const Error*) {});
    endBy(8);
    for (int i = 0; i < 100 && commands.runs.empty(); ++i) scheduler.advanceInSteps(100ms);
    ASSERT_EQ(commands.runs.size(), 1u);
    commands.finish("exit status 3");
    scheduler.advanceInSteps(5s);
    EXPECT_EQ(modem().lastExitReason().code, kModuleUnresponsiveCode);
    EXPECT_THAT(allLogs(), HasSubstr("/usr/local/sbin/modem-power failed: exit status 3"));
    EXPECT_NE(modem().nextReconnectUsec(), 0u);  // and it goes on trying
    EXPECT_EQ(modem().failedDials(), 2u);
}

}  // namespace
}  // namespace dialupd
