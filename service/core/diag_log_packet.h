// SPDX-License-Identifier: GPL-2.0-or-later
// DIAG log packets (DIAG_LOG_F, command 0x10) as the module streams them once a log mask is
// set, and the NAS messages inside the NAS ones. A frame's payload (HdlcSplitter's output) is,
// little-endian: command 0x10 (u8), more (u8), length (u16: the bytes after this field), then
// the log header: length again (u16: itself to the end), log code (u16), timestamp (u64), then
// the log code's own payload. Every field is checked against the frame; the bytes come from
// the module.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace dialupd {

inline constexpr uint8_t kDiagLogCommand = 0x10;

struct DiagLogPacket {
    uint16_t code = 0;
    // The module's clock: bits 63..16 count 1.25 ms since 1980-01-06 00:00 (GPS epoch), bits
    // 15..0 a fraction of that tick.
    uint64_t timestamp = 0;
    std::span<const uint8_t> payload;  // inside the frame passed in
};

// The log packet in a frame's payload, or none when it is not one or a length does not fit.
std::optional<DiagLogPacket> parseDiagLogPacket(std::span<const uint8_t> frame);

// A DIAG timestamp in milliseconds since the GPS epoch (1980-01-06 00:00 UTC).
uint64_t diagTimestampMilliseconds(uint64_t timestamp);

enum class NasDirection { NetworkToUe, UeToNetwork };

enum class NasFamily {
    Eps,   // 24.301 (LTE): EMM and ESM
    Umts,  // 24.008 (2G/3G): MM, GMM, SM
};

struct NasPdu {
    NasFamily family = NasFamily::Eps;
    NasDirection direction = NasDirection::NetworkToUe;
    std::span<const uint8_t> pdu;  // inside the packet's payload
};

// The NAS message a log packet carries: LTE NAS plain OTA (0xB0E2/0xB0E3 ESM, 0xB0EC/0xB0ED
// EMM, in and out; the module logs the message after deciphering): packet version (u8), three
// version bytes, then the NAS PDU. UMTS NAS OTA (0x713A): direction (u8, 0 to the UE, 1 from
// it), PDU length (u32), then the PDU. None for other log codes, a short packet, a length that
// does not match, or an empty PDU.
std::optional<NasPdu> extractNasPdu(const DiagLogPacket& packet);

}  // namespace dialupd
