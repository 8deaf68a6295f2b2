// Why a call ended, as published in LastExitReason and the Hangup signal.
// Codes: 0 none; 1..21 pppd's exit status; 64 dialupd's own (no pppd ran: the module did not
// answer); 127 pppd crashed (caught a fatal signal); 128+N pppd killed by signal N.
#pragma once

#include <cstdint>
#include <string>

namespace dialupd {

struct ExitReason {
    uint32_t code = 0;
    std::string name;         // stable kebab-case, for scripts
    std::string description;  // for people

    bool operator==(const ExitReason&) const = default;
};

inline constexpr uint32_t kSignalReasonBase = 128;

// Before the first call.
ExitReason noCallYetReason();
// pppd exited with `status` (its EXIT_* value); unknown values get name "unknown-exit-status".
ExitReason reasonForExitStatus(int status);
// pppd was killed by `signal`.
ExitReason reasonForSignal(int signal);

// The modem's device was removed during the call: a hangup, whatever pppd's own status.
ExitReason reasonForRemovedDevice();

// The module answered no recovery step before a dial, so no pppd was started.
inline constexpr uint32_t kModuleUnresponsiveCode = 64;
ExitReason reasonForUnresponsiveModule();

// pppd's handler for SIGSEGV, SIGBUS, SIGFPE, SIGILL, ... logs "Fatal signal N" and exits 127
// (pppd 2.4.9 main.c, bad_signal): a crash, not killed by the signal as far as wait() sees.
inline constexpr uint32_t kPppdExitFatalSignal = 127;
ExitReason reasonForFatalSignal(int signal);

// pppd's EXIT_USER_REQUEST: it was sent SIGTERM, SIGINT or SIGHUP.
inline constexpr int kPppdExitUserRequest = 5;
// pppd's EXIT_CONNECT_FAILED: the connect script (chat) failed.
inline constexpr uint32_t kPppdExitConnectFailed = 8;
// pppd's EXIT_HANGUP: the modem (tty) hung up.
inline constexpr int kPppdExitHangup = 16;

}  // namespace dialupd
