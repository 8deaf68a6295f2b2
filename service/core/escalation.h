// SPDX-License-Identifier: GPL-2.0-or-later
// Escalation after failed dials (Digi's "N failed connects, then a module reset"): a dial that
// ends without the link ever coming up counts; at `reset-after-failures` of them in a row the
// recovery ladder runs from AT+CFUN=1,1 before the next dial, at `usb-reset-after-failures` from
// the USB reset, at `power-cycle-after-failures` the configured `power-cycle-command` runs. Past
// the highest step that is on, the count goes round again (3, 6, 9, 12 ... with the defaults:
// restart, USB reset, restart, USB reset). At most `max-resets-per-hour` steps run in any hour
// (a sliding window); a step over that is skipped, the dial goes ahead without it.
// Pure logic on a clock the caller gives; the Modem runs the steps.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace dialupd {

struct EscalationSettings {
    uint32_t resetAfterFailures = 3;       // AT+CFUN=1,1 before the next dial; 0 = never
    uint32_t usbResetAfterFailures = 6;    // the USB reset; 0 = never
    uint32_t powerCycleAfterFailures = 0;  // power-cycle-command; 0 = never (the default)
    std::string powerCycleCommand;         // absolute path, run without a shell; "" = none
    uint32_t maxResetsPerHour = 4;         // steps run in any hour; 0 = none at all
};

enum class EscalationStep { None, Restart, UsbReset, PowerCycle };
std::string_view toString(EscalationStep step);  // "none", "restart", "usb-reset", "power-cycle"

// What the module offers: a step it cannot take falls to the next gentler one it can.
struct EscalationMeans {
    bool restart = false;     // a separate AT port for AT+CFUN=1,1
    bool usbReset = false;    // a USB modem and a daemon that can reset it
    bool powerCycle = false;  // a power-cycle-command is configured and can be run
};

struct EscalationDecision {
    EscalationStep step = EscalationStep::None;
    uint32_t failures = 0;  // failed dials in a row, this one included
    std::string why;        // for the call log and the journal; "" when nothing is due
};

class Escalation final {
public:
    static constexpr std::chrono::hours kCapWindow{1};

    // A dial failed (the link never came up): the step due before the next dial, if any.
    // `now` is the monotonic clock; the cap counts the steps ran() recorded in the hour before.
    EscalationDecision dialFailed(const EscalationSettings& settings, const EscalationMeans& means,
                                  std::chrono::microseconds now);
    // The step decided last is being run now: it counts against the hourly cap.
    void ran(std::chrono::microseconds now);
    // The link came up: the count starts afresh (the cap's window stays).
    void linkUp() { failures_ = 0; }

    uint32_t failures() const { return failures_; }
    size_t resetsInWindow(std::chrono::microseconds now);

private:
    uint32_t failures_ = 0;
    std::deque<std::chrono::microseconds> resets_;  // when each step ran, oldest first
};

// The step the thresholds name for `failures` failed dials in a row (before the means and the cap).
EscalationStep escalationStepFor(const EscalationSettings& settings, uint32_t failures);

}  // namespace dialupd
