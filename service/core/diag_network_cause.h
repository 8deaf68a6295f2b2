// SPDX-License-Identifier: GPL-2.0-or-later
// The network's stated cause, read from the DM log: the NAS messages that end or refuse a data
// session among the frames of a DiagFrameRing (diag_ring.h), through the log packet reader
// (diag_log_packet.h) and the NAS EPS decoder (nas_eps.h). Pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "diag_ring.h"
#include "nas_eps.h"

namespace dialupd {

// The session end a frame's payload carries (a LTE NAS log packet holding one, or an LTE RRC OTA
// packet holding an RRCConnectionRelease: lte_rrc.h), with its receive time and the packet's
// DIAG timestamp filled in; none for anything else.
std::optional<NasSessionEnd> sessionEndInFrame(std::span<const uint8_t> payload,
                                               std::chrono::steady_clock::time_point receivedAt);

struct NetworkCauses {
    std::vector<NasSessionEnd> messages;  // oldest first
    uint64_t logPackets = 0;              // frames that were DIAG log packets
    uint64_t nasMessages = 0;             // NAS PDUs among them (LTE and 2G/3G)
    uint64_t rrcReleases = 0;             // LTE RRC connection releases among them
    uint64_t ciphered = 0;                // NAS PDUs that could not be read
};

// Every session end in the ring, oldest first.
NetworkCauses findNetworkCauses(const DiagFrameRing& ring);

// The network's stated cause for a Hangup: the newest NAS message from the network that carries
// a cause; without one, the newest RRC connection release; null when none did.
const NasSessionEnd* statedNetworkCause(const NetworkCauses& causes);

}  // namespace dialupd
