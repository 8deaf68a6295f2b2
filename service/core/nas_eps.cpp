// SPDX-License-Identifier: GPL-2.0-or-later
#include "nas_eps.h"

#include <fmt/format.h>

#include "lte_rrc.h"

namespace dialupd {
namespace {

constexpr uint8_t kPdEsm = 0x2;
constexpr uint8_t kPdEmm = 0x7;
constexpr size_t kSecurityHeader = 6;  // protocol octet, MAC (4), sequence number
constexpr uint8_t kShtServiceRequest = 12;
constexpr uint8_t kIeiEmmCause = 0x53;

struct CauseName {
    uint8_t cause;
    const char* name;
};

// 24.301 9.9.4.4 (ESM cause).
constexpr CauseName kEsmCauses[] = {
    {8, "operator determined barring"},
    {26, "insufficient resources"},
    {27, "missing or unknown APN"},
    {28, "unknown PDN type"},
    {29, "user authentication failed"},
    {30, "request rejected by Serving GW or PDN GW"},
    {31, "request rejected, unspecified"},
    {32, "service option not supported"},
    {33, "requested service option not subscribed"},
    {34, "service option temporarily out of order"},
    {35, "PTI already in use"},
    {36, "regular deactivation"},
    {37, "EPS QoS not accepted"},
    {38, "network failure"},
    {39, "reactivation requested"},
    {41, "semantic error in the TFT operation"},
    {42, "syntactical error in the TFT operation"},
    {43, "invalid EPS bearer identity"},
    {44, "semantic errors in packet filter(s)"},
    {45, "syntactical errors in packet filter(s)"},
    {47, "PTI mismatch"},
    {49, "last PDN disconnection not allowed"},
    {50, "PDN type IPv4 only allowed"},
    {51, "PDN type IPv6 only allowed"},
    {52, "single address bearers only allowed"},
    {53, "ESM information not received"},
    {54, "PDN connection does not exist"},
    {55, "multiple PDN connections for a given APN not allowed"},
    {56, "collision with network initiated request"},
    {57, "PDN type IPv4v6 only allowed"},
    {58, "PDN type non IP only allowed"},
    {59, "unsupported QCI value"},
    {60, "bearer handling not supported"},
    {61, "PDN type Ethernet only allowed"},
    {65, "maximum number of EPS bearers reached"},
    {66, "requested APN not supported in current RAT and PLMN combination"},
    {81, "invalid PTI value"},
    {95, "semantically incorrect message"},
    {96, "invalid mandatory information"},
    {97, "message type non-existent or not implemented"},
    {98, "message type not compatible with the protocol state"},
    {99, "information element non-existent or not implemented"},
    {100, "conditional IE error"},
    {101, "message not compatible with the protocol state"},
    {111, "protocol error, unspecified"},
    {112, "APN restriction value incompatible with active EPS bearer context"},
    {113, "multiple accesses to a PDN connection not allowed"},
};

// 24.301 9.9.3.9 (EMM cause).
constexpr CauseName kEmmCauses[] = {
    {2, "IMSI unknown in HSS"},
    {3, "illegal UE"},
    {5, "IMEI not accepted"},
    {6, "illegal ME"},
    {7, "EPS services not allowed"},
    {8, "EPS services and non-EPS services not allowed"},
    {9, "UE identity cannot be derived by the network"},
    {10, "implicitly detached"},
    {11, "PLMN not allowed"},
    {12, "tracking area not allowed"},
    {13, "roaming not allowed in this tracking area"},
    {14, "EPS services not allowed in this PLMN"},
    {15, "no suitable cells in tracking area"},
    {16, "MSC temporarily not reachable"},
    {17, "network failure"},
    {18, "CS domain not available"},
    {19, "ESM failure"},
    {20, "MAC failure"},
    {21, "synch failure"},
    {22, "congestion"},
    {23, "UE security capabilities mismatch"},
    {24, "security mode rejected, unspecified"},
    {25, "not authorized for this CSG"},
    {26, "non-EPS authentication unacceptable"},
    {31, "redirection to 5GCN required"},
    {35, "requested service option not authorized in this PLMN"},
    {39, "CS service temporarily not available"},
    {40, "no EPS bearer context activated"},
    {42, "severe network failure"},
    {78, "PLMN not allowed to operate at the present UE location"},
    {95, "semantically incorrect message"},
    {96, "invalid mandatory information"},
    {97, "message type non-existent or not implemented"},
    {98, "message type not compatible with the protocol state"},
    {99, "information element non-existent or not implemented"},
    {100, "conditional IE error"},
    {101, "message not compatible with the protocol state"},
    {111, "protocol error, unspecified"},
};

template <size_t N>
const char* lookup(const CauseName (&table)[N], uint8_t cause) {
    for (const CauseName& entry : table)
        if (entry.cause == cause) return entry.name;
    return "unknown cause";
}

NasDecodeResult result(NasDecodeStatus status) { return NasDecodeResult{status, std::nullopt}; }

NasDecodeResult sessionEnd(NasSessionEnd message) {
    return NasDecodeResult{NasDecodeStatus::SessionEnd, std::move(message)};
}

// A plain ESM message: EPS bearer identity | PD, procedure transaction identity, message type,
// then for the three we read the ESM cause (V, one octet).
NasDecodeResult decodeEsm(std::span<const uint8_t> pdu, NasDirection direction) {
    if (pdu.size() < 3) return result(NasDecodeStatus::Malformed);
    NasMessageType type;
    switch (pdu[2]) {
        case 0xcd:
            type = NasMessageType::DeactivateEpsBearerContextRequest;
            break;
        case 0xd1:
            type = NasMessageType::PdnConnectivityReject;
            break;
        case 0xd3:
            type = NasMessageType::PdnDisconnectReject;
            break;
        default:
            return result(NasDecodeStatus::NotSessionEnd);
    }
    if (pdu.size() < 4) return result(NasDecodeStatus::Malformed);
    NasSessionEnd message;
    message.message = type;
    message.direction = direction;
    message.causeKind = NasCauseKind::Esm;
    message.cause = pdu[3];
    message.epsBearerId = pdu[0] >> 4;
    return sessionEnd(message);
}

// A plain EMM message: security header type (0) | PD, message type, then the fields.
NasDecodeResult decodeEmm(std::span<const uint8_t> pdu, NasDirection direction) {
    if (pdu.size() < 2) return result(NasDecodeStatus::Malformed);
    NasSessionEnd message;
    message.direction = direction;
    message.causeKind = NasCauseKind::Emm;
    switch (pdu[1]) {
        case 0x44:
            message.message = NasMessageType::AttachReject;
            break;
        case 0x4b:
            message.message = NasMessageType::TrackingAreaUpdateReject;
            break;
        case 0x4e:
            message.message = NasMessageType::ServiceReject;
            break;
        case 0x45: {
            // Detach type (low 3 bits; the network's has a spare bit above, the UE's a switch-off
            // flag), then from the network an optional EMM cause (TV, IEI 0x53); the UE's carries
            // its key set and identity instead, and no cause.
            if (pdu.size() < 3) return result(NasDecodeStatus::Malformed);
            message.message = NasMessageType::DetachRequest;
            message.detachType = pdu[2] & 0x07;
            if (direction == NasDirection::NetworkToUe && pdu.size() >= 5 && pdu[3] == kIeiEmmCause)
                message.cause = pdu[4];
            return sessionEnd(message);
        }
        default:
            return result(NasDecodeStatus::NotSessionEnd);
    }
    // The three rejects: the EMM cause (V, one octet) comes first.
    if (pdu.size() < 3) return result(NasDecodeStatus::Malformed);
    message.cause = pdu[2];
    return sessionEnd(message);
}

NasDecodeResult decodePlain(std::span<const uint8_t> pdu, NasDirection direction) {
    if (pdu.empty()) return result(NasDecodeStatus::Malformed);
    uint8_t discriminator = pdu[0] & 0x0f;
    if (discriminator == kPdEsm) return decodeEsm(pdu, direction);
    if (discriminator == kPdEmm) {
        if (pdu[0] >> 4 != 0) return result(NasDecodeStatus::Malformed);  // no second security header
        return decodeEmm(pdu, direction);
    }
    return result(NasDecodeStatus::Malformed);
}

}  // namespace

NasDecodeResult decodeNasEps(std::span<const uint8_t> pdu, NasDirection direction, bool deciphered) {
    if (pdu.empty()) return result(NasDecodeStatus::Malformed);
    uint8_t discriminator = pdu[0] & 0x0f;
    uint8_t securityHeader = pdu[0] >> 4;
    if (discriminator != kPdEmm || securityHeader == 0) return decodePlain(pdu, direction);
    switch (securityHeader) {
        case 1:  // integrity protected
        case 3:  // integrity protected, new EPS security context
            break;
        case 2:  // integrity protected and ciphered
        case 4:  // the same, new EPS security context
        case 5:  // integrity protected and partially ciphered
            if (!deciphered) return result(NasDecodeStatus::Ciphered);
            break;
        case kShtServiceRequest:
            return result(NasDecodeStatus::NotSessionEnd);
        default:
            return result(NasDecodeStatus::Malformed);
    }
    if (pdu.size() <= kSecurityHeader) return result(NasDecodeStatus::Malformed);
    return decodePlain(pdu.subspan(kSecurityHeader), direction);
}

const char* nasMessageName(NasMessageType message) {
    switch (message) {
        case NasMessageType::DeactivateEpsBearerContextRequest:
            return "Deactivate EPS bearer context request";
        case NasMessageType::PdnConnectivityReject:
            return "PDN connectivity reject";
        case NasMessageType::PdnDisconnectReject:
            return "PDN disconnect reject";
        case NasMessageType::DetachRequest:
            return "Detach request";
        case NasMessageType::AttachReject:
            return "Attach reject";
        case NasMessageType::ServiceReject:
            return "Service reject";
        case NasMessageType::TrackingAreaUpdateReject:
            return "Tracking area update reject";
        case NasMessageType::RrcConnectionRelease:
            return "RRC connection release";
    }
    return "unknown message";
}

const char* esmCauseName(uint8_t cause) { return lookup(kEsmCauses, cause); }
const char* emmCauseName(uint8_t cause) { return lookup(kEmmCauses, cause); }

const char* nasDirectionName(NasDirection direction) {
    return direction == NasDirection::NetworkToUe ? "network to UE" : "UE to network";
}

std::string nasCauseSummary(const NasSessionEnd& message) {
    if (message.causeKind == NasCauseKind::Rrc)
        return message.cause ? fmt::format("RRC release cause {}", rrcReleaseCauseName(*message.cause))
                             : "RRC release without a cause";
    bool esm = message.causeKind == NasCauseKind::Esm;
    if (!message.cause) return esm ? "ESM message without a cause" : "EMM detach without a cause";
    return fmt::format("{} cause #{} {}", esm ? "ESM" : "EMM", unsigned(*message.cause),
                       esm ? esmCauseName(*message.cause) : emmCauseName(*message.cause));
}

std::string describeNasSessionEnd(const NasSessionEnd& message) {
    return fmt::format("{} ({}): {}", nasMessageName(message.message), nasDirectionName(message.direction),
                       nasCauseSummary(message));
}

}  // namespace dialupd
