// SPDX-License-Identifier: GPL-2.0-or-later
#include "lte_rrc.h"

#include <array>

namespace dialupd {
namespace {

// The packet versions read, each with its header's size and the PDU number of DL-DCCH. Only
// versions whose layout and numbering two independent readings of module logs agree on (the
// open-source SCAT parser's older and newer tables, and sample packets of real modules) are
// here; the numbering moves between versions (a DL-DCCH of version 9 is a 13, of version 19 a 9),
// so an unknown version is skipped rather than guessed.
struct Layout {
    uint8_t version;
    uint8_t headerSize;  // bytes before the PDU, the length field last
    uint8_t dlDcch;
};
// Versions 2-4: EARFCN u16, no SIB mask; 6-7: a SIB mask (u32) before the length; from 8 on the
// EARFCN is a u32; versions 9 and 12 number the channels 7 higher than the others around them.
constexpr std::array<Layout, 13> kLayouts = {{
    {2, 13, 6},
    {3, 13, 6},
    {4, 13, 6},
    {6, 17, 6},
    {7, 17, 6},
    {8, 19, 6},
    {9, 19, 13},
    {12, 19, 13},
    {13, 19, 6},
    {15, 19, 7},
    {16, 19, 7},
    {19, 19, 9},
    {20, 19, 7},
}};

// Reads a UPER bit string, most significant bit first.
class Bits {
public:
    explicit Bits(std::span<const uint8_t> bytes) : bytes_(bytes) {}
    // The next `count` bits (at most 8) as a number; none past the end.
    std::optional<uint8_t> take(unsigned count) {
        if (position_ + count > bytes_.size() * 8) return std::nullopt;
        unsigned value = 0;
        for (unsigned i = 0; i < count; ++i, ++position_)
            value = value << 1 | ((bytes_[position_ / 8] >> (7 - position_ % 8)) & 1);
        return static_cast<uint8_t>(value);
    }

private:
    std::span<const uint8_t> bytes_;
    size_t position_ = 0;
};

}  // namespace

std::optional<std::span<const uint8_t>> lteRrcDlDcchPdu(const DiagLogPacket& packet) {
    if (packet.code != kLogLteRrcOtaPacket || packet.payload.empty()) return std::nullopt;
    const std::span<const uint8_t> payload = packet.payload;
    for (const Layout& layout : kLayouts) {
        if (layout.version != payload[0]) continue;
        if (payload.size() < layout.headerSize) return std::nullopt;
        // The PDU number is the byte before the SIB mask (if any) and the length: third from
        // the end of a 13-byte header, seventh of the longer ones.
        const size_t pduNumberAt = layout.headerSize - (layout.headerSize == 13 ? 3 : 7);
        if (payload[pduNumberAt] != layout.dlDcch) return std::nullopt;
        const size_t length = payload[layout.headerSize - 2] | payload[layout.headerSize - 1] << 8;
        if (length == 0 || length > payload.size() - layout.headerSize) return std::nullopt;
        return payload.subspan(layout.headerSize, length);
    }
    return std::nullopt;
}

std::optional<uint8_t> rrcConnectionReleaseCause(std::span<const uint8_t> dlDcch) {
    // 36.331 §6.2.1, unaligned PER (X.691): a CHOICE's index takes the fewest bits that count its
    // alternatives; a SEQUENCE without an extension marker starts with one presence bit per
    // OPTIONAL component; an ENUMERATED without one is its index in the fewest bits.
    Bits bits(dlDcch);
    // DL-DCCH-Message ::= SEQUENCE { message DL-DCCH-MessageType }: nothing of its own.
    // DL-DCCH-MessageType ::= CHOICE { c1, messageClassExtension }: 1 bit, c1 = 0.
    if (bits.take(1) != 0) return std::nullopt;
    // c1 ::= CHOICE of 16 (csfbParametersResponseCDMA2000, dlInformationTransfer,
    // handoverFromEUTRAPreparationRequest, mobilityFromEUTRACommand,
    // rrcConnectionReconfiguration, rrcConnectionRelease, ...): 4 bits, rrcConnectionRelease = 5.
    if (bits.take(4) != 5) return std::nullopt;
    // RRCConnectionRelease ::= SEQUENCE { rrc-TransactionIdentifier INTEGER (0..3): 2 bits,
    if (!bits.take(2)) return std::nullopt;
    //   criticalExtensions CHOICE { c1, criticalExtensionsFuture }: 1 bit, c1 = 0,
    if (bits.take(1) != 0) return std::nullopt;
    //   c1 CHOICE { rrcConnectionRelease-r8, spare3, spare2, spare1 }: 2 bits, r8 = 0 }.
    if (bits.take(2) != 0) return std::nullopt;
    // RRCConnectionRelease-r8-IEs ::= SEQUENCE { releaseCause, redirectedCarrierInfo OPTIONAL,
    // idleModeMobilityControlInfo OPTIONAL, nonCriticalExtension OPTIONAL }: 3 presence bits,
    if (!bits.take(3)) return std::nullopt;
    // then releaseCause: ENUMERATED of 4, no extension marker: 2 bits. What follows (the
    // optional components) is not needed.
    return bits.take(2);
}

const char* rrcReleaseCauseName(uint8_t cause) {
    switch (cause) {
        case 0:
            return "loadBalancingTAUrequired";
        case 1:
            return "other";
        case 2:
            return "cs-FallbackHighPriority";
        case 3:
            return "rrc-Suspend";
        default:
            return "unknown cause";
    }
}

}  // namespace dialupd
