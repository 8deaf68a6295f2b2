// SPDX-License-Identifier: GPL-2.0-or-later
// Why a call ended, as published in LastExitReason and the Hangup signal.
// Codes: 0 none; 1..21 pppd's exit status; 64..74 dialupd's own (64 the module did not answer and
// 67..74 it was not ready to dial: no pppd ran; 65 connectivity lost, 66 data limit reached);
// 127 pppd crashed (caught a fatal signal); 128+N pppd killed by signal N.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dialupd {

struct ExitReason {
    uint32_t code = 0;
    std::string name;         // stable kebab-case, for scripts
    std::string description;  // for people

    bool operator==(const ExitReason&) const = default;
};

inline constexpr uint32_t kSignalReasonBase = 128;

// pppd 2.4.9's exit statuses (pppd.h EXIT_*; man pppd, EXIT STATUS), and 127 for its crash.
enum class PppdExitStatus : int {
    Ok = 0,
    FatalError = 1,
    OptionError = 2,
    NotRoot = 3,
    NoKernelSupport = 4,
    UserRequest = 5,  // it was sent SIGTERM, SIGINT or SIGHUP
    LockFailed = 6,
    OpenFailed = 7,
    ConnectFailed = 8,  // the connect script (chat) failed
    PtyCommandFailed = 9,
    NegotiationFailed = 10,
    PeerAuthFailed = 11,
    IdleTimeout = 12,
    ConnectTimeLimit = 13,
    Callback = 14,
    PeerDead = 15,
    Hangup = 16,  // the modem (tty) hung up
    Loopback = 17,
    InitFailed = 18,
    AuthToPeerFailed = 19,
    TrafficLimit = 20,
    CnidAuthFailed = 21,
    // pppd's handler for SIGSEGV, SIGBUS, SIGFPE, SIGILL, ... logs "Fatal signal N" and exits 127
    // (pppd 2.4.9 main.c, bad_signal): a crash, not killed by the signal as far as wait() sees.
    FatalSignal = 127,
};
// The statuses pppd's own table names: 0 ..< this.
inline constexpr int kPppdExitStatusCount = 22;

constexpr int toInt(PppdExitStatus status) { return static_cast<int>(status); }
constexpr uint32_t toCode(PppdExitStatus status) { return static_cast<uint32_t>(status); }
// Whether a published reason is this pppd status (a signal's 128+N never is).
inline bool isStatus(const ExitReason& reason, PppdExitStatus status) { return reason.code == toCode(status); }

// Before the first call.
ExitReason noCallYetReason();
// pppd exited with `status` (its EXIT_* value); unknown values get name "unknown-exit-status".
ExitReason reasonForExitStatus(int status);
inline ExitReason reasonForExitStatus(PppdExitStatus status) { return reasonForExitStatus(toInt(status)); }
// pppd was killed by `signal`.
ExitReason reasonForSignal(int signal);

// The modem's device was removed during the call: a hangup, whatever pppd's own status.
ExitReason reasonForRemovedDevice();

// The module answered no recovery step before a dial, so no pppd was started.
inline constexpr uint32_t kModuleUnresponsiveCode = 64;
ExitReason reasonForUnresponsiveModule();

// dialupd ended the call: this data period's bytes reached the modem's data-limit. No redial,
// and Connect is refused, until the next period.
inline constexpr uint32_t kDataLimitCode = 66;
ExitReason reasonForDataLimit();
// The connectivity watchdog (connectivity_check.h) saw check-failures checks in a row fail while
// the link was up, and ended the call; a redial follows as for other ends.
inline constexpr uint32_t kConnectivityLostCode = 65;
ExitReason reasonForConnectivityLost();

// The readiness check before the dial failed (readiness.h) with the error `errorName`
// (error_name::kSimPinRequired ...), so no pppd was started; `message` is the check's own.
inline constexpr uint32_t kSimPinRequiredCode = 67;
inline constexpr uint32_t kSimPinRejectedCode = 68;
inline constexpr uint32_t kSimPukRequiredCode = 69;
inline constexpr uint32_t kSimMissingCode = 70;
inline constexpr uint32_t kRegistrationDeniedCode = 71;
inline constexpr uint32_t kRoamingNotAllowedCode = 72;
inline constexpr uint32_t kNotRegisteredCode = 73;
inline constexpr uint32_t kApnRequiredCode = 74;
ExitReason reasonForNotReady(std::string_view errorName, std::string_view message);
// The SIM needs a person (67..70): no redial can fix a PIN, a PUK or a missing card.
inline bool isSimReason(const ExitReason& reason) {
    return reason.code >= kSimPinRequiredCode && reason.code <= kSimMissingCode;
}

// pppd crashed (PppdExitStatus::FatalSignal) and its log named `signal`.
ExitReason reasonForFatalSignal(int signal);

}  // namespace dialupd
