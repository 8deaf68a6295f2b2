// SPDX-License-Identifier: GPL-2.0-or-later
// One modem: its presence, the current call attempt if any, and its published state, between
// D-Bus requests, udev and the attempt's progress. Its states, transitions and refusals are one
// table (modem_states.h); the attempt to get online (call_attempt.h: its pppd runs, the link
// handed to the system, how it ended), module recovery (modem_recovery.h), redial (redialer.h)
// and what becomes of a finished call (hangup_reporter.h) are rooms of their own. Knows nothing
// of D-Bus, fds or processes: those come in through PppdRunner, Scheduler, ModemServices and
// ModemObserver.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attempt_log.h"
#include "call_attempt.h"
#include "call_record.h"
#include "call_settings.h"
#include "daemon_settings.h"
#include "dm_log_files.h"
#include "dm_recorder.h"
#include "errors.h"
#include "escalation.h"
#include "exit_reason.h"
#include "at_port_turns.h"
#include "hangup_reporter.h"
#include "live_status.h"
#include "modem_config.h"
#include "modem_counters.h"
#include "modem_recovery.h"
#include "modem_services.h"
#include "modem_states.h"
#include "pppd_runner.h"
#include "redialer.h"
#include "scheduler.h"

namespace dialupd {

class ModemObserver {
public:
    virtual void modemPropertiesChanged(const std::vector<ModemProperty>& changed) = 0;
    // A call ended that nobody asked to end (failed dials included). Comes after the
    // properties changed, once the AT snapshot is done: `log` is the call's whole text.
    virtual void modemHangup(const ExitReason& reason, std::chrono::microseconds duration, const std::string& log) = 0;

protected:
    ~ModemObserver() = default;
};

// What GetStatistics and the metrics report of a modem's counters, at one moment.
struct ModemStatistics {
    ModemCounters counters;  // as kept: finished calls
    DataPlan plan;
    DataPeriod period;
    // This period's bytes, with the running call's so far when its counters can be read.
    uint64_t periodBytesIn = 0;
    uint64_t periodBytesOut = 0;
    bool limitReached = false;
    std::optional<LinkBytes> live;  // the running call's bytes so far
};

class Modem final : private AttemptHost {
public:
    using DeviceExists = dialupd::DeviceExists;

    Modem(ModemConfig config, const DaemonSettings& daemon, PppdRunner& runner, Scheduler& scheduler,
          DeviceExists deviceExists, ModemServices services = {});
    ~Modem();
    Modem(const Modem&) = delete;
    Modem& operator=(const Modem&) = delete;

    // The D-Bus adaptor registers once the object is published, after construction.
    void setObserver(ModemObserver* observer) { observer_ = observer; }
    // SIM, registration, operator and signal from the AT port (optional). The modem gives it
    // its AT port and takes the port from it for the AT snapshot and module recovery.
    void setLiveStatus(std::unique_ptr<LiveStatus> live);
    LiveStatus* liveStatus() const { return live_.get(); }

    // Starts a call. Throws Error when refused at once (state, arguments, device, spawn).
    // Otherwise `done` runs: at once when !wait, else when the link is up or the call failed.
    // With reconnect enabled (the call's settings, or overrides.reconnect), an end nobody asked
    // for is followed by a redial, with backoff, until the link is up again (ReconnectSettings).
    // A Connect replaces a pending redial. After a call that ended abnormally (pppd killed,
    // SIGKILL after the stop window) the module may be stuck in data mode: the dial is then
    // preceded by module recovery (state "resetting"), which fails the call when no rung helps.
    void connect(const CallOverrides& overrides, bool wait, Completion done);
    // A Connect refused with DataLimitReached for a modem that keeps its link up by itself
    // (autoconnect): with reconnect on, the call is planned as a redial at the next data
    // period's start. False (nothing planned) when the limit is not reached or reconnect is off.
    bool redialAtNextDataPeriod(const CallOverrides& overrides);
    // Runs module recovery on demand (state "resetting"); `done` gets what brought the module
    // back, or Error(RecoveryFailed). Refused with Error(Busy) during a call or a recovery, and
    // Error(Unavailable) without a device or AT access. Cancels a pending redial.
    void reset(ResetCompletion done);
    // Ends the call, or cancels a pending redial or a recovery; `done` runs once pppd has
    // exited. Throws Error(NotConnected) when there is none of these.
    void disconnect(Completion done);
    // Daemon shutdown: ends any call like disconnect; `stopped` runs once no pppd runs.
    void stop(std::function<void()> stopped);
    // The device went away (USB unplug). A running call ends as an unrequested hangup: pppd
    // normally notices at once; if it has not exited after a grace period it is stopped.
    // `gone` runs once no pppd runs; the modem then only waits to be destroyed.
    void deviceRemoved(std::function<void()> gone);
    // USB re-enumeration while resetting (AT+CFUN=1,1 or a USB reset restarts the module): the
    // modem port went away. The object stays; if the recovery ends before the module is back,
    // the modem is removed as by deviceRemoved(gone).
    void deviceDetachedDuringReset(std::function<void()> gone);
    bool detachedDuringReset() const { return recovery_.detached(); }
    // The module is back (possibly on other tty names).
    void deviceReattached(std::string device, std::string atPort);
    // The AT port appeared or went away ("" = none).
    void setAtPort(std::string atPort);
    // The DM (DIAG) port appeared or went away ("" = none): the DM log's recorder reads it.
    void setDmPort(std::string dmPort);
    // The DM log's recorder (dm-log = yes, with a DM port opener); null otherwise.
    const DmRecorder* dmRecorder() const { return dm_.get(); }
    // The tty node may have appeared or gone (a fixed port: nobody else says): between calls the
    // state becomes "disconnected" or "unavailable" to match. During a call pppd notices itself.
    void recheckDevice();

