// SPDX-License-Identifier: GPL-2.0-or-later
// The LTE RRC message that ends a connection, for the Hangup's list of the network's session
// ends: an RRCConnectionRelease (3GPP TS 36.331 §6.2.2) and its releaseCause, read out of the
// module's LTE RRC OTA log packet (DIAG log code 0xB0C0). Only the one path to that field is
// decoded, by hand, with no ASN.1 compiler; anything else is "not a release". Pure; the bytes
// come from the module, so every read is bounds-checked.
//
// The log packet (its payload after the DIAG log header), little-endian: packet version (u8),
// the RRC release (u16), from version 25 on the NR RRC release (u16), radio bearer id (u8),
// physical cell id (u16), EARFCN (u16 before version 8, u32 from it), system and subframe number
// (u16), PDU number (u8: which logical channel), from version 6 on a SIB mask (u32), the PDU's
// length (u16), then the PDU (UPER-encoded). The PDU number's meaning changes with the version;
// only the versions whose layout and DL-DCCH number are known for sure are read (lte_rrc.cpp
// lists them), others are skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "diag_log_packet.h"

namespace dialupd {

inline constexpr uint16_t kLogLteRrcOtaPacket = 0xB0C0;

// The DL-DCCH PDU an LTE RRC OTA log packet carries: none for another log code, an unknown
// packet version, another logical channel, or lengths that do not fit.
std::optional<std::span<const uint8_t>> lteRrcDlDcchPdu(const DiagLogPacket& packet);

// 36.331 ReleaseCause ::= ENUMERATED {loadBalancingTAUrequired, other, cs-FallbackHighPriority-v1020,
// rrc-Suspend-v1320}: the value, 0 to 3, of a DL-DCCH-Message that is an RRCConnectionRelease
// with its r8 critical extension; none for any other message (or one too short to hold it).
std::optional<uint8_t> rrcConnectionReleaseCause(std::span<const uint8_t> dlDcch);

// "loadBalancingTAUrequired", "other", "cs-FallbackHighPriority", "rrc-Suspend" (36.331's names).
const char* rrcReleaseCauseName(uint8_t cause);

}  // namespace dialupd
