// SPDX-License-Identifier: GPL-2.0-or-later
// classifyCallEnd: how a call ended, as a table of pppd's exits and what the modem knew.
#include "core/call_end.h"
#include "core/reconnect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

namespace dialupd {
namespace {

using ::testing::ElementsAreArray;

ProcessExit exited(int status) { return {false, status}; }
ProcessExit killedBy(int signal) { return {true, signal}; }

std::string exitedNote(const ExitReason& reason) {
    return "pppd exited: " + std::to_string(reason.code) + " " + reason.name + " (" + reason.description + ")";
}

EndFacts facts() {
    EndFacts facts;
    facts.device = "/dev/ttyUSB3";
    return facts;
}
EndFacts requestedStop() {
    EndFacts facts = dialupd::facts();
    facts.stopRequested = true;
    return facts;
}

// Unasked, pppd's own status is the reason, whatever it is.
TEST(CallEnd, EveryExitStatusUnaskedIsItsOwnReason) {
    for (int status = 0; status < kPppdExitStatusCount; ++status) {
        SCOPED_TRACE(status);
        CallEnd end = classifyCallEnd(exited(status), facts());
        EXPECT_EQ(end.reason, reasonForExitStatus(status));
        EXPECT_FALSE(end.requested);
        EXPECT_FALSE(end.leavesModuleSuspect);
        EXPECT_FALSE(end.deviceGone);
        EXPECT_THAT(end.notes, ElementsAreArray({exitedNote(end.reason)}));
    }
}

// Asked for, every status becomes user-request, saying what pppd's own status was.
TEST(CallEnd, EveryExitStatusAskedForIsUserRequest) {
    const ExitReason userRequest = reasonForExitStatus(PppdExitStatus::UserRequest);
    for (int status = 0; status < kPppdExitStatusCount; ++status) {
        SCOPED_TRACE(status);
        CallEnd end = classifyCallEnd(exited(status), requestedStop());
        EXPECT_EQ(end.reason, userRequest);
        EXPECT_TRUE(end.requested);
        EXPECT_FALSE(end.leavesModuleSuspect);
        std::vector<std::string> notes;
        if (status != toInt(PppdExitStatus::UserRequest))
            notes.push_back("pppd's own status was " + std::to_string(status) + " " + reasonForExitStatus(status).name +
                            "; the call was ended by request");
        notes.push_back(exitedNote(userRequest));
        EXPECT_THAT(end.notes, ElementsAreArray(notes));
    }
}

struct Case {
    const char* what;
    ProcessExit exit;
    EndFacts facts;
    uint32_t code;
    const char* name;
    bool requested;
    bool suspect;
    bool deviceGone;
    std::vector<std::string> notesBeforeLast;  // the last is always "pppd exited: <reason>"
    const char* descriptionHas = "";
};

EndFacts with(EndFacts facts, void (*change)(EndFacts&)) {
    change(facts);
    return facts;
}

const std::string kDied = "pppd died without closing the link: the module will be checked before the next dial";

std::vector<Case> cases() {
    return {
        // Signals: pppd catches TERM, INT and HUP and closes the link; others kill it outright.
        {"SIGTERM unasked", killedBy(SIGTERM), facts(), 128 + SIGTERM, "killed-by-signal", false, false, false, {}},
        {"SIGINT unasked", killedBy(SIGINT), facts(), 128 + SIGINT, "killed-by-signal", false, false, false, {}},
        {"SIGHUP unasked", killedBy(SIGHUP), facts(), 128 + SIGHUP, "killed-by-signal", false, false, false, {}},
        {"SIGKILL from outside",
         killedBy(SIGKILL),
         facts(),
         137,
         "killed-by-signal",
         false,
         true,
         false,
         {kDied},
         "SIGKILL"},
        {"SIGSEGV unasked",
         killedBy(SIGSEGV),
         facts(),
         128 + SIGSEGV,
         "killed-by-signal",
         false,
         true,
         false,
         {kDied},
         "SIGSEGV"},
        {"SIGABRT unasked", killedBy(SIGABRT), facts(), 128 + SIGABRT, "killed-by-signal", false, true, false, {kDied}},
        {"SIGKILL, module already suspect: no second note",
         killedBy(SIGKILL),
         with(facts(), [](EndFacts& f) { f.moduleAlreadySuspect = true; }),
         137,
         "killed-by-signal",
         false,
         true,
         false,
         {}},
        // A stop: SIGTERM that pppd did not catch yet is still the request.
        {"SIGTERM asked",
         killedBy(SIGTERM),
         requestedStop(),
         5,
         "user-request",
         true,
         false,
         false,
         {"pppd's own status was 143 killed-by-signal; the call was ended by request"}},
        // A stop that needed SIGKILL keeps saying so, and leaves the module suspect.
        {"escalated to SIGKILL",
         killedBy(SIGKILL),
         with(requestedStop(),
              [](EndFacts& f) {
                  f.killEscalated = true;
                  f.moduleAlreadySuspect = true;  // the escalation marked it
              }),
         137,
         "killed-by-signal",
         true,
         true,
         false,
         {}},
        {"escalated, but pppd exited 5 just then",
         exited(5),
         with(requestedStop(),
              [](EndFacts& f) {
                  f.killEscalated = true;
                  f.moduleAlreadySuspect = true;
              }),
         5,
         "user-request",
         true,
         true,
         false,
         {}},
        // pppd overwrites its status with 16 when the tty hangs up after the link went down.
        {"16 after peer-dead",
         exited(16),
         with(facts(), [](EndFacts& f) { f.terminationCause = 15; }),
         15,
         "peer-dead",
         false,
         false,
         false,
         {"pppd exit status 16 follows the link's end for status 15: reporting 15"}},
        {"16 after auth failure",
         exited(16),
         with(facts(), [](EndFacts& f) { f.terminationCause = 19; }),
         19,
         "auth-to-peer-failed",
         false,
         false,
         false,
         {"pppd exit status 16 follows the link's end for status 19: reporting 19"}},
        {"16 with cause 16",
         exited(16),
         with(facts(), [](EndFacts& f) { f.terminationCause = 16; }),
         16,
         "hangup",
         false,
         false,
         false,
         {}},
        {"a cause only explains 16",
         exited(10),
         with(facts(), [](EndFacts& f) { f.terminationCause = 15; }),
         10,
         "negotiation-failed",
         false,
         false,
         false,
         {}},
        // SIGHUP before EOF: the line hangup is recorded as 5 first; nobody asked, so 16 stands.
        {"SIGHUP before EOF",
         exited(16),
         with(facts(), [](EndFacts& f) { f.terminationCause = 5; }),
         16,
         "hangup",
         false,
         false,
         false,
         {}},
        {"cause 5 when asked",
         exited(16),
         with(requestedStop(), [](EndFacts& f) { f.terminationCause = 5; }),
         5,
         "user-request",
         true,
         false,
         false,
         {"pppd exit status 16 follows the link's end for status 5: reporting 5"}},
        // A crash: pppd's handler exits 127; its log names the signal.
        {"crash 127 with a fatal-signal line",
         exited(127),
         with(facts(), [](EndFacts& f) { f.fatalSignal = SIGSEGV; }),
         127,
         "fatal-signal",
         false,
         true,
         false,
         {kDied},
         "SIGSEGV"},
        {"crash 127 without one",
         exited(127),
         facts(),
         127,
         "fatal-signal",
         false,
         true,
         false,
         {kDied},
         "caught a fatal signal"},
        {"a fatal-signal line without 127 changes nothing",
         exited(16),
         with(facts(), [](EndFacts& f) { f.fatalSignal = SIGSEGV; }),
         16,
         "hangup",
         false,
         false,
         false,
         {}},
        {"unknown status", exited(42), facts(), 42, "unknown-exit-status", false, false, false, {}},
        // The device went away: that is the reason, whatever pppd made of it.
        {"device removed",
         exited(16),
         with(facts(), [](EndFacts& f) { f.deviceRemoved = true; }),
         16,
         "hangup",
         false,
         false,
         true,
         {"pppd's own status was 16 hangup; the call ended because the device was removed"},
         "removed"},
        {"device removed, chat failed",
         exited(8),
         with(facts(), [](EndFacts& f) { f.deviceRemoved = true; }),
         16,
         "hangup",
         false,
         false,
         true,
         {"pppd's own status was 8 connect-failed; the call ended because the device was removed"},
         "removed"},
        {"tty gone before udev said so",
         exited(16),
         with(facts(), [](EndFacts& f) { f.ttyGone = true; }),
         16,
         "hangup",
         false,
         false,
         true,
         {"pppd's own status was 16 hangup; the call ended because the device was removed (/dev/ttyUSB3 is gone)"},
         "removed"},
        {"stopped after the removal grace: not a request",
         exited(5),
         with(requestedStop(),
              [](EndFacts& f) {
                  f.deviceRemoved = true;
                  f.stoppedForRemoval = true;
              }),
         16,
         "hangup",
         false,
         false,
         true,
         {"pppd's own status was 5 user-request; the call ended because the device was removed"},
         "removed"},
        {"removed after Disconnect: the request wins",
         exited(16),
         with(requestedStop(), [](EndFacts& f) { f.deviceRemoved = true; }),
         5,
         "user-request",
         true,
         false,
         false,
         {"pppd's own status was 16 hangup; the call was ended by request"}},
        {"tty gone after Disconnect: the request wins",
         exited(5),
         with(requestedStop(), [](EndFacts& f) { f.ttyGone = true; }),
         5,
         "user-request",
         true,
         false,
         false,
         {}},
        {"stopped at the data limit: 66, not a request",
         exited(5),
         with(requestedStop(), [](EndFacts& f) { f.stoppedForDataLimit = true; }),
         66,
         "data-limit",
         false,
         false,
         false,
         {"pppd's own status was 5 user-request; dialupd ended the call at the data limit"},
         "data-limit"},
        {"stopped at the data limit while the device went: removed",
         exited(16),
         with(requestedStop(),
              [](EndFacts& f) {
                  f.stoppedForDataLimit = true;
                  f.deviceRemoved = true;
              }),
         16,
         "hangup",
         false,
         false,
         true,
         {"pppd's own status was 16 hangup; the call ended because the device was removed"},
         "removed"},
        {"killed by SIGKILL and removed",
         killedBy(SIGKILL),
         with(facts(), [](EndFacts& f) { f.deviceRemoved = true; }),
         16,
         "hangup",
         false,
         true,
         true,
         {kDied, "pppd's own status was 137 killed-by-signal; the call ended because the device was removed"},
         "removed"},
    };
}

TEST(CallEnd, Table) {
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.what);
        CallEnd end = classifyCallEnd(c.exit, c.facts);
        EXPECT_EQ(end.reason.code, c.code);
        EXPECT_EQ(end.reason.name, c.name);
        EXPECT_THAT(end.reason.description, ::testing::HasSubstr(c.descriptionHas));
        EXPECT_EQ(end.requested, c.requested);
        EXPECT_EQ(end.leavesModuleSuspect, c.suspect);
        EXPECT_EQ(end.deviceGone, c.deviceGone);
        std::vector<std::string> notes = c.notesBeforeLast;
        notes.push_back(exitedNote(end.reason));
        EXPECT_THAT(end.notes, ElementsAreArray(notes));
    }
}

