// SPDX-License-Identifier: GPL-2.0-or-later
#include "diag_log_packet.h"

#include "diag_log_config.h"

namespace dialupd {
namespace {

constexpr size_t kOuterHeader = 4;    // command, more, length (u16)
constexpr size_t kLogHeader = 12;     // length (u16), code (u16), timestamp (u64)
constexpr size_t kLteNasHeader = 4;   // packet version, three version bytes
constexpr size_t kUmtsNasHeader = 5;  // direction (u8), length (u32)

uint16_t readU16(std::span<const uint8_t> bytes, size_t at) { return uint16_t(bytes[at] | bytes[at + 1] << 8); }

uint32_t readU32(std::span<const uint8_t> bytes, size_t at) {
    return uint32_t(readU16(bytes, at)) | uint32_t(readU16(bytes, at + 2)) << 16;
}

}  // namespace

std::optional<DiagLogPacket> parseDiagLogPacket(std::span<const uint8_t> frame) {
    if (frame.size() < kOuterHeader + kLogHeader || frame[0] != kDiagLogCommand) return std::nullopt;
    size_t outerLength = readU16(frame, 2);
    size_t logLength = readU16(frame, 4);
    // Both lengths must say what the frame holds: the outer one the bytes after it, the log
    // header's one itself to the end.
    if (outerLength != frame.size() - kOuterHeader || logLength != outerLength) return std::nullopt;
    DiagLogPacket packet;
    packet.code = readU16(frame, 6);
    packet.timestamp = uint64_t(readU32(frame, 8)) | uint64_t(readU32(frame, 12)) << 32;
    packet.payload = frame.subspan(kOuterHeader + kLogHeader);
    return packet;
}

uint64_t diagTimestampMilliseconds(uint64_t timestamp) {
    uint64_t ticks = timestamp >> 16;  // 1.25 ms each
    return ticks + ticks / 4;
}

std::optional<NasPdu> extractNasPdu(const DiagLogPacket& packet) {
    std::span<const uint8_t> payload = packet.payload;
    NasPdu nas;
    switch (packet.code) {
        case kLogLteNasEsmPlainIn:
        case kLogLteNasEmmPlainIn:
        case kLogLteNasEsmPlainOut:
        case kLogLteNasEmmPlainOut:
            if (payload.size() <= kLteNasHeader) return std::nullopt;
            nas.family = NasFamily::Eps;
            nas.direction = packet.code == kLogLteNasEsmPlainIn || packet.code == kLogLteNasEmmPlainIn
                                ? NasDirection::NetworkToUe
                                : NasDirection::UeToNetwork;
            nas.pdu = payload.subspan(kLteNasHeader);
            return nas;
        case kLogUmtsNasOta: {
            if (payload.size() <= kUmtsNasHeader || payload[0] > 1) return std::nullopt;
            uint32_t length = readU32(payload, 1);
            if (length != payload.size() - kUmtsNasHeader) return std::nullopt;
            nas.family = NasFamily::Umts;
            nas.direction = payload[0] == 0 ? NasDirection::NetworkToUe : NasDirection::UeToNetwork;
            nas.pdu = payload.subspan(kUmtsNasHeader);
            return nas;
        }
        default:
            return std::nullopt;
    }
}

}  // namespace dialupd
