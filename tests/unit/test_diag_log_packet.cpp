// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/diag_log_packet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "diag_frames.h"

namespace dialupd {
namespace {

using testing::Bytes;
using testing::kPlainDeactivate36;
using testing::logPacket;
using testing::lteNasBody;
using testing::umtsNasBody;

Bytes spanBytes(std::span<const uint8_t> bytes) { return Bytes(bytes.begin(), bytes.end()); }

TEST(DiagLogPacket, ReadsHeaderAndPayload) {
    Bytes frame = logPacket(0xb0ec, 0x0123456789abcdefULL, {0xaa, 0xbb});
    // 10 00 | 0e 00 | 0e 00 | ec b0 | ef cd ab 89 67 45 23 01 | aa bb
    ASSERT_EQ(frame.size(), 18u);
    EXPECT_EQ(frame[2], 14);
    EXPECT_EQ(frame[6], 0xec);
    EXPECT_EQ(frame[7], 0xb0);
    auto packet = parseDiagLogPacket(frame);
    ASSERT_TRUE(packet);
    EXPECT_EQ(packet->code, 0xb0ec);
    EXPECT_EQ(packet->timestamp, 0x0123456789abcdefULL);
    EXPECT_EQ(spanBytes(packet->payload), (Bytes{0xaa, 0xbb}));
}

TEST(DiagLogPacket, EmptyBodyIsAPacket) {
    auto packet = parseDiagLogPacket(logPacket(0x1234, 0, {}));
    ASSERT_TRUE(packet);
    EXPECT_TRUE(packet->payload.empty());
}

TEST(DiagLogPacket, RefusesOtherCommandsShortFramesAndWrongLengths) {
    Bytes frame = logPacket(0xb0ec, 1, {0x01, 0x02});
    EXPECT_FALSE(parseDiagLogPacket(Bytes(frame.begin(), frame.begin() + 15)));
    Bytes other = frame;
    other[0] = 0x73;
    EXPECT_FALSE(parseDiagLogPacket(other));
    Bytes cut(frame.begin(), frame.end() - 1);  // one body byte fewer than both lengths say
    EXPECT_FALSE(parseDiagLogPacket(cut));
    Bytes outerLies = frame;
    outerLies[2] += 1;
    EXPECT_FALSE(parseDiagLogPacket(outerLies));
    Bytes innerLies = frame;
    innerLies[4] -= 1;
    EXPECT_FALSE(parseDiagLogPacket(innerLies));
    Bytes huge = frame;
    huge[3] = 0xff;
    huge[5] = 0xff;
    EXPECT_FALSE(parseDiagLogPacket(huge));
}

TEST(DiagLogPacket, TimestampInMilliseconds) {
    // 800 ticks of 1.25 ms = 1000 ms; the low 16 bits are a fraction of a tick.
    EXPECT_EQ(diagTimestampMilliseconds(uint64_t(800) << 16 | 0xffff), 1000u);
    EXPECT_EQ(diagTimestampMilliseconds(uint64_t(3) << 16), 3u);  // 3.75 ms
}

TEST(DiagLogPacket, LteNasPdusWithTheirDirection) {
    struct Case {
        uint16_t code;
        NasDirection direction;
    };
    for (Case c : {Case{0xb0e2, NasDirection::NetworkToUe}, Case{0xb0ec, NasDirection::NetworkToUe},
                   Case{0xb0e3, NasDirection::UeToNetwork}, Case{0xb0ed, NasDirection::UeToNetwork}}) {
        Bytes frame = logPacket(c.code, 7, lteNasBody(kPlainDeactivate36));
        auto packet = parseDiagLogPacket(frame);
        ASSERT_TRUE(packet);
        auto nas = extractNasPdu(*packet);
        ASSERT_TRUE(nas) << std::hex << c.code;
        EXPECT_EQ(nas->family, NasFamily::Eps);
        EXPECT_EQ(nas->direction, c.direction);
        EXPECT_EQ(spanBytes(nas->pdu), kPlainDeactivate36);
    }
}

TEST(DiagLogPacket, UmtsNasPdu) {
    // GMM Detach request to the UE (24.008): 08 = PD 8, 05 = detach request, 01 = type.
    Bytes pdu = {0x08, 0x05, 0x01};
    Bytes frame = logPacket(0x713a, 7, umtsNasBody(0, pdu));
    auto nas = extractNasPdu(*parseDiagLogPacket(frame));
    ASSERT_TRUE(nas);
    EXPECT_EQ(nas->family, NasFamily::Umts);
    EXPECT_EQ(nas->direction, NasDirection::NetworkToUe);
    EXPECT_EQ(spanBytes(nas->pdu), pdu);
    frame = logPacket(0x713a, 7, umtsNasBody(1, pdu));
    EXPECT_EQ(extractNasPdu(*parseDiagLogPacket(frame))->direction, NasDirection::UeToNetwork);
}

TEST(DiagLogPacket, NoNasPduInOtherOrMalformedPackets) {
    auto nasOf = [](const Bytes& frame) { return extractNasPdu(*parseDiagLogPacket(frame)); };
    EXPECT_FALSE(nasOf(logPacket(0xb0c0, 0, lteNasBody(kPlainDeactivate36))));  // RRC: not NAS
    EXPECT_FALSE(nasOf(logPacket(0xb0ec, 0, {0x01, 0x09, 0x05, 0x00})));        // header, no PDU
    EXPECT_FALSE(nasOf(logPacket(0xb0ec, 0, {0x01})));
    Bytes umts = umtsNasBody(0, {0x08, 0x05, 0x01});
    umts[1] = 4;  // says 4 bytes, holds 3
    EXPECT_FALSE(nasOf(logPacket(0x713a, 0, umts)));
    EXPECT_FALSE(nasOf(logPacket(0x713a, 0, umtsNasBody(2, {0x08}))));  // no such direction
    EXPECT_FALSE(nasOf(logPacket(0x713a, 0, umtsNasBody(0, {}))));
}

}  // namespace
}  // namespace dialupd
