// SPDX-License-Identifier: GPL-2.0-or-later
// Module recovery as a Modem runs it: the ladder (module_recovery.h: probe, +++/ATH, AT+CFUN=1,1,
// USB reset) together with what it was started for (a Reset request waiting for its answer, or
// the dial it precedes), and the module's re-enumeration during it: AT+CFUN=1,1 and a USB reset
// restart the module, its ttys go away and come back (possibly under other names); if they do
// not come back, the modem is removed. The Modem keeps the published state.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "at_port_turns.h"
#include "call_settings.h"
#include "daemon_settings.h"
#include "errors.h"
#include "modem_services.h"
#include "module_recovery.h"
#include "scheduler.h"
#include "waiters.h"

namespace dialupd {

// What Reset() did: the rung that brought the module back ("probe": it was fine) and the
// steps as noted.
struct ResetResult {
    std::string recoveredBy;
    std::string log;
};
using ResetCompletion = std::function<void(const Error* error, const ResetResult& result)>;

class ModemRecovery final {
public:
    using Note = std::function<void(std::string_view line)>;
    using Ports = std::function<RecoveryPorts()>;
    struct Outcome {
        std::optional<std::string> recoveredBy;  // the rung that helped; nullopt: none did
        ResetCompletion reset;                   // a Reset's answer; null before a dial
        std::optional<CallSettings> call;        // the dial that follows; nullopt for a Reset
        Waiters connectWaiters;                  // the Connects waiting for that dial
    };
    // The ladder ended (from the loop, never from inside start()).
    using Finished = std::function<void(Outcome outcome)>;
    // The module re-enumerated and did not come back: the modem goes, as by deviceRemoved(gone).
    using NotBack = std::function<void(std::function<void()> gone)>;

    // Runs `then` once whatever else uses the AT port by itself has done (the AT snapshot of a
    // call that just ended: the ladder from the restart opens the AT port at once).
    using AfterOthers = std::function<void(std::function<void()> then)>;

    // The ladder takes its turn on the AT port through `atTurns` (it may wait for the live
    // status to let the port go, and before that for `afterOthers`: running() already).
    ModemRecovery(const DaemonSettings& daemon, Scheduler& scheduler, const ModemServices& services,
                  AtPortTurns& atTurns, Note note, Ports ports, Finished finished, NotBack notBack,
                  AfterOthers afterOthers = nullptr);
    ~ModemRecovery();
    ModemRecovery(const ModemRecovery&) = delete;
    ModemRecovery& operator=(const ModemRecovery&) = delete;

    // Runs the ladder (services.atPorts must be there) for a Reset (`reset` answers it) or before
    // the dial made with `call`, from the rung `from` (an escalation starts further up; the
    // power cycle runs `call`'s power-cycle-command).
    void start(ResetCompletion reset, std::optional<CallSettings> call,
               ModuleRecovery::Rung from = ModuleRecovery::Rung::Probe);
    bool running() const { return ladder_ != nullptr || awaitingPort_; }
    // Abandons a running ladder: `finished` is not called; returns who is still to be answered.
    Outcome cancel();
    // The Connects waiting for the dial after the ladder.
    Waiters& connectWaiters() { return connectWaiters_; }

    // The modem port went away during the ladder: `gone` is for removing the modem if the module
    // does not come back.
    void detached(std::function<void()> gone);
    bool detached() const { return static_cast<bool>(gone_); }
    // The module is back on USB.
    void reattached();
    // The ladder ended well: the tty can answer before udev's add event for it is in, so the
    // event is given time before the modem is removed.
    void awaitReattach();
    // The ladder ended badly or was cancelled: a module that went away stays gone.
    void removeIfStillDetached();

private:
    void ladderDone(std::optional<std::string> recoveredBy);

    const DaemonSettings& daemon_;
    Scheduler& scheduler_;
    const ModemServices& services_;
    AtPortTurns& atTurns_;
    Note note_;
    Ports ports_;
    Finished finished_;
    NotBack notBack_;

    AfterOthers afterOthers_;
    std::unique_ptr<ModuleRecovery> ladder_;
    bool awaitingPort_ = false;  // started, waiting for the AT port's turn
    bool turnAsked_ = false;     // atTurns.take() was called and not given back
    unsigned generation_ = 0;    // a start whose wait for the others outlives a cancel finds it changed
    ResetCompletion reset_;
    std::optional<CallSettings> call_;
    Waiters connectWaiters_;
    std::function<void()> gone_;  // set while re-enumerating during a recovery
    std::unique_ptr<TimerHandle> reattachTimer_;
};

}  // namespace dialupd
