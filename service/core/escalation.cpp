// SPDX-License-Identifier: GPL-2.0-or-later
#include "escalation.h"

#include <algorithm>

#include <fmt/format.h>

namespace dialupd {
namespace {

std::string_view keyOf(EscalationStep step) {
    switch (step) {
        case EscalationStep::Restart:
            return "reset-after-failures";
        case EscalationStep::UsbReset:
            return "usb-reset-after-failures";
        case EscalationStep::PowerCycle:
            return "power-cycle-after-failures";
        case EscalationStep::None:
            break;
    }
    return "";
}

std::string_view whatItDoes(EscalationStep step) {
    switch (step) {
        case EscalationStep::Restart:
            return "restart the module (the recovery ladder from AT+CFUN=1,1)";
        case EscalationStep::UsbReset:
            return "reset the module's USB device (the recovery ladder from the USB reset)";
        case EscalationStep::PowerCycle:
            return "power-cycle the module (power-cycle-command)";
        case EscalationStep::None:
            break;
    }
    return "nothing";
}

}  // namespace

std::string_view toString(EscalationStep step) {
    switch (step) {
        case EscalationStep::None:
            return "none";
        case EscalationStep::Restart:
            return "restart";
        case EscalationStep::UsbReset:
            return "usb-reset";
        case EscalationStep::PowerCycle:
            return "power-cycle";
    }
    return "none";
}

EscalationStep escalationStepFor(const EscalationSettings& settings, uint32_t failures) {
    const uint32_t top =
        std::max({settings.resetAfterFailures, settings.usbResetAfterFailures, settings.powerCycleAfterFailures});
    if (top == 0 || failures == 0) return EscalationStep::None;
    // Round again past the highest step: 7 failures with 3 and 6 count as 1.
    const uint32_t position = (failures - 1) % top + 1;
    // The strongest step whose threshold this is (two steps set to the same count: the stronger).
    if (settings.powerCycleAfterFailures == position) return EscalationStep::PowerCycle;
    if (settings.usbResetAfterFailures == position) return EscalationStep::UsbReset;
    if (settings.resetAfterFailures == position) return EscalationStep::Restart;
    return EscalationStep::None;
}

size_t Escalation::resetsInWindow(std::chrono::microseconds now) {
    while (!resets_.empty() && now - resets_.front() >= kCapWindow) resets_.pop_front();
    return resets_.size();
}

EscalationDecision Escalation::dialFailed(const EscalationSettings& settings, const EscalationMeans& means,
                                          std::chrono::microseconds now) {
    EscalationDecision decision;
    decision.failures = ++failures_;
    const EscalationStep named = escalationStepFor(settings, failures_);
    if (named == EscalationStep::None) return decision;
    // A step the module cannot take falls to the next gentler one it can.
    EscalationStep step = named;
    if (step == EscalationStep::PowerCycle && !means.powerCycle) step = EscalationStep::UsbReset;
    if (step == EscalationStep::UsbReset && !means.usbReset) step = EscalationStep::Restart;
    if (step == EscalationStep::Restart && !means.restart) step = EscalationStep::None;
    const std::string trigger = fmt::format("escalation: {} failed dials in a row ({} = {})", failures_, keyOf(named),
                                            named == EscalationStep::Restart    ? settings.resetAfterFailures
                                            : named == EscalationStep::UsbReset ? settings.usbResetAfterFailures
                                                                                : settings.powerCycleAfterFailures);
    std::string fallback;
    if (step != named)
        fallback = fmt::format(" ({} cannot be done here{})", toString(named),
                               step == EscalationStep::None ? "" : fmt::format(": {} instead", toString(step)));
    if (step == EscalationStep::None) {
        decision.why = fmt::format("{}: no step{}; the next dial goes ahead", trigger, fallback);
        return decision;
    }
    const size_t recent = resetsInWindow(now);
    if (recent >= settings.maxResetsPerHour) {
        decision.why = fmt::format("{}: {} skipped: {} reset(s) in the last hour already (max-resets-per-hour = {})",
                                   trigger, toString(step), recent, settings.maxResetsPerHour);
        return decision;
    }
    decision.step = step;
    decision.why = fmt::format("{}: {} before the next dial{}", trigger, whatItDoes(step), fallback);
    return decision;
}

void Escalation::ran(std::chrono::microseconds now) {
    resetsInWindow(now);
    resets_.push_back(now);
}

}  // namespace dialupd