    const std::string& id() const { return config_.id; }
    ModemState state() const { return state_; }
    const ExitReason& lastExitReason() const { return lastExitReason_; }
    const std::string& device() const { return config_.device; }
    const std::string& atPort() const { return config_.atPort; }
    const UsbIdentity& usb() const { return config_.usb; }
    const ModemConfig& config() const { return config_; }
    const IpConfig& ip() const;
    // The link as handed to the system: route, IPv6, DNS servers (IPv4 and IPv6) and where they went.
    const OnlineState& online() const;
    // The call's route metric; between calls the configured one.
    uint32_t routeMetric() const { return routeMetric_; }
    uint64_t connectedSinceUsec() const { return attempt_ ? attempt_->connectedSinceUsec() : 0; }
    // pppd had to be SIGKILLed: the module may be stuck in data mode (the recovery ladder's cue).
    bool suspect() const { return suspect_; }
    // Something outside the modem's own calls left the module suspect (a pppd an earlier daemon
    // left running had to be stopped): the next dial checks the module first.
    void markSuspect(std::string_view why);
    bool callActive() const { return attempt_ && attempt_->call(); }
    bool resetting() const { return recovery_.running(); }
    bool removed() const { return removed_; }
    // Redials made since the link was last up (0 when none), and when the next one is due
    // (µs since the epoch; 0 when none is pending).
    uint32_t reconnectAttempts() const { return redialer_.attempts(); }
    uint64_t nextReconnectUsec() const { return redialer_.nextUsec(); }
    // Dials in a row that ended without the link coming up (escalation.h), and the step due
    // before the next dial (None: none).
    uint32_t failedDials() const { return escalation_.failures(); }
    EscalationStep pendingEscalation() const { return pendingEscalation_; }
    // The last finished call's figures (no text); zero before the first.
    const CallRecord& lastCall() const { return lastCall_; }
    // Counters for fleets (modem_counters.h), and the running call's bytes so far, read from its
    // interface's counters now (nullopt without a call whose interface is known, or a reader).
    const CounterBook& counters() const { return counters_; }
    std::optional<LinkBytes> liveBytes() const;
    // `withLive`: the running call's bytes so far count (its interface's counters are read).
    ModemStatistics statistics(bool withLive = true) const;
    // A connectivity probe failed: counted (the watchdog's hook).
    void watchdogFailed();
    // While a call is up and a data-limit is set, the interface's counters are read this often
    // (and at no other time): the limit may be overrun by what the link carries in one interval.
    static constexpr std::chrono::seconds kDataLimitCheckInterval{60};

    // Kept call records, newest first (empty without a store); `last` == 0: all that are kept.
    std::vector<CallRecord> callLogs(size_t last) const;
    // SaveDiagnosticLog: the DM log's ring as it stands, written as the .qmdl of the call it
    // belongs to (dm_log_files.h: what it answers, what it throws). The Hangup's freeze later
    // writes the same file again with the whole window.
    DmLogSaved saveDiagnosticLog() const;
    // OpenDiagnosticLog: the kept .qmdl of the call that started at `startedAtUsec` (0: the newest).
    OpenedDmLog openDiagnosticLog(uint64_t startedAtUsec) const;

private:
    void attemptEndFacts(EndFacts& facts) override;
    void attemptLeftModuleSuspect() override;
    void attemptCheckDevice(std::vector<ModemProperty>& changed) override;
    void attemptConnecting(const CallSettings& call, std::vector<ModemProperty>& changed) override;
    // The dial that should follow a recovery or the readiness check could not start: the attempt
    // is over, a redial may follow.
    void attemptDialFailed(const Error& error, Waiters& connectWaiters) override;
    void attemptChanged(const std::vector<ModemProperty>& changed) override;
    bool attemptOnline(const IpConfig& ip) override;
    void attemptStopping() override;
    void attemptCheckFailed() override { watchdogFailed(); }
    void attemptEnded(AttemptEnd end) override;

