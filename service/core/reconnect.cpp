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
    switch (reason.code) {
    case 2:   // option-error
    case 3:   // not-root
    case 4:   // no-kernel-support
    case 5:   // user-request: someone stopped pppd on purpose
    case 11:  // peer-auth-failed
    case 19:  // auth-to-peer-failed: the password will not get better
    case 21:  // cnid-auth-failed
        return false;
    default:
        return true;
    }
}

}  // namespace dialupd
