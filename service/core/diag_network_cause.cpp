// SPDX-License-Identifier: GPL-2.0-or-later
#include "diag_network_cause.h"

namespace dialupd {
namespace {

struct FrameResult {
    bool logPacket = false;
    bool nas = false;
    bool ciphered = false;
    std::optional<NasSessionEnd> message;
};

FrameResult readFrame(std::span<const uint8_t> payload, std::chrono::steady_clock::time_point receivedAt) {
    FrameResult frame;
    std::optional<DiagLogPacket> packet = parseDiagLogPacket(payload);
    if (!packet) return frame;
    frame.logPacket = true;
    std::optional<NasPdu> nas = extractNasPdu(*packet);
    if (!nas) return frame;
    frame.nas = true;
    // 2G/3G NAS (24.008) is carried but not decoded here.
    if (nas->family != NasFamily::Eps) return frame;
    // The plain OTA log packets hold the message as the module read it, deciphered.
    NasDecodeResult decoded = decodeNasEps(nas->pdu, nas->direction, true);
    frame.ciphered = decoded.status == NasDecodeStatus::Ciphered;
    if (decoded.message) {
        decoded.message->receivedAt = receivedAt;
        decoded.message->modemTimestamp = packet->timestamp;
        frame.message = std::move(decoded.message);
    }
    return frame;
}

}  // namespace

std::optional<NasSessionEnd> sessionEndInFrame(std::span<const uint8_t> payload,
                                               std::chrono::steady_clock::time_point receivedAt) {
    return readFrame(payload, receivedAt).message;
}

NetworkCauses findNetworkCauses(const DiagFrameRing& ring) {
    NetworkCauses causes;
    ring.forEach([&](std::span<const uint8_t> payload, DiagFrameRing::Clock::time_point receivedAt) {
        FrameResult frame = readFrame(payload, receivedAt);
        causes.logPackets += frame.logPacket;
        causes.nasMessages += frame.nas;
        causes.ciphered += frame.ciphered;
        if (frame.message) causes.messages.push_back(std::move(*frame.message));
    });
    return causes;
}

const NasSessionEnd* statedNetworkCause(const NetworkCauses& causes) {
    for (auto it = causes.messages.rbegin(); it != causes.messages.rend(); ++it)
        if (it->direction == NasDirection::NetworkToUe && it->cause) return &*it;
    return nullptr;
}

}  // namespace dialupd
