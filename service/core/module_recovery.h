// SPDX-License-Identifier: GPL-2.0-or-later
// Brings a module that stopped answering back to command mode. After pppd died without
// hanging up (SIGKILL, a crash, a daemon that was killed), an EC25 can be left in data mode,
// swallowing everything on its modem port: the next dial's "AT" gets no OK. The ladder is the
// one Quectel's notes and ModemManager's port probing use, gentlest first, stopping at the
// first rung that brings back OK:
//   1. probe:  "AT" on the modem port (the module may be fine: nothing to do)
//   2. escape: "+++" between guard times, then ATH, on the modem port
//   3. reboot: AT+CFUN=1,1 on the AT port, then wait for the modem port to answer again (a
//              USB module re-enumerates: its ttys go away and come back)
//   4. usb-reset: de-authorize and re-authorize the USB device, then wait likewise
// The ladder can also be started further up (escalation.h: after failed dials in a row), from
// the restart or the USB reset; or at a fifth rung of its own that the ladder from below never
// reaches: power-cycle, a configured program (a GPIO or a hub port's power switch) run without a
// shell, then the same wait for the modem port.
// Every step is told to `note` as it happens (the call log and the journal).
//
// Each step is one wait (see Step), and every wait ends: by its timer, by the module's answer,
// or by its port closing (a hang-up, a vanished device). Whatever ends it, the step goes on to
// the next rung, to a success or to a failure: a port that hangs up fails the rung that
// needed it. An overall bound, above the longest the ladder can take, is the backstop: past
// it the recovery ends as failed, naming the step it was in.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "at_channel.h"
#include "at_session.h"
#include "scheduler.h"

namespace dialupd {

struct RecoveryLimits {
    std::chrono::milliseconds answer{1000};       // for an OK to a command
    std::chrono::milliseconds guard{1200};        // silence before and after "+++" (the module's S12 is 1 s)
    std::chrono::milliseconds rebootWait{45000};  // for the modem port to answer after a reboot or reset
    std::chrono::milliseconds poll{1000};         // between tries while waiting for it
    std::chrono::milliseconds command{60000};     // for the power-cycle command to exit
    std::chrono::milliseconds overall{0};         // the whole recovery; 0: overallBound()

    // The longest every step waiting its full time can take (two awaited restarts included),
    // plus a margin: a recovery still running past it is held by something nobody foresaw.
    std::chrono::milliseconds overallBound() const;
};

// Where the module can be reached; asked again at every try, since a re-enumerated USB module
// may come back on other tty names.
struct RecoveryPorts {
    std::string modemPort;
    std::string atPort;       // "" or the modem port itself: no reboot rung
    std::string usbPortPath;  // "" for a modem on a fixed port: no USB reset rung
};

// USB reset through sysfs; throws std::runtime_error when it cannot be done.
class UsbResetter {
public:
    virtual ~UsbResetter() = default;
    virtual void reset(const std::string& usbPortPath) = 0;
};

// Runs a program without a shell (the power-cycle command) and tells its end from the loop.
class RunningCommand {
public:
    virtual ~RunningCommand() = default;  // stops listening; the program is left to end (and reaped)
};
class CommandRunner {
public:
    virtual ~CommandRunner() = default;
    // "" when it exited with status 0, else how it ended ("exit status 3", "killed by signal 9").
    using Exited = std::function<void(const std::string& problem)>;
    // argv[0] is an absolute path. Throws std::runtime_error (or Error) when it cannot be started.
    virtual std::unique_ptr<RunningCommand> run(const std::vector<std::string>& argv, Exited exited) = 0;
};

class ModuleRecovery final {
public:
    using Note = std::function<void(std::string_view line)>;
    // The rung that brought OK back (toString(Rung): "probe" when the module was fine), or
    // nullopt when none did.
    using Done = std::function<void(std::optional<std::string> recoveredBy)>;

    // The rungs of the ladder, gentlest first.
    enum class Rung { Probe, Escape, Reboot, UsbReset, PowerCycle };