// The watchdog's stop: not a request (a Hangup, a redial), whatever pppd made of our SIGTERM.
TEST(CallEnd, StoppedForLostConnectivity) {
    EndFacts stopped = requestedStop();
    stopped.stoppedForConnectivity = true;
    for (ProcessExit exit : {exited(5), exited(16), killedBy(SIGKILL)}) {
        CallEnd end = classifyCallEnd(exit, stopped);
        EXPECT_EQ(end.reason, reasonForConnectivityLost());
        EXPECT_EQ(end.reason.code, 65u);
        EXPECT_EQ(end.reason.name, "connectivity-lost");
        EXPECT_FALSE(end.requested);
        EXPECT_TRUE(redialCanHelp(end.reason));
    }
    // An unplug meanwhile is the better explanation.
    stopped.deviceRemoved = true;
    EXPECT_EQ(classifyCallEnd(exited(16), stopped).reason, reasonForRemovedDevice());
}

// Every signal: only TERM, INT and HUP leave the link closed by pppd itself.
TEST(CallEnd, EverySignal) {
    for (int signal = 1; signal < 32; ++signal) {
        SCOPED_TRACE(signal);
        CallEnd end = classifyCallEnd(killedBy(signal), facts());
        EXPECT_EQ(end.reason, reasonForSignal(signal));
        EXPECT_FALSE(end.requested);
        EXPECT_EQ(end.leavesModuleSuspect, signal != SIGTERM && signal != SIGINT && signal != SIGHUP);
    }
}

}  // namespace
}  // namespace dialupd
