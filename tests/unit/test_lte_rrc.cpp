// SPDX-License-Identifier: GPL-2.0-or-later
// The RRC connection release's cause from an LTE RRC OTA log packet. The PDUs are derived by
// hand from 36.331's ASN.1 under unaligned PER, bit by bit in the comments (and checked against
// Wireshark's lte-rrc.dl.dcch dissector: tests/sim/test_dm_port.py does that for the
// simulator's). A PDU is written most significant bit first.
#include "core/lte_rrc.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/diag_network_cause.h"
#include "core/dm_recorder.h"

namespace dialupd {
namespace {

using Bytes = std::vector<uint8_t>;

// 2E 02 = 0010 1110 0000 0010:
//   0      DL-DCCH-MessageType: c1 (of c1, messageClassExtension)
//   0101   c1: alternative 5 of 16, rrcConnectionRelease
//   11     rrc-TransactionIdentifier 3
//   0      criticalExtensions: c1
//   00     c1: rrcConnectionRelease-r8 (of r8, spare3, spare2, spare1)
//   000    no redirectedCarrierInfo, idleModeMobilityControlInfo, nonCriticalExtension
//   01     releaseCause 1: other
//   0      padding to the octet
// The release an eNodeB sends when the inactivity timer ends a connection.
const Bytes kReleaseOther = {0x2e, 0x02};
// 28 18 40 16 08 08 80 00 00: 0 0101 00 0 | 00 011 00 0 ...: transaction 0, r8, no redirected
// carrier, idleModeMobilityControlInfo and a nonCriticalExtension present (their bits follow,
// not read), releaseCause 0: loadBalancingTAUrequired (the load balancing release carries the
// idle mode priorities, as this one does).
const Bytes kReleaseLoadBalancing = {0x28, 0x18, 0x40, 0x16, 0x08, 0x08, 0x80, 0x00, 0x00};

TEST(RrcConnectionRelease, TheCauseOfAHandDerivedPdu) {
    EXPECT_EQ(rrcConnectionReleaseCause(kReleaseOther), 1);
    EXPECT_EQ(rrcConnectionReleaseCause(kReleaseLoadBalancing), 0);
    // 2A 04 = 0 0101 01 0 | 00 000 10 0: transaction 1, cs-FallbackHighPriority (2).
    EXPECT_EQ(rrcConnectionReleaseCause(Bytes{0x2a, 0x04}), 2);
    // 28 06 = 0 0101 00 0 | 00 000 11 0: rrc-Suspend (3).
    EXPECT_EQ(rrcConnectionReleaseCause(Bytes{0x28, 0x06}), 3);
    EXPECT_STREQ(rrcReleaseCauseName(1), "other");
    EXPECT_STREQ(rrcReleaseCauseName(3), "rrc-Suspend");
    EXPECT_STREQ(rrcReleaseCauseName(9), "unknown cause");
}

TEST(RrcConnectionRelease, AnythingElseIsNoRelease) {
    EXPECT_EQ(rrcConnectionReleaseCause(Bytes{}), std::nullopt);
    EXPECT_EQ(rrcConnectionReleaseCause(Bytes{0x2e}), std::nullopt) << "cut before the cause";
    // 22 ...: 0 0100 ...: rrcConnectionReconfiguration.
    EXPECT_EQ(rrcConnectionReleaseCause(Bytes{0x22, 0x02}), std::nullopt);
    // AE 02: 1 ...: messageClassExtension.
    EXPECT_EQ(rrcConnectionReleaseCause(Bytes{0xae, 0x02}), std::nullopt);
    // 2F 02: criticalExtensionsFuture (bit 7 set).
    EXPECT_EQ(rrcConnectionReleaseCause(Bytes{0x2f, 0x02}), std::nullopt);
    // 2E 42: c1's spare (bits 8-9 01).
    EXPECT_EQ(rrcConnectionReleaseCause(Bytes{0x2e, 0x42}), std::nullopt);
}

// An LTE RRC OTA packet's payload: version 20's 19-byte header (release 14.3.0, bearer 1, cell
// 11, EARFCN 2554, SFN/subframe, PDU number, SIB mask, length) then the PDU.
Bytes rrcOta(uint8_t version, uint8_t pduNumber, const Bytes& pdu) {
    Bytes payload = {version, 0x30, 0x0e, 0x01,      0x0b, 0x00, 0xfa, 0x09, 0x00,
                     0x00,    0x49, 0x8c, pduNumber, 0,    0,    0,    0,    static_cast<uint8_t>(pdu.size()),
                     0};
    for (uint8_t byte : pdu) payload.push_back(byte);  // (insert of an empty range trips GCC 12's -Warray-bounds)
    return payload;
}

DiagLogPacket packet(uint16_t code, const Bytes& payload) {
    DiagLogPacket packet;
    packet.code = code;
    packet.payload = payload;
    return packet;
}

TEST(LteRrcOtaPacket, TheDlDcchPduOfAKnownVersion) {
    Bytes v20 = rrcOta(20, 7, kReleaseOther);
    auto pdu = lteRrcDlDcchPdu(packet(0xB0C0, v20));
    ASSERT_TRUE(pdu);
    EXPECT_EQ(Bytes(pdu->begin(), pdu->end()), kReleaseOther);
    // Version 19 numbers DL-DCCH 9, version 9 13: the same byte is another channel there.
    EXPECT_FALSE(lteRrcDlDcchPdu(packet(0xB0C0, rrcOta(19, 7, kReleaseOther))));
    EXPECT_TRUE(lteRrcDlDcchPdu(packet(0xB0C0, rrcOta(19, 9, kReleaseOther))));
    EXPECT_TRUE(lteRrcDlDcchPdu(packet(0xB0C0, rrcOta(9, 13, kReleaseOther))));
    // Version 7: EARFCN u16 and a SIB mask, a 17-byte header; PDU number 6 is DL-DCCH.
    Bytes v7 = {7, 0xb1, 0x09, 0x00, 0x07, 0x01, 0x2c, 0x07, 0x25, 0x34, 6, 0, 0, 0, 0, 2, 0, 0x2e, 0x02};
    EXPECT_TRUE(lteRrcDlDcchPdu(packet(0xB0C0, v7)));
}

TEST(LteRrcOtaPacket, WhatDoesNotFitIsSkipped) {
    EXPECT_FALSE(lteRrcDlDcchPdu(packet(0xB0C1, rrcOta(20, 7, kReleaseOther)))) << "another log code";
    EXPECT_FALSE(lteRrcDlDcchPdu(packet(0xB0C0, rrcOta(26, 7, kReleaseOther)))) << "a version not known";
    EXPECT_FALSE(lteRrcDlDcchPdu(packet(0xB0C0, rrcOta(20, 8, kReleaseOther)))) << "UL-CCCH";
    Bytes cut = rrcOta(20, 7, kReleaseOther);
    cut.pop_back();
    EXPECT_FALSE(lteRrcDlDcchPdu(packet(0xB0C0, cut))) << "the length says more than there is";
    EXPECT_FALSE(lteRrcDlDcchPdu(packet(0xB0C0, rrcOta(20, 7, {})))) << "an empty PDU";
    EXPECT_FALSE(lteRrcDlDcchPdu(packet(0xB0C0, Bytes{20, 0x30, 0x0e}))) << "a header cut short";
    EXPECT_FALSE(lteRrcDlDcchPdu(packet(0xB0C0, Bytes{})));
}

TEST(LteRrcOtaPacket, TheReleaseIsASessionEndButNotTheStatedCauseBesideANasOne) {
    Bytes payload = rrcOta(20, 7, kReleaseOther);
    Bytes frame = {0x10, 0, 0, 0, 0, 0, 0xc0, 0xb0, 1, 2, 3, 4, 5, 6, 7, 8};
    frame.insert(frame.end(), payload.begin(), payload.end());
    const uint16_t length = static_cast<uint16_t>(frame.size() - 4);
    frame[2] = frame[4] = static_cast<uint8_t>(length);
    auto end = sessionEndInFrame(frame, std::chrono::steady_clock::time_point());
    ASSERT_TRUE(end);
    EXPECT_EQ(end->message, NasMessageType::RrcConnectionRelease);
    EXPECT_EQ(end->causeKind, NasCauseKind::Rrc);
    EXPECT_EQ(end->cause, 1);
    EXPECT_EQ(end->modemTimestamp, 0x0807060504030201u);
    EXPECT_EQ(describeNasSessionEnd(*end), "RRC connection release (network to UE): RRC release cause other");

    NetworkCauses causes;
    causes.messages.push_back(*end);
    EXPECT_EQ(statedNetworkCause(causes), &causes.messages[0]) << "no NAS cause: the release is it";
    NasSessionEnd esm;
    esm.cause = 36;  // a Deactivate EPS bearer context request
    causes.messages.insert(causes.messages.begin(), esm);
    ASSERT_NE(statedNetworkCause(causes), nullptr);
    EXPECT_EQ(statedNetworkCause(causes)->cause, 36) << "the NAS cause before the release says why";
}

TEST(LteRrcOtaPacket, TheHangupNamesAReleaseAsRrc) {
    DmLogFreeze log;
    NasSessionEnd release;
    release.message = NasMessageType::RrcConnectionRelease;
    release.causeKind = NasCauseKind::Rrc;
    release.cause = 1;
    release.receivedAt = log.frozenAt - std::chrono::milliseconds(500);
    log.sessionEnds = {release};
    log.cause = 0;
    log.causeBeforeEnd = std::chrono::milliseconds(500);
    EXPECT_EQ(dmNetworkCauseSummary(log), "network: RRC release cause other");
    const std::string text = describeDmLog(log, "", "");
    EXPECT_NE(text.find("network: RRC release cause other (RRC, 0.5 s before the end)\n"), std::string::npos) << text;
    EXPECT_NE(text.find("DM log: 0.5 s before the end: RRC connection release (network to UE): RRC release cause "
                        "other\n"),
              std::string::npos)
        << text;
}

}  // namespace
}  // namespace dialupd