    // The waits of the ladder, in order.
    enum class Step {
        Idle,               // not started yet
        Probe,              // "AT" on the modem port: for its answer
        EscapeGuardBefore,  // silence before "+++"
        EscapePlus,         // "+++" sent: for its OK (the guard time after included)
        EscapeHangUp,       // for the answer to ATH
        EscapeCheck,        // for the answer to the AT after ATH
        Reboot,             // AT+CFUN=1,1 on the AT port: for its answer
        PowerCycle,         // the power-cycle command runs: for its exit
        AwaitPause,         // between tries while the module restarts (no port open)
        AwaitAnswer,        // "AT" on the modem port while it restarts: for its answer
        Done,               // finished: `done` is on its way
    };

    // `commands` and `powerCycleCommand` are for the power-cycle rung only.
    ModuleRecovery(AtPortOpener& ports, Scheduler& scheduler, UsbResetter* usbResetter, RecoveryLimits limits,
                   Note note, CommandRunner* commands = nullptr, std::string powerCycleCommand = {});
    ~ModuleRecovery() = default;  // abandons a recovery in progress: `done` is not called
    ModuleRecovery(const ModuleRecovery&) = delete;
    ModuleRecovery& operator=(const ModuleRecovery&) = delete;

    // `done` is called from a later turn of the loop, never from inside start(). `from`: the rung
    // the ladder starts at (Reboot, UsbReset: the rungs above follow as usual; PowerCycle alone).
    void start(std::function<RecoveryPorts()> ports, Done done, Rung from = Rung::Probe);
    Step step() const { return step_; }

private:
    enum class Outcome { Ok, Failed, Silent, Closed };
    using Then = std::function<void(Outcome outcome, const std::string& detail)>;

    bool openPort(const std::string& path);
    // The one way the ladder waits: `then` runs on a later turn with the wait's outcome, unless
    // the recovery has ended meanwhile. A hang-up of the open port ends every wait as Closed.
    void command(std::string_view text, std::chrono::milliseconds timeout, Then then);
    void escapeSequence(std::chrono::milliseconds timeout, Then then);
    void quiet(std::chrono::milliseconds span, Then then);
    AtSession::Callback continueWith(Then then);

    void probe();
    void escapeGuard();
    void escapePlus();
    void escapeHangUp();
    void escapeCheck();
    void portLost(std::string_view during, const std::string& why);
    void reboot();
    void usbReset();
    void powerCycle();
    void awaitReturn(Rung rung);
    void pause();
    void tryReturn();
    void nextTry();
    void overrun();
    void finish(std::optional<Rung> recoveredBy, std::string_view failure = "the module answered no step");

    Scheduler& scheduler_;
    UsbResetter* usbResetter_;
    RecoveryLimits limits_;
    Note note_;
    CommandRunner* commands_;
    std::string powerCycleCommand_;
    std::unique_ptr<RunningCommand> running_;
    std::unique_ptr<TimerHandle> commandTimer_;
    std::function<RecoveryPorts()> where_;
    Done done_;
    Step step_ = Step::Idle;
    std::chrono::microseconds startedAt_{0};
    std::unique_ptr<TimerHandle> overallTimer_;

    AtSession session_;              // on one port at a time: the modem port or the AT port
    bool openFailedAbsent_ = false;  // the last open failed because the port is not there
    bool portHungUp_ = false;        // a port of the module hung up during this recovery
    unsigned generation_ = 0;        // a continuation from an earlier run finds it changed

    // Waiting for the module to come back after a reboot or reset.
    Rung awaiting_ = Rung::Reboot;
    std::chrono::microseconds awaitDeadline_{0};
    std::string lastTryProblem_;
};

std::string_view toString(ModuleRecovery::Step step);
std::string_view toString(ModuleRecovery::Rung rung);  // "probe", "escape", "reboot", "usb-reset", "power-cycle"

}  // namespace dialupd
