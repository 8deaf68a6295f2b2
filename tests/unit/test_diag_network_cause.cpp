// SPDX-License-Identifier: GPL-2.0-or-later
// From raw port bytes to the network's stated cause: splitter, ring, log packets, NAS decoder.
#include "core/diag_network_cause.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/diag_hdlc.h"
#include "diag_frames.h"

namespace dialupd {
namespace {

using testing::Bytes;
using testing::concat;
using testing::logPacket;
using testing::lteNasBody;
using Clock = DiagFrameRing::Clock;
using namespace std::chrono_literals;

const Clock::time_point kStart = Clock::time_point(1000s);

TEST(DiagNetworkCause, FromPortBytesToTheCause) {
    // Background: an RRC OTA packet and an ESM activate default bearer (not a session end),
    // then the deactivation #36 in a security-protected wrapper as 0xB0E2 logs it, then an EMM
    // detach #7 as 0xB0EC logs it.
    Bytes stream = concat({
        hdlcEncode(logPacket(0xb0c0, 0x10000, {0x0e, 0x00, 0x01, 0x02})),
        hdlcEncode(logPacket(0xb0e2, 0x20000, lteNasBody({0x52, 0x00, 0xc1, 0x09}))),
        hdlcEncode(logPacket(0xb0e2, 0x30000, lteNasBody(testing::kProtectedDeactivate36))),
        hdlcEncode(logPacket(0xb0ec, 0x40000, lteNasBody(testing::kDetach7))),
    });
    HdlcSplitter splitter;
    DiagFrameRing ring;
    Clock::time_point now = kStart;
    for (size_t at = 0; at < stream.size(); at += 7) {
        now += 10ms;
        splitter.feed(std::span(stream).subspan(at, std::min<size_t>(7, stream.size() - at)),
                      [&](std::span<const uint8_t> payload) { ring.push(payload, now); });
    }
    ASSERT_EQ(ring.frameCount(), 4u);
    NetworkCauses causes = findNetworkCauses(ring);
    EXPECT_EQ(causes.logPackets, 4u);
    EXPECT_EQ(causes.nasMessages, 3u);
    ASSERT_EQ(causes.messages.size(), 2u);
    EXPECT_EQ(nasCauseSummary(causes.messages[0]), "ESM cause #36 regular deactivation");
    EXPECT_EQ(causes.messages[0].modemTimestamp, 0x30000u);
    EXPECT_EQ(nasCauseSummary(causes.messages[1]), "EMM cause #7 EPS services not allowed");
    EXPECT_EQ(causes.messages[1].direction, NasDirection::NetworkToUe);
    ASSERT_TRUE(causes.messages[0].receivedAt && causes.messages[1].receivedAt);
    EXPECT_LT(*causes.messages[0].receivedAt, *causes.messages[1].receivedAt);
}

TEST(DiagNetworkCause, StatedCauseIsTheNewestFromTheNetworkWithACause) {
    NetworkCauses causes;
    EXPECT_EQ(statedNetworkCause(causes), nullptr);
    NasSessionEnd deactivate;
    deactivate.message = NasMessageType::DeactivateEpsBearerContextRequest;
    deactivate.cause = 36;
    NasSessionEnd detachWithoutCause;
    detachWithoutCause.message = NasMessageType::DetachRequest;
    detachWithoutCause.causeKind = NasCauseKind::Emm;
    NasSessionEnd fromTheUe = deactivate;
    fromTheUe.direction = NasDirection::UeToNetwork;
    causes.messages = {deactivate, detachWithoutCause, fromTheUe};
    ASSERT_NE(statedNetworkCause(causes), nullptr);
    EXPECT_EQ(*statedNetworkCause(causes), deactivate);
    NasSessionEnd detach = detachWithoutCause;
    detach.cause = 7;
    causes.messages.push_back(detach);
    EXPECT_EQ(nasCauseSummary(*statedNetworkCause(causes)), "EMM cause #7 EPS services not allowed");
}

TEST(DiagNetworkCause, OneFrame) {
    Bytes frame = logPacket(0xb0ec, 5, lteNasBody(testing::kServiceReject9));
    auto message = sessionEndInFrame(frame, kStart);
    ASSERT_TRUE(message);
    EXPECT_EQ(message->message, NasMessageType::ServiceReject);
    EXPECT_EQ(message->receivedAt, kStart);
    EXPECT_EQ(message->modemTimestamp, 5u);
    EXPECT_FALSE(sessionEndInFrame(Bytes{0x73, 0, 0, 0}, kStart));
    EXPECT_FALSE(sessionEndInFrame(logPacket(0x713a, 0, testing::umtsNasBody(0, {0x08, 0x05, 0x01})), kStart));
}

}  // namespace
}  // namespace dialupd
