// SPDX-License-Identifier: GPL-2.0-or-later
// The redial after the network's stated cause (dm-log): an EMM detach whose cause no redial can
// mend before the module is registered again makes the redial wait for the live status to see
// the module registered (a URC on a fake AT port), not for its backoff timer; a Disconnect
// cancels the wait; without a live status, and for every other cause, the backoff stays.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/diag_hdlc.h"
#include "core/modem.h"
#include "core/reconnect.h"
#include "fakes.h"

namespace dialupd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using testing::FakeAtPort;
using testing::FakeCallLogStore;
using testing::FakeDmPort;
using testing::FakePppdRunner;
using testing::FakeScheduler;

struct Hangups final : ModemObserver {
    void modemPropertiesChanged(const std::vector<ModemProperty>&) override {}
    void modemHangup(const ExitReason& reason, std::chrono::microseconds, const std::string& log) override {
        reasons.push_back(reason);
        logs.push_back(log);
    }
    std::vector<ExitReason> reasons;
    std::vector<std::string> logs;
};

// A DIAG LOG_F packet of an LTE NAS plain OTA code (version 1, release 9.5.0) holding `pdu`.
std::vector<uint8_t> nasLogPacket(uint16_t code, std::vector<uint8_t> pdu) {
    const auto length = static_cast<uint8_t>(12 + 4 + pdu.size());
    std::vector<uint8_t> packet = {
        0x10, 0, length, 0, length, 0, static_cast<uint8_t>(code & 0xff), static_cast<uint8_t>(code >> 8)};
    packet.insert(packet.end(), 8, 0);  // timestamp
    packet.insert(packet.end(), {0x01, 0x09, 0x05, 0x00});
    packet.insert(packet.end(), pdu.begin(), pdu.end());
    return hdlcEncode(packet);
}
// Plain EMM, Detach request, re-attach not required (2), EMM cause IE 0x53: #7.
const std::vector<uint8_t> kDetach7 = {0x07, 0x45, 0x02, 0x53, 0x07};
// EPS bearer 5, ESM, Deactivate EPS bearer context request, ESM cause #36.
const std::vector<uint8_t> kDeactivate36 = {0x52, 0x00, 0xcd, 0x24};

class NetworkRedialTest : public ::testing::Test {
protected:
    NetworkRedialTest() {
        daemon.pluginPath = "/usr/lib/pppd/2.4.9/dialupd-pppd-plugin.so";
        daemon.runtimeDir = "/run/dialupd-test";
        config.id = "m0";
        config.device = "/dev/ttyUSB3";
        config.atPort = "/dev/ttyUSB2";
        config.call.apn = "internet";
        config.call.reconnect.enabled = true;
        config.call.reconnect.delaySeconds = 5;
        config.dmLog = true;
        config.dmPort = "/dev/ttyUSB0";
        atPort.answerLikeAnEc25();
        services.atPorts = &atPort;
        services.callLogs = &store;
        services.dmPorts = &dmPort;
        services.random = [] { return 0.5; };  // no jitter
    }
    Modem& modem(bool withLiveStatus = true) {
        if (!modem_) {
            modem_ = std::make_unique<Modem>(
                config, daemon, runner, scheduler, [](const std::string&) { return true; }, services);
            modem_->setObserver(&hangups);
            if (withLiveStatus) {
                modem_->setLiveStatus(std::make_unique<LiveStatus>(atPort, scheduler, "m0"));
                scheduler.advanceInSteps(2s);
                EXPECT_EQ(modem_->liveStatus()->phase(), LiveStatus::Phase::Listening);
            }
        }
        return *modem_;
    }
    // The module's registration as a read and as a URC (+CREG, +CGREG and +CEREG alike).
    void registration(int stat, bool urc) {
        const std::string value = std::to_string(stat);
        atPort.answers["AT+CREG?"] = {"+CREG: 2," + value, "OK"};
        atPort.answers["AT+CGREG?"] = {"+CGREG: 2," + value, "OK"};
        atPort.answers["AT+CEREG?"] = {"+CEREG: 2," + value, "OK"};
        if (!urc) return;
        ASSERT_NE(atPort.current, nullptr) << "the live status holds the AT port";
        atPort.current->unsolicited("+CGREG: " + value);
        atPort.current->unsolicited("+CEREG: " + value);
    }
    // A call up, then ended by the network with `pdu` (an LTE NAS message of `code`) in the DM log.
    void callEndedByTheNetwork(uint16_t code, const std::vector<uint8_t>& pdu, int deregisterTo = -1) {
        modem().connect({}, false, [](const Error*) {});
        ASSERT_TRUE(dmPort.isOpen());
        dmPort.send(hdlcEncode(std::vector<uint8_t>{0x73, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0}));
        ASSERT_EQ(runner.launches.size(), 1u);
        runner.ipUp({"ppp0", "10.64.0.2", "10.64.0.1", {}});
        scheduler.advance(10s);
        dmPort.send(nasLogPacket(code, pdu));
        if (deregisterTo >= 0) registration(deregisterTo, modem_->liveStatus() != nullptr);
        scheduler.advance(500ms);
        runner.exitWith(16);
        scheduler.runDeferred();
        for (int i = 0; i < 1000 && hangups.logs.empty(); ++i) scheduler.advance(10ms);
        ASSERT_EQ(hangups.logs.size(), 1u);
    }

