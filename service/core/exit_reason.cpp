// SPDX-License-Identifier: GPL-2.0-or-later
#include "exit_reason.h"

#include <array>
#include <cstring>
#include <string_view>

#include "bus_names.h"
#include "text.h"

namespace dialupd {
namespace {

struct PppdExitText {
    std::string_view name;
    std::string_view description;
};

// pppd 2.4.9's EXIT_* values (pppd.h; man pppd, EXIT STATUS), indexed by status.
constexpr std::array<PppdExitText, kPppdExitStatusCount> kPppdExits{{
    {"ok", "pppd ended without error (the link was closed at the peer's request)"},
    {"fatal-error", "pppd hit a fatal error (out of memory or a failed system call)"},
    {"option-error", "pppd rejected an option, or its plugin failed to load"},
    {"not-root", "pppd needs root for one of its options"},
    {"no-kernel-support", "the kernel has no PPP support (no /dev/ppp, ppp_generic not loaded)"},
    {"user-request", "pppd was asked to stop (SIGTERM, SIGINT or SIGHUP)"},
    {"lock-failed", "the serial port's lock file is held by another process"},
    {"open-failed", "the serial device could not be opened"},
    {"connect-failed", "the connect script (chat) failed: the modem did not answer as expected"},
    {"pty-command-failed", "pppd's pty command failed"},
    {"negotiation-failed", "LCP or IPCP negotiation failed"},
    {"peer-auth-failed", "the peer failed to authenticate itself to us"},
    {"idle-timeout", "the link was idle for longer than the idle limit"},
    {"connect-time-limit", "the link reached its maximum connect time"},
    {"callback", "a callback was negotiated"},
    {"peer-dead", "the peer stopped answering LCP echo requests"},
    {"hangup", "the modem hung up (carrier lost or the tty went away)"},
    {"loopback", "loopback detected: our own LCP magic number came back"},
    {"init-failed", "the init script failed"},
    {"auth-to-peer-failed", "we failed to authenticate to the peer (wrong user name or password?)"},
    {"traffic-limit", "the link reached its traffic limit (maxoctets)"},
    {"cnid-auth-failed", "calling-number authorisation failed"},
}};

std::string signalName(int signal) {
    const char* abbrev = sigabbrev_np(signal);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

}  // namespace

ExitReason noCallYetReason() { return {0, "none", "no call has ended yet"}; }

ExitReason reasonForExitStatus(int status) {
    if (status >= 0 && static_cast<size_t>(status) < kPppdExits.size()) {
        const PppdExitText& exit = kPppdExits[static_cast<size_t>(status)];
        return {static_cast<uint32_t>(status), std::string(exit.name), std::string(exit.description)};
    }
    if (status == toInt(PppdExitStatus::FatalSignal))
        return {toCode(PppdExitStatus::FatalSignal), "fatal-signal",
                "pppd crashed: it caught a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, ...) and exited"};
    return {static_cast<uint32_t>(status), "unknown-exit-status", "pppd exited with status " + std::to_string(status)};
}

ExitReason reasonForFatalSignal(int signal) {
    ExitReason reason = reasonForExitStatus(PppdExitStatus::FatalSignal);
    reason.description =
        "pppd crashed: it caught " + signalName(signal) + " (signal " + std::to_string(signal) + ") and exited";
    return reason;
}

ExitReason reasonForSignal(int signal) {
    return {kSignalReasonBase + static_cast<uint32_t>(signal), "killed-by-signal",
            "pppd was killed by " + signalName(signal) + " (signal " + std::to_string(signal) + ")"};
}

ExitReason reasonForRemovedDevice() {
    ExitReason reason = reasonForExitStatus(PppdExitStatus::Hangup);
    reason.description = "the modem was removed (its USB device went away) during the call";
    return reason;
}

ExitReason reasonForNotReady(std::string_view errorName, std::string_view message) {
    struct NotReady {
        const char* error;
        uint32_t code;
        const char* name;
    };
    static constexpr NotReady kNotReady[] = {
        {error_name::kSimPinRequired, kSimPinRequiredCode, "sim-pin-required"},
        {error_name::kSimPinRejected, kSimPinRejectedCode, "sim-pin-rejected"},
        {error_name::kSimPukRequired, kSimPukRequiredCode, "sim-puk-required"},
        {error_name::kSimMissing, kSimMissingCode, "sim-missing"},
        {error_name::kRegistrationDenied, kRegistrationDeniedCode, "registration-denied"},
        {error_name::kRoamingNotAllowed, kRoamingNotAllowedCode, "roaming-not-allowed"},
        {error_name::kNotRegistered, kNotRegisteredCode, "not-registered"},
        {error_name::kApnRequired, kApnRequiredCode, "apn-required"},
    };
    // The check's errors are these; anything else came from the PIN's source (the sim-pin-file).
    const NotReady* found = &kNotReady[0];
    for (const NotReady& candidate : kNotReady)
        if (errorName == candidate.error) found = &candidate;
    return {found->code, found->name, "not ready to dial, no pppd was started: " + sanitizeText(std::string(message))};
}

ExitReason reasonForDataLimit() {
    return {kDataLimitCode, "data-limit",
            "this data period's traffic reached the modem's data-limit: dialupd ended the call; no redial and no "
            "Connect until the next period"};
}

ExitReason reasonForUnresponsiveModule() {
    return {kModuleUnresponsiveCode, "module-unresponsive",
            "the module did not answer AT after any recovery step (+++ and ATH, AT+CFUN=1,1, USB reset); "
            "no pppd was started"};
}

ExitReason reasonForConnectivityLost() {
    return {kConnectivityLostCode, "connectivity-lost",
            "the link was up but carried nothing: the connectivity checks failed (check-failures in a row), so "
            "dialupd ended the call"};
}

}  // namespace dialupd
