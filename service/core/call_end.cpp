// SPDX-License-Identifier: GPL-2.0-or-later
#include "call_end.h"

#include <csignal>

#include <fmt/format.h>

namespace dialupd {
namespace {

// The status that explains the end, from pppd's exit status and the plugin's termination cause.
int explainedStatus(int exitStatus, const EndFacts& facts, std::vector<std::string>& notes) {
    // pppd overwrites its status with EXIT_HANGUP (16) when the tty reads EOF while it hangs up,
    // after the link has already gone down for another reason (peer-dead, auth failure, ...).
    // That first reason is the one that explains the call's end.
    // (Plain int and bool: GCC 12 misreads an optional<int> copy here as maybe uninitialized.)
    const int cause = facts.terminationCause.value_or(exitStatus);
    bool hasCause = facts.terminationCause.has_value();
    // The modem port is pppd's controlling tty (it leads a session of its own), so a line hangup
    // also delivers SIGHUP, and pppd first records that as 5 user-request. Nobody asked: the
    // hangup is the cause, and it is one a redial can mend.
    if (hasCause && cause == toInt(PppdExitStatus::UserRequest) && !facts.stopRequested) hasCause = false;
    if (exitStatus == toInt(PppdExitStatus::Hangup) && hasCause && cause != exitStatus) {
        notes.push_back(fmt::format("pppd exit status {} follows the link's end for status {}: reporting {}",
                                    exitStatus, cause, cause));
        return cause;
    }
    return exitStatus;
}

}  // namespace

CallEnd classifyCallEnd(ProcessExit exit, const EndFacts& facts) {
    CallEnd end;
    end.requested =
        facts.stopRequested && !facts.stoppedForRemoval && !facts.stoppedForDataLimit && !facts.stoppedForConnectivity;
    end.reason =
        exit.signaled ? reasonForSignal(exit.code) : reasonForExitStatus(explainedStatus(exit.code, facts, end.notes));
    const bool crashed = !exit.signaled && isStatus(end.reason, PppdExitStatus::FatalSignal);
    if (crashed && facts.fatalSignal) end.reason = reasonForFatalSignal(*facts.fatalSignal);

    // pppd handles SIGTERM, SIGINT and SIGHUP by closing the link; any other signal killed it
    // (or made it die at once) without an LCP Terminate or a hangup, so the module may still be
    // in data mode. A SIGKILL after the stop window made it suspect already.
    const bool abrupt = exit.signaled && exit.code != SIGTERM && exit.code != SIGINT && exit.code != SIGHUP;
    end.leavesModuleSuspect = abrupt || crashed || facts.killEscalated;
    if ((abrupt || crashed) && !facts.moduleAlreadySuspect)
        end.notes.push_back("pppd died without closing the link: the module will be checked before the next dial");

    if (end.requested && !isStatus(end.reason, PppdExitStatus::UserRequest) &&
        !(exit.signaled && exit.code == SIGKILL)) {
        // Stopped mid-dial, pppd's status is whatever the interruption made of it (SIGTERM before
        // its handlers were in, chat's failure, ...): the call ended because it was asked to.
        // A stop that needed SIGKILL keeps saying so.
        end.notes.push_back(fmt::format("pppd's own status was {} {}; the call was ended by request", end.reason.code,
                                        end.reason.name));
        end.reason = reasonForExitStatus(PppdExitStatus::UserRequest);
    }

    if (facts.stoppedForDataLimit && !facts.deviceRemoved && !facts.ttyGone) {
        end.notes.push_back(fmt::format("pppd's own status was {} {}; dialupd ended the call at the data limit",
                                        end.reason.code, end.reason.name));
        end.reason = reasonForDataLimit();
    }

    // The kernel hangs the tty up as it removes the device, so pppd may exit before udev's remove
    // event arrives: a tty node that is gone by now says the same.
    const bool ttyGone = !facts.deviceRemoved && !end.requested && facts.ttyGone;
    if ((facts.deviceRemoved || ttyGone) && !end.requested) {
        // Whatever pppd made of it (hangup, a failed chat, our SIGTERM), the cause is the unplug.
        end.notes.push_back(fmt::format("pppd's own status was {} {}; the call ended because the device was removed{}",
                                        end.reason.code, end.reason.name,
                                        ttyGone ? fmt::format(" ({} is gone)", facts.device) : ""));
        end.reason = reasonForRemovedDevice();
        end.deviceGone = true;
    } else if (facts.stoppedForConnectivity) {
        // Whatever pppd made of our SIGTERM (5 user-request; a SIGKILL after the stop window
        // made the module suspect already), the cause is the dead data path.
        end.notes.push_back(
            fmt::format("pppd's own status was {} {}; dialupd ended the call: the connectivity "
                        "checks failed",
                        end.reason.code, end.reason.name));
        end.reason = reasonForConnectivityLost();
    }
    end.notes.push_back(
        fmt::format("pppd exited: {} {} ({})", end.reason.code, end.reason.name, end.reason.description));
    return end;
}

}  // namespace dialupd
