// SPDX-License-Identifier: GPL-2.0-or-later
// Hand-built DIAG frames for the DM log's tests, laid out field by field from the formats in
// service/core/diag_log_packet.h, so a test reads what it feeds.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace dialupd::testing {

using Bytes = std::vector<uint8_t>;

inline Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes all;
    for (const Bytes& part : parts) all.insert(all.end(), part.begin(), part.end());
    return all;
}

// A DIAG_LOG_F payload (unframed): 10 | more 00 | length (u16) | length (u16) | code (u16) |
// timestamp (u64) | body. Both lengths count the log header (12) and the body.
inline Bytes logPacket(uint16_t code, uint64_t timestamp, const Bytes& body) {
    uint16_t length = uint16_t(12 + body.size());
    Bytes packet = {0x10,
                    0x00,
                    uint8_t(length),
                    uint8_t(length >> 8),
                    uint8_t(length),
                    uint8_t(length >> 8),
                    uint8_t(code),
                    uint8_t(code >> 8)};
    for (int shift = 0; shift < 64; shift += 8) packet.push_back(uint8_t(timestamp >> shift));
    packet.insert(packet.end(), body.begin(), body.end());
    return packet;
}

// An LTE NAS plain OTA body (0xB0E2/E3/EC/ED): packet version 1, then the three bytes of the NAS
// release the module logs (9.5.0 here), then the PDU.
inline Bytes lteNasBody(const Bytes& pdu) { return concat({{0x01, 0x09, 0x05, 0x00}, pdu}); }

// A UMTS NAS OTA body (0x713A): direction (0 to the UE), PDU length (u32), the PDU.
inline Bytes umtsNasBody(uint8_t direction, const Bytes& pdu) {
    uint32_t length = uint32_t(pdu.size());
    return concat(
        {{direction, uint8_t(length), uint8_t(length >> 8), uint8_t(length >> 16), uint8_t(length >> 24)}, pdu});
}

// NAS PDUs (24.301) as a network sends them.
// ESM Deactivate EPS bearer context request, cause #36, inside an EMM security-protected
// wrapper: 27 = security header type 2 (integrity protected and ciphered) | PD 7 (EMM),
// 1a 2b 3c 4d = MAC, 05 = sequence number, then the plain ESM message: 52 = EPS bearer 5 |
// PD 2 (ESM), 00 = PTI (network initiated), cd = message type, 24 = ESM cause #36.
inline const Bytes kProtectedDeactivate36 = {0x27, 0x1a, 0x2b, 0x3c, 0x4d, 0x05, 0x52, 0x00, 0xcd, 0x24};
// The same ESM message plain: 52 00 cd 24.
inline const Bytes kPlainDeactivate36 = {0x52, 0x00, 0xcd, 0x24};
// EMM Detach request from the network: 07 = plain | PD 7, 45 = detach request, 02 = spare | type
// 2 (re-attach not required), 53 07 = EMM cause IE, cause #7.
inline const Bytes kDetach7 = {0x07, 0x45, 0x02, 0x53, 0x07};
// EMM Service reject: 07 4e, EMM cause #9 (UE identity cannot be derived by the network).
inline const Bytes kServiceReject9 = {0x07, 0x4e, 0x09};

}  // namespace dialupd::testing
