// SPDX-License-Identifier: GPL-2.0-or-later
#include "diag_network_cause.h"

#include "lte_rrc.h"

namespace dialupd {
namespace {

struct FrameResult {
    bool logPacket = false;
    bool nas = false;
    bool rrcRelease = false;
    bool ciphered = false;
    std::optional<NasSessionEnd> message;
};

FrameResult readFrame(std::span<const uint8_t> payload, std::chrono::steady_clock::time_point receivedAt) {
    FrameResult frame;
    std::optional<DiagLogPacket> packet = parseDiagLogPacket(payload);
    if (!packet) return frame;
    frame.logPacket = true;
    if (std::optional<std::span<const uint8_t>> rrc = lteRrcDlDcchPdu(*packet)) {
        std::optional<uint8_t> cause = rrcConnectionReleaseCause(*rrc);
        frame.rrcRelease = cause.has_value();
        if (cause) {
            NasSessionEnd release;
            release.message = NasMessageType::RrcConnectionRelease;
            release.direction = NasDirection::NetworkToUe;
            release.causeKind = NasCauseKind::Rrc;
            release.cause = cause;
            release.receivedAt = receivedAt;
            release.modemTimestamp = packet->timestamp;
            frame.message = release;
        }
        return frame;
    }
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
        causes.rrcReleases += frame.rrcRelease;
        causes.ciphered += frame.ciphered;
        if (frame.message) causes.messages.push_back(std::move(*frame.message));
    });
    return causes;
}

const NasSessionEnd* statedNetworkCause(const NetworkCauses& causes) {
    // The NAS cause says why; an RRC release (which usually follows it) only that the radio
    // connection ended, so it is the stated cause only when no NAS message gave one.
    const NasSessionEnd* rrc = nullptr;
    for (auto it = causes.messages.rbegin(); it != causes.messages.rend(); ++it) {
        if (it->direction != NasDirection::NetworkToUe || !it->cause) continue;
        if (it->causeKind != NasCauseKind::Rrc) return &*it;
        if (!rrc) rrc = &*it;
    }
    return rrc;
}

}  // namespace dialupd
