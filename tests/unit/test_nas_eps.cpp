// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/nas_eps.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "diag_frames.h"

namespace dialupd {
namespace {

using testing::Bytes;
using testing::kDetach7;
using testing::kPlainDeactivate36;
using testing::kProtectedDeactivate36;
using testing::kServiceReject9;

NasDecodeResult decode(const Bytes& pdu, bool deciphered = false) {
    return decodeNasEps(pdu, NasDirection::NetworkToUe, deciphered);
}

TEST(NasEps, PlainDeactivateEpsBearerContextRequest) {
    NasDecodeResult result = decode(kPlainDeactivate36);
    ASSERT_EQ(result.status, NasDecodeStatus::SessionEnd);
    const NasSessionEnd& message = *result.message;
    EXPECT_EQ(message.message, NasMessageType::DeactivateEpsBearerContextRequest);
    EXPECT_EQ(message.causeKind, NasCauseKind::Esm);
    EXPECT_EQ(message.cause, 36);
    EXPECT_EQ(message.epsBearerId, 5);
    EXPECT_EQ(message.direction, NasDirection::NetworkToUe);
    EXPECT_EQ(nasCauseSummary(message), "ESM cause #36 regular deactivation");
    EXPECT_EQ(describeNasSessionEnd(message),
              "Deactivate EPS bearer context request (network to UE): ESM cause #36 regular deactivation");
}

TEST(NasEps, OptionalIesAfterTheCauseAreIgnored) {
    // ... cd 24, then T3396 value (37 01 21) and a protocol configuration options IE (27 ...).
    Bytes pdu = {0x52, 0x00, 0xcd, 0x1a, 0x37, 0x01, 0x21, 0x27, 0x02, 0x80, 0x00};
    NasDecodeResult result = decode(pdu);
    ASSERT_EQ(result.status, NasDecodeStatus::SessionEnd);
    EXPECT_EQ(nasCauseSummary(*result.message), "ESM cause #26 insufficient resources");
}

TEST(NasEps, SecurityProtectedIntegrityOnlyIsRead) {
    Bytes pdu = kProtectedDeactivate36;
    pdu[0] = 0x17;  // security header type 1: integrity protected
    EXPECT_EQ(decode(pdu).status, NasDecodeStatus::SessionEnd);
    pdu[0] = 0x37;  // 3: with a new EPS security context
    EXPECT_EQ(decode(pdu).message->cause, 36);
}

TEST(NasEps, CipheredIsSaidAndNotDecoded) {
    // 27: security header type 2, integrity protected and ciphered.
    NasDecodeResult result = decode(kProtectedDeactivate36);
    EXPECT_EQ(result.status, NasDecodeStatus::Ciphered);
    EXPECT_FALSE(result.message);
    Bytes pdu = kProtectedDeactivate36;
    pdu[0] = 0x47;  // 4
    EXPECT_EQ(decode(pdu).status, NasDecodeStatus::Ciphered);
    pdu[0] = 0x57;  // 5: partially ciphered
    EXPECT_EQ(decode(pdu).status, NasDecodeStatus::Ciphered);
}

TEST(NasEps, DecipheredByTheModuleIsRead) {
    // The module's plain OTA log packets hold the message after deciphering, header and all.
    NasDecodeResult result = decode(kProtectedDeactivate36, true);
    ASSERT_EQ(result.status, NasDecodeStatus::SessionEnd);
    EXPECT_EQ(nasCauseSummary(*result.message), "ESM cause #36 regular deactivation");
}

TEST(NasEps, DetachRequestFromTheNetwork) {
    NasDecodeResult result = decode(kDetach7);
    ASSERT_EQ(result.status, NasDecodeStatus::SessionEnd);
    EXPECT_EQ(result.message->message, NasMessageType::DetachRequest);
    EXPECT_EQ(result.message->detachType, 2);
    EXPECT_EQ(describeNasSessionEnd(*result.message),
              "Detach request (network to UE): EMM cause #7 EPS services not allowed");
    // Without the optional cause.
    result = decode(Bytes{0x07, 0x45, 0x01});
    ASSERT_EQ(result.status, NasDecodeStatus::SessionEnd);
    EXPECT_FALSE(result.message->cause);
    EXPECT_EQ(nasCauseSummary(*result.message), "EMM detach without a cause");
    // A cause IE cut short is no cause.
    result = decode(Bytes{0x07, 0x45, 0x01, 0x53});
    ASSERT_EQ(result.status, NasDecodeStatus::SessionEnd);
    EXPECT_FALSE(result.message->cause);
}

TEST(NasEps, DetachRequestFromTheUeHasNoCause) {
    // 0b = switch off | EPS detach... then the key set and identity; 53 07 is no cause here.
    NasDecodeResult result = decodeNasEps(Bytes{0x07, 0x45, 0x09, 0x53, 0x07}, NasDirection::UeToNetwork, false);
    ASSERT_EQ(result.status, NasDecodeStatus::SessionEnd);
    EXPECT_EQ(result.message->direction, NasDirection::UeToNetwork);
    EXPECT_FALSE(result.message->cause);
    EXPECT_EQ(result.message->detachType, 1);
}

TEST(NasEps, RejectsWithEmmCause) {
    NasDecodeResult result = decode(kServiceReject9);
    ASSERT_EQ(result.status, NasDecodeStatus::SessionEnd);
    EXPECT_EQ(result.message->message, NasMessageType::ServiceReject);
    EXPECT_EQ(nasCauseSummary(*result.message), "EMM cause #9 UE identity cannot be derived by the network");
    result = decode(Bytes{0x07, 0x4b, 0x0d});
    EXPECT_EQ(result.message->message, NasMessageType::TrackingAreaUpdateReject);
    EXPECT_EQ(nasCauseSummary(*result.message), "EMM cause #13 roaming not allowed in this tracking area");
    result = decode(Bytes{0x07, 0x44, 0x0f});
    EXPECT_EQ(result.message->message, NasMessageType::AttachReject);
    EXPECT_EQ(nasCauseSummary(*result.message), "EMM cause #15 no suitable cells in tracking area");
}

TEST(NasEps, EsmRejectsWithCause) {
    NasDecodeResult result = decode(Bytes{0x02, 0x01, 0xd1, 0x1b});
    ASSERT_EQ(result.status, NasDecodeStatus::SessionEnd);
    EXPECT_EQ(result.message->message, NasMessageType::PdnConnectivityReject);
    EXPECT_EQ(nasCauseSummary(*result.message), "ESM cause #27 missing or unknown APN");
    result = decode(Bytes{0x02, 0x02, 0xd3, 0x36});
    EXPECT_EQ(result.message->message, NasMessageType::PdnDisconnectReject);
    EXPECT_EQ(nasCauseSummary(*result.message), "ESM cause #54 PDN connection does not exist");
}

TEST(NasEps, CauseTables) {
    struct Case {
        uint8_t cause;
        const char* name;
    };
    for (Case c :
         {Case{8, "operator determined barring"}, Case{26, "insufficient resources"}, Case{28, "unknown PDN type"},
          Case{29, "user authentication failed"}, Case{30, "request rejected by Serving GW or PDN GW"},
          Case{31, "request rejected, unspecified"}, Case{33, "requested service option not subscribed"},
          Case{38, "network failure"}, Case{39, "reactivation requested"}, Case{50, "PDN type IPv4 only allowed"},
          Case{51, "PDN type IPv6 only allowed"}, Case{65, "maximum number of EPS bearers reached"},
          Case{112, "APN restriction value incompatible with active EPS bearer context"}})
        EXPECT_STREQ(esmCauseName(c.cause), c.name) << int(c.cause);
    for (Case c :
         {Case{3, "illegal UE"}, Case{6, "illegal ME"}, Case{7, "EPS services not allowed"},
          Case{8, "EPS services and non-EPS services not allowed"}, Case{10, "implicitly detached"},
          Case{11, "PLMN not allowed"}, Case{12, "tracking area not allowed"},
          Case{14, "EPS services not allowed in this PLMN"}, Case{17, "network failure"}, Case{22, "congestion"},
          Case{25, "not authorized for this CSG"}, Case{40, "no EPS bearer context activated"}})
        EXPECT_STREQ(emmCauseName(c.cause), c.name) << int(c.cause);
    EXPECT_STREQ(esmCauseName(0), "unknown cause");
    EXPECT_STREQ(emmCauseName(255), "unknown cause");
}

TEST(NasEps, UnknownCauseKeepsItsNumber) {
    NasDecodeResult result = decode(Bytes{0x52, 0x00, 0xcd, 0xc8});
    EXPECT_EQ(nasCauseSummary(*result.message), "ESM cause #200 unknown cause");
}

TEST(NasEps, OtherMessagesAreNotSessionEnds) {
    EXPECT_EQ(decode(Bytes{0x52, 0x00, 0xc1}).status, NasDecodeStatus::NotSessionEnd);        // activate default bearer
    EXPECT_EQ(decode(Bytes{0x07, 0x42}).status, NasDecodeStatus::NotSessionEnd);              // attach accept
    EXPECT_EQ(decode(Bytes{0xc7, 0x01, 0x02, 0x03}).status, NasDecodeStatus::NotSessionEnd);  // service request
}

TEST(NasEps, MalformedInput) {
    EXPECT_EQ(decode(Bytes{}).status, NasDecodeStatus::Malformed);
    EXPECT_EQ(decode(Bytes{0x52, 0x00}).status, NasDecodeStatus::Malformed);
    EXPECT_EQ(decode(Bytes{0x52, 0x00, 0xcd}).status, NasDecodeStatus::Malformed);  // no cause
    EXPECT_EQ(decode(Bytes{0x07, 0x4e}).status, NasDecodeStatus::Malformed);
    EXPECT_EQ(decode(Bytes{0x07, 0x45}).status, NasDecodeStatus::Malformed);
    EXPECT_EQ(decode(Bytes{0x08, 0x05, 0x01}).status, NasDecodeStatus::Malformed);  // PD 8 is not EPS
    EXPECT_EQ(decode(Bytes{0x17, 0x01, 0x02, 0x03, 0x04, 0x05}).status, NasDecodeStatus::Malformed);
    EXPECT_EQ(decode(Bytes{0x67, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07, 0x4e, 0x09}).status,
              NasDecodeStatus::Malformed);  // no security header type 6
    // A security header inside a security header.
    EXPECT_EQ(decode(Bytes{0x17, 1, 2, 3, 4, 5, 0x17, 1, 2, 3, 4, 5, 0x07, 0x4e, 0x09}).status,
              NasDecodeStatus::Malformed);
}

}  // namespace
}  // namespace dialupd
