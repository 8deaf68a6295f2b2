// SPDX-License-Identifier: GPL-2.0-or-later
// A small decoder of the LTE NAS messages (3GPP TS 24.301) that end or refuse a data session,
// for the network's stated cause in a Hangup: ESM Deactivate EPS bearer context request, PDN
// connectivity reject and PDN disconnect reject with their ESM cause; EMM Detach request (the
// network's with its optional EMM cause, or the UE's own), Attach reject, Service reject and
// Tracking area update reject with their EMM cause. Everything else is "not a session end".
// The PDU comes from the module (a DIAG log packet), so every field is bounds-checked, and the
// text made of a decoded message comes from the tables here only: no byte of the input is
// echoed, numbers are printed as numbers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "diag_log_packet.h"

namespace dialupd {

enum class NasMessageType {
    DeactivateEpsBearerContextRequest,  // ESM 0xCD
    PdnConnectivityReject,              // ESM 0xD1
    PdnDisconnectReject,                // ESM 0xD3
    DetachRequest,                      // EMM 0x45
    AttachReject,                       // EMM 0x44
    ServiceReject,                      // EMM 0x4E
    TrackingAreaUpdateReject,           // EMM 0x4B
    // Not NAS: the RRC connection release (lte_rrc.h), listed beside the NAS messages with its
    // releaseCause as the cause.
    RrcConnectionRelease,
};

enum class NasCauseKind { Esm, Emm, Rrc };

struct NasSessionEnd {
    NasMessageType message = NasMessageType::DeactivateEpsBearerContextRequest;
    NasDirection direction = NasDirection::NetworkToUe;
    NasCauseKind causeKind = NasCauseKind::Esm;
    std::optional<uint8_t> cause;       // none: a detach request without an EMM cause
    std::optional<uint8_t> detachType;  // a detach request's type (low 3 bits of its octet)
    uint8_t epsBearerId = 0;            // an ESM message's EPS bearer identity (0: none)
    // When it was seen; filled by whoever has the log packet and the frame (decodeNasEps does not).
    std::optional<std::chrono::steady_clock::time_point> receivedAt;
    std::optional<uint64_t> modemTimestamp;  // the log packet's DIAG timestamp

    bool operator==(const NasSessionEnd&) const = default;
};

enum class NasDecodeStatus {
    SessionEnd,     // `message` holds it
    NotSessionEnd,  // a well-formed start of another message
    Ciphered,       // security protected and ciphered: nothing to read
    Malformed,      // too short, unknown protocol discriminator or security header type
};

struct NasDecodeResult {
    NasDecodeStatus status = NasDecodeStatus::Malformed;
    std::optional<NasSessionEnd> message;
};

// Decodes one NAS EPS PDU. A security-protected EMM message (security header type 1 to 5) holds
// the plain message after its 6-byte header (protocol octet, MAC, sequence number). With
// integrity only (types 1 and 3) that message is readable; with ciphering (2, 4, and the
// partial 5) it is not, unless `deciphered` says the PDU was logged after deciphering (as the
// module's plain OTA log packets 0xB0E2/E3/EC/ED are). Type 12 is a Service request.
NasDecodeResult decodeNasEps(std::span<const uint8_t> pdu, NasDirection direction, bool deciphered);

// The 3GPP names ("Deactivate EPS bearer context request"; "regular deactivation"). A cause
// without a name in the tables is "unknown cause".
const char* nasMessageName(NasMessageType message);
const char* esmCauseName(uint8_t cause);
const char* emmCauseName(uint8_t cause);
const char* nasDirectionName(NasDirection direction);  // "network to UE", "UE to network"

// "ESM cause #36 regular deactivation", "EMM cause #7 EPS services not allowed", or for a detach
// request without a cause "EMM detach without a cause".
std::string nasCauseSummary(const NasSessionEnd& message);
// "Deactivate EPS bearer context request (network to UE): ESM cause #36 regular deactivation".
std::string describeNasSessionEnd(const NasSessionEnd& message);

}  // namespace dialupd
