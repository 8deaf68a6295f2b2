// SPDX-License-Identifier: GPL-2.0-or-later
// How a call ended: one rule from pppd's exit and what the modem knew at that moment to the
// published reason. Pure: the Modem gathers the facts, calls classifyCallEnd once, and applies
// the result (reason, redial or not, the module's suspicion, the notes for the call log).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exit_reason.h"
#include "pppd_runner.h"

namespace dialupd {

// What the modem knew when pppd exited.
struct EndFacts {
    bool stopRequested = false;           // we sent pppd SIGTERM (Disconnect, shutdown, or below)
    bool stoppedForRemoval = false;       // ... because it outlived its removed device: not a request
    bool stoppedForDataLimit = false;     // ... because the data limit was reached: not a request (66)
    bool stoppedForConnectivity = false;  // ... because the connectivity checks failed: not a request
    bool killEscalated = false;           // SIGTERM went unanswered and SIGKILL followed
    bool deviceRemoved = false;           // udev said the device went away during the call
    bool ttyGone = false;                 // the tty node was gone when pppd exited
    std::string device;                   // the tty, for the notes
    std::optional<int> terminationCause;  // the plugin's status for the link's going down, the first
    std::optional<int> fatalSignal;       // from pppd's "Fatal signal N" line
    bool moduleAlreadySuspect = false;    // the module was suspect before this end (no second note)
};

struct CallEnd {
    ExitReason reason;
    bool requested = false;            // someone asked for the end: no Hangup, no redial
    bool leavesModuleSuspect = false;  // the module may be left in data mode: check it before the next dial
    bool deviceGone = false;           // the reason is the device's removal
    // dialupd's notes for the call log, in order; the last says what the reason is.
    std::vector<std::string> notes;
};

CallEnd classifyCallEnd(ProcessExit exit, const EndFacts& facts);

}  // namespace dialupd