    DaemonSettings daemon;
    ModemConfig config;
    FakePppdRunner runner;
    FakeScheduler scheduler;
    FakeAtPort atPort{scheduler};
    FakeCallLogStore store;
    FakeDmPort dmPort;
    ModemServices services;
    Hangups hangups;
    std::unique_ptr<Modem> modem_;
};

TEST_F(NetworkRedialTest, AnEmmDetach7WaitsForTheModuleToBeRegisteredAgainThenDials) {
    callEndedByTheNetwork(0xB0EC, kDetach7, 3);  // +CEREG: 3, registration denied
    const std::string why =
        "redial waits for the network to register the module again (EMM cause #7 EPS services "
        "not allowed)";
    EXPECT_THAT(hangups.logs[0], HasSubstr("dialupd: " + why));
    EXPECT_THAT(hangups.logs[0], Not(HasSubstr("redial 1 in")));
    EXPECT_THAT(hangups.reasons[0].description, HasSubstr("; network: EMM cause #7 EPS services not allowed; " + why));
    EXPECT_THAT(modem().lastExitReason().description, HasSubstr(why));
    EXPECT_EQ(modem().nextReconnectUsec(), kRedialAwaitsEvent);
    EXPECT_EQ(modem().reconnectAttempts(), 0u);
    // Far past any backoff (the snapshot's reread of the registration included): no dial.
    scheduler.advanceInSteps(10min, 100ms);
    EXPECT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(modem().state(), ModemState::Disconnected);
    // A search is no registration either.
    registration(2, true);
    scheduler.advanceInSteps(1s);
    EXPECT_EQ(runner.launches.size(), 1u);
    // Registered again: the redial dials at once, with the call's settings.
    registration(1, true);
    EXPECT_EQ(runner.launches.size(), 1u) << "dialled from the loop, not from inside the URC";
    scheduler.advanceInSteps(100ms);
    ASSERT_EQ(runner.launches.size(), 2u);
    EXPECT_EQ(modem().state(), ModemState::Connecting);
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
}

TEST_F(NetworkRedialTest, DisconnectCancelsTheWait) {
    callEndedByTheNetwork(0xB0EC, kDetach7, 3);
    ASSERT_EQ(modem().nextReconnectUsec(), kRedialAwaitsEvent);
    bool done = false;
    modem().disconnect([&](const Error* error) { done = error == nullptr; });
    EXPECT_TRUE(done);
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
    registration(1, true);
    scheduler.advanceInSteps(1min, 100ms);
    EXPECT_EQ(runner.launches.size(), 1u);
    EXPECT_THROW(modem().disconnect([](const Error*) {}), Error) << "nothing left to cancel";
}

TEST_F(NetworkRedialTest, AConnectReplacesTheWait) {
    callEndedByTheNetwork(0xB0EC, kDetach7, 3);
    modem().connect({}, false, [](const Error*) {});
    EXPECT_EQ(runner.launches.size(), 2u);
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
    runner.exitWith(8);  // that dial fails: the next end decides afresh (no DM cause now: backoff)
    scheduler.runDeferred();
    EXPECT_NE(modem().nextReconnectUsec(), kRedialAwaitsEvent);
    EXPECT_NE(modem().nextReconnectUsec(), 0u);
}

TEST_F(NetworkRedialTest, RedialsUsedUpAreNotWaitedFor) {
    config.call.reconnect.maxAttempts = 1;
    modem().connect({}, false, [](const Error*) {});
    runner.exitWith(8);  // the dial fails: redial 1 of 1
    scheduler.runDeferred();
    scheduler.advanceInSteps(6s);
    ASSERT_EQ(runner.launches.size(), 2u);
    // The redial's dial is refused by the network with EMM #7 before the link comes up.
    dmPort.send(hdlcEncode(std::vector<uint8_t>{0x73, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0}));
    dmPort.send(nasLogPacket(0xB0EC, kDetach7));
    runner.exitWith(16);
    scheduler.runDeferred();
    for (int i = 0; i < 1000 && hangups.logs.size() < 2; ++i) scheduler.advance(10ms);
    ASSERT_EQ(hangups.logs.size(), 2u);
    EXPECT_THAT(hangups.logs[1], HasSubstr("no redial: 1 in a row did not bring the link up"));
    EXPECT_THAT(hangups.logs[1], Not(HasSubstr("redial waits")));
    EXPECT_THAT(hangups.reasons[1].description, Not(HasSubstr("redial waits")));
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
    registration(1, true);
    scheduler.advanceInSteps(1s);
    EXPECT_EQ(runner.launches.size(), 2u);
}

