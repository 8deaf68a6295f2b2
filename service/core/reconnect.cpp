// SPDX-License-Identifier: GPL-2.0-or-later
#include "reconnect.h"

#include <algorithm>
#include <cmath>

namespace dialupd {

std::chrono::microseconds reconnectDelay(const ReconnectSettings& settings, uint32_t attempt, double random01) {
    const double cap = settings.maxDelaySeconds;
    // 2^(attempt−1) overflows nothing that matters: past 2^30 the cap has long been reached.
    const double exponent = std::min<double>(attempt > 0 ? attempt - 1 : 0, 30);
    const double base = std::min(cap, settings.delaySeconds * std::pow(2.0, exponent));
    const double jittered = base * (1.0 + kReconnectJitter * (2.0 * random01 - 1.0));
    const double seconds = std::clamp(jittered, 1.0, std::max(cap, 1.0));
    return std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
}

bool redialCanHelp(const ExitReason& reason) {
    // Not ready to dial: the SIM needs a person, an APN must be given; the network may come.
    if (isSimReason(reason) || reason.code == kApnRequiredCode) return false;
    // The data limit holds until the next period.
    if (reason.code == kDataLimitCode) return false;
    // A signal's 128+N is no enumerator: it falls to the default.
    switch (static_cast<PppdExitStatus>(reason.code)) {
        case PppdExitStatus::OptionError:
        case PppdExitStatus::NotRoot:
        case PppdExitStatus::NoKernelSupport:
        case PppdExitStatus::UserRequest:  // someone stopped pppd on purpose
        case PppdExitStatus::PeerAuthFailed:
        case PppdExitStatus::AuthToPeerFailed:  // the password will not get better
        case PppdExitStatus::CnidAuthFailed:
            return false;
        default:
            return true;
    }
}

bool emmCauseWaitsForRegistration(uint8_t cause) {
    switch (cause) {
        case 3:
        case 6:
        case 7:
        case 8:
        case 11:
        case 12:
        case 13:
        case 14:
        case 15:
            return true;
        default:
            return false;
    }
}

bool networkEndWaitsForRegistration(const NasSessionEnd& end) {
    if (end.direction != NasDirection::NetworkToUe || end.causeKind != NasCauseKind::Emm || !end.cause) return false;
    // A network-initiated detach's type: 1 re-attach required, 2 re-attach not required, 3 IMSI detach.
    constexpr uint8_t kReattachRequired = 1;
    switch (end.message) {
        case NasMessageType::DetachRequest:
            if (end.detachType == kReattachRequired) return false;
            break;
        case NasMessageType::AttachReject:
        case NasMessageType::ServiceReject:
        case NasMessageType::TrackingAreaUpdateReject:
            break;
        default:
            return false;
    }
    return emmCauseWaitsForRegistration(*end.cause);
}

}  // namespace dialupd
