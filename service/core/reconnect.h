// SPDX-License-Identifier: GPL-2.0-or-later
// Redialling after a call ended by itself: when, how often, and for which reasons at all.
// Pure functions; the Modem owns the timer and the attempt count.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "exit_reason.h"
#include "nas_eps.h"

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

// EMM causes (TS 24.301 annex A) after which the module itself stops trying until the network
// changes its mind, so a redial cannot help before the module is registered again:
//   #3 illegal UE, #6 illegal ME, #7 EPS services not allowed, #8 EPS and non-EPS services not
//     allowed: the UE considers its USIM invalid for EPS services and stays deregistered
//     (§5.5.2.3.2 for a detach, §5.5.3.2.5 for a TAU reject, §5.6.1.5 for a service reject);
//   #11 PLMN not allowed, #12 tracking area not allowed, #13 roaming not allowed in this
//     tracking area, #14 EPS services not allowed in this PLMN, #15 no suitable cells in
//     tracking area: the PLMN or tracking area goes on a forbidden list and the UE selects
//     another one (same sections): only a registration elsewhere brings data back.
// Not among them: #9 (UE identity cannot be derived) and #10 (implicitly detached), after which
// the UE attaches again at once; #22 congestion and the rest, which a backoff may outlast.
bool emmCauseWaitsForRegistration(uint8_t cause);

// True when the network's stated cause of a call's end (dm-log's, diag_network_cause.h) is one of
// those: an EMM Detach request from the network with such a cause and no "re-attach required"
// (24.301 §5.5.2.3.2: with re-attach required the UE attaches again by itself, and the cause is
// not acted on), or an Attach, Tracking area update or Service reject with one. ESM causes end
// one bearer only: they never wait.
bool networkEndWaitsForRegistration(const NasSessionEnd& end);

}  // namespace dialupd