TEST_F(NetworkRedialTest, WithoutALiveStatusTheBackoffStaysAndTheLogSaysSo) {
    modem(false);
    callEndedByTheNetwork(0xB0EC, kDetach7);
    EXPECT_THAT(hangups.logs[0], HasSubstr("without a live status on an AT port dialupd cannot see that: the redial "
                                           "keeps its backoff"));
    EXPECT_THAT(hangups.logs[0], HasSubstr("redial 1 in 5.0 s"));
    EXPECT_NE(modem().nextReconnectUsec(), kRedialAwaitsEvent);
    scheduler.advanceInSteps(5s);
    EXPECT_EQ(runner.launches.size(), 2u);
}

TEST_F(NetworkRedialTest, OtherCausesKeepTheBackoff) {
    callEndedByTheNetwork(0xB0E2, kDeactivate36);
    EXPECT_THAT(hangups.logs[0], HasSubstr("network: ESM cause #36 regular deactivation"));
    EXPECT_THAT(hangups.logs[0], HasSubstr("redial 1 in 5.0 s"));
    EXPECT_THAT(hangups.logs[0], Not(HasSubstr("redial waits")));
    EXPECT_NE(modem().nextReconnectUsec(), kRedialAwaitsEvent);
    scheduler.advanceInSteps(5s);
    EXPECT_EQ(runner.launches.size(), 2u);
}

TEST_F(NetworkRedialTest, WithoutDmLogNothingChanges) {
    config.dmLog = false;
    modem().connect({}, false, [](const Error*) {});
    runner.ipUp({"ppp0", "10.64.0.2", "10.64.0.1", {}});
    registration(3, true);
    runner.exitWith(16);
    scheduler.runDeferred();
    EXPECT_EQ(modem().reconnectAttempts(), 1u);
    EXPECT_NE(modem().nextReconnectUsec(), kRedialAwaitsEvent);
}

TEST(NetworkEndWaitsForRegistration, TheEmmCausesOf24301) {
    for (uint8_t cause : {3, 6, 7, 8, 11, 12, 13, 14, 15}) EXPECT_TRUE(emmCauseWaitsForRegistration(cause)) << +cause;
    for (uint8_t cause : {0, 2, 9, 10, 22, 25, 40, 111, 255})
        EXPECT_FALSE(emmCauseWaitsForRegistration(cause)) << +cause;
}

NasSessionEnd fromTheNetwork(NasMessageType message, NasCauseKind kind, uint8_t cause) {
    NasSessionEnd end;
    end.message = message;
    end.direction = NasDirection::NetworkToUe;
    end.causeKind = kind;
    end.cause = cause;
    return end;
}

TEST(NetworkEndWaitsForRegistration, WhichMessages) {
    NasSessionEnd detach = fromTheNetwork(NasMessageType::DetachRequest, NasCauseKind::Emm, 7);
    detach.detachType = 2;
    EXPECT_TRUE(networkEndWaitsForRegistration(detach));
    NasSessionEnd reattach = detach;
    reattach.detachType = 1;  // re-attach required: the module attaches again by itself
    EXPECT_FALSE(networkEndWaitsForRegistration(reattach));
    NasSessionEnd noCause = detach;
    noCause.cause.reset();
    EXPECT_FALSE(networkEndWaitsForRegistration(noCause));
    NasSessionEnd ours = detach;
    ours.direction = NasDirection::UeToNetwork;
    EXPECT_FALSE(networkEndWaitsForRegistration(ours));
    NasSessionEnd tau = fromTheNetwork(NasMessageType::TrackingAreaUpdateReject, NasCauseKind::Emm, 11);
    EXPECT_TRUE(networkEndWaitsForRegistration(tau));
    NasSessionEnd service = tau;
    service.message = NasMessageType::ServiceReject;
    service.cause = 9;  // identity cannot be derived: the module attaches again
    EXPECT_FALSE(networkEndWaitsForRegistration(service));
    service.cause = 12;
    EXPECT_TRUE(networkEndWaitsForRegistration(service));
    // ESM #8 operator determined barring: one bearer, not the registration.
    NasSessionEnd esm = fromTheNetwork(NasMessageType::DeactivateEpsBearerContextRequest, NasCauseKind::Esm, 8);
    EXPECT_FALSE(networkEndWaitsForRegistration(esm));
    NasSessionEnd rrc = fromTheNetwork(NasMessageType::RrcConnectionRelease, NasCauseKind::Rrc, 1);
    EXPECT_FALSE(networkEndWaitsForRegistration(rrc));
}

}  // namespace
}  // namespace dialupd