    // A new attempt with `call`, dialled at once or after module recovery when the last call left
    // the module suspect. Throws Error when the dial is refused at once (device, spawn).
    void beginCall(const CallSettings& call, bool wait, Completion done, std::vector<ModemProperty>& changed);
    // `reset` answers a Reset; otherwise the dial with `call` follows.
    void startRecovery(std::string why, ResetCompletion reset, std::optional<CallSettings> call,
                       ModuleRecovery::Rung from = ModuleRecovery::Rung::Probe);
    // An attempt that ended by itself without the link coming up: counted, and the escalation
    // step it makes due noted.
    void countFailedDial(const ExitReason& reason);
    EscalationMeans escalationMeans() const;
    void recoveryFinished(ModemRecovery::Outcome outcome);
    void cancelRecovery(const Error& why);
    // Cancels what precedes a dial (a recovery, the readiness check): the Connects waiting get `why`.
    void cancelBeforeDial(const Error& why);
    void redial();
    void setState(ModemState state, std::vector<ModemProperty>& changed);
    // Between calls: "disconnected", or "unavailable" without the device.
    void settle(std::vector<ModemProperty>& changed);
    void cancelRedial();
    void publish(const std::vector<ModemProperty>& changed);
    // Throws Error(DataLimitReached) while this period's traffic is at the data-limit.
    void refuseAtDataLimit();
    // After a data-limit end, a call kept up by redial: the redial waits for the next period.
    void waitForNextDataPeriod(std::vector<ModemProperty>& changed);
    void checkDataLimit();
    void statsChanged();
    // The DM log's recorder around a call attempt: on before the dial, frozen into the call's
    // record at its end (a section of the log, the cause in the reason's description), off after.
    // The returned text is the network's stated cause ("EMM cause #7 EPS services not
    // allowed") when it says no redial can help before the module is registered again
    // (networkEndWaitsForRegistration); empty otherwise.
    void startDmLog();
    void stopDmLog();
    std::string freezeDmLog(CallRecord& record, std::string& log);
    // After such a cause, a call kept up by redial: the redial waits for the live status to see
    // the module registered again (home or roaming, from anything else), then dials at once. No
    // live status with an AT port to see it: the backoff as for any other end, and the log says so.
    void waitForRegistration(const std::string& cause, ExitReason& reason, std::vector<ModemProperty>& changed);
    void dataRegistrationChanged(Registration now);
    void note(std::string_view line);  // dialupd's own decisions, into the current log and the journal
    void requestStop(Call::StopCause cause);
    bool callRunning() const { return attempt_ && attempt_->call(); }
    bool devicePresent() const { return !removed_ && deviceExists_(config_.device); }
    void stopAfterRemoval();

    ModemConfig config_;
    const DaemonSettings& daemon_;
    PppdRunner& runner_;
    Scheduler& scheduler_;
    DeviceExists deviceExists_;
    ModemServices services_;
    // Whose turn it is on the AT port: the live status's between uses (set by setLiveStatus).
    AtPortTurns atTurns_;
    ModemObserver* observer_ = nullptr;
    HangupReporter hangups_;  // the AT snapshot, the call log and the Hangup of each finished call

    ModemState state_ = ModemState::Disconnected;
    ExitReason lastExitReason_ = noCallYetReason();
    bool suspect_ = false;
    bool removed_ = false;
    CallRecord lastCall_;
    uint32_t routeMetric_ = 700;

    // The current call attempt (kept after it ended, until the next: its link state is published),
    // a Reset's log, and which of the two logs dialupd's notes go to now.
    std::unique_ptr<CallAttempt> attempt_;
    std::unique_ptr<AttemptLog> resetLog_;
    AttemptLog* log_ = nullptr;
    std::vector<std::function<void()>> stopWaiters_;
    // Device removal during the call.
    std::unique_ptr<TimerHandle> removalTimer_;
    std::vector<std::function<void()>> removalWaiters_;

    // Module recovery, before a call or on demand, and the module's re-enumeration during it.
    ModemRecovery recovery_;
    Redialer redialer_;
    Escalation escalation_;
    EscalationStep pendingEscalation_ = EscalationStep::None;
    bool attemptWentOnline_ = false;  // the current attempt's link came up
    ModemReadiness readiness_;        // outlives attempts: the PINs the SIM refused

    CounterBook counters_;
    std::unique_ptr<TimerHandle> limitTimer_;  // the data-limit check while a call is up
    LinkBytes lastLive_;                       // the running call's counters as last read

    std::unique_ptr<DmRecorder> dm_;  // dm-log = yes
    bool dmActive_ = false;           // started for the current attempt
    uint64_t dmWindowUsec_ = 0;       // the start of the attempt whose dial began the ring's window

    std::unique_ptr<LiveStatus> live_;  // last: it uses the AT port opener and the scheduler
    std::string livePort() const { return config_.atPort == config_.device ? "" : config_.atPort; }
};

}  // namespace dialupd
