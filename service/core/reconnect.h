// SPDX-License-Identifier: GPL-2.0-or-later
// Redialling after a call ended by itself: when, how often, and for which reasons at all.
// Pure functions; the Modem owns the timer and the attempt count.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "exit_reason.h"

namespace dialupd {

struct ReconnectSettings {
    // Unset: a call made by autoconnect redials, a Connect over D-Bus does not.
    std::optional<bool> enabled;
    uint32_t delaySeconds = 5;       // before the first redial; doubled for each next one
    uint32_t maxDelaySeconds = 300;  // the doubling stops here
    uint32_t maxAttempts = 0;        // redials in a row without the link coming up; 0 = no limit
};

// How much the delay may be moved either way (0.2: ±20 %), so a fleet of modems that lost the
// same cell does not redial in step.
inline constexpr double kReconnectJitter = 0.2;

// The wait before redial number `attempt` (1 for the first): delaySeconds · 2^(attempt−1),
// capped at maxDelaySeconds, then moved by the jitter; `random01` is uniform in [0, 1). Never
// more than maxDelaySeconds, never less than a second.
std::chrono::microseconds reconnectDelay(const ReconnectSettings& settings, uint32_t attempt, double random01);

// False for the ends no redial can mend: a bad option, no kernel support, not root, a wrong
// password (either way round), a number refused, or pppd stopped by someone on purpose
// (SIGTERM/SIGINT/SIGHUP from outside dialupd: exit 5); the SIM needing a person (67..70) and no
// APN (74). A network that denies, refuses roaming or is not there yet (71..73) may come.
bool redialCanHelp(const ExitReason& reason);

}  // namespace dialupd
