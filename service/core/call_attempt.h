// SPDX-License-Identifier: GPL-2.0-or-later
// One attempt to get online, as ModemManager's bearer is to its modem: the settings it was made
// with (merged once by Modem::connect; a redial's are the plan's), its log and start, the pppd
// runs (the first, and an IPv4-only one when the network refuses an IPV4V6 context right after
// ATD) after the readiness check over the AT port (readiness.h: SIM, registration, APN), the link handed to the system
// (LinkOnline, the IpConfig), and the facts of how it ended. The Modem keeps presence, the published state, recovery
// and redial; it hears the attempt through AttemptHost, as the attempt hears each pppd run through CallHost.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "attempt_log.h"
#include "call.h"
#include "call_record.h"
#include "call_settings.h"
#include "connectivity_check.h"
#include "daemon_settings.h"
#include "errors.h"
#include "link_online.h"
#include "modem_config.h"
#include "modem_services.h"
#include "modem_states.h"
#include "pppd_runner.h"
#include "at_port_turns.h"
#include "readiness.h"
#include "scheduler.h"
#include "waiters.h"

namespace dialupd {

// How an attempt ended: its record (no text yet: the Modem adds the summary and the log once
// it has noted what follows, a redial say), and who still waits on it.
struct AttemptEnd {
    CallRecord record;
    Error error{"", ""};     // what the Connects waiting get
    Waiters connectWaiters;  // Connect(wait): the link never came
    Waiters exitWaiters;     // Disconnect: pppd has exited
};

// What a modem's readiness checks keep from one attempt to the next.
struct ModemReadiness {
    FailedPins failedPins;           // PINs its SIM refused, never sent again; cleared when the module restarts
    bool saidNoAtPort = false;       // the journal has heard once that there is no AT port to check over
    AtPortTurns* atTurns = nullptr;  // the check takes its turn on the AT port (the live status holds it)
    // A check cancelled while a command of it waited keeps the port (and the turn) until that
    // answer is in (ReadinessCheck::abandon); the next attempt's check starts after it.
    std::unique_ptr<ReadinessCheck> lingering;
    std::vector<std::function<void()>> whenPortFree;
};

class AttemptHost {
public:
    // What only the modem knows of a pppd run's end: presence and the module's state.
    virtual void attemptEndFacts(EndFacts& facts) = 0;
    // The module may be left in data mode (pppd had to be killed): check it before the next dial.
    virtual void attemptLeftModuleSuspect() = 0;
    // Before each pppd run: throws Error(Unavailable) when the device is not there, after
    // publishing "unavailable" together with `changed`.
    virtual void attemptCheckDevice(std::vector<ModemProperty>& changed) = 0;
    // The readiness check starts, or pppd runs with `call` (the first or the IPv4 fallback):
    // "connecting", published with `changed`.
    virtual void attemptConnecting(const CallSettings& call, std::vector<ModemProperty>& changed) = 0;
    // The dial after the readiness check could not start (device, spawn): the attempt is over
    // and no pppd ran; the Connects waiting get `error`.
    virtual void attemptDialFailed(const Error& error, Waiters& connectWaiters) = 0;
    // Some of the link's published properties changed.
    virtual void attemptChanged(const std::vector<ModemProperty>& changed) = 0;
    // The link is online (route and DNS in place). True when the modem is "connected" now (not
    // when the call is being ended meanwhile): the Connects waiting are then answered.
    virtual bool attemptOnline(const IpConfig& ip) = 0;
    // dialupd ends the call by itself (the connectivity checks failed): "disconnecting".
    virtual void attemptStopping() = 0;
    // One connectivity check failed (each counts, whether or not the streak ends the call).
    virtual void attemptCheckFailed() {}
    // The attempt is over: the link is gone (or never came), no pppd runs.
    virtual void attemptEnded(AttemptEnd end) = 0;

protected:
    ~AttemptHost() = default;
};

class CallAttempt final : private CallHost {
public:
    // `modem` is the modem's config, read when dialling (a re-plug may rename the tty); `redial`:
    // which redial this is (0: none), for the call log.
    CallAttempt(const ModemConfig& modem, CallSettings settings, const DaemonSettings& daemon, PppdRunner& runner,
                Scheduler& scheduler, const ModemServices& services, ModemReadiness& readiness, uint32_t redial,
                AttemptHost& host);
    ~CallAttempt();
    CallAttempt(const CallAttempt&) = delete;
    CallAttempt& operator=(const CallAttempt&) = delete;

    // Starts: the readiness check when the modem can be asked (services.atPorts and providers, and
    // an AT port), "connecting" meanwhile, then the dial; without it, dial() at once. The Connects
    // in `waiting`, and `done` when `wait`, wait for the link (else `done` runs once under way).
    // Throws as dial() when there is no check; after one, a failed start ends the attempt through
    // the host (attemptDialFailed), a failed check as a call that ended (attemptEnded, the
    // check's named error for the Connects).
    void start(Waiters& waiting, bool wait, Completion done, std::vector<ModemProperty>& changed);
    bool checking() const { return check_ != nullptr; }
    // Abandons the check (Disconnect, shutdown, removal); returns the Connects waiting on it.
    Waiters cancelCheck(std::string_view why);
    // Dials now: pppd on the modem's device; the Connects in `waiting`, and `done` when `wait`,
    // wait for the link (else `done` runs at once). Throws Error (Unavailable, SpawnFailed) when
    // no pppd could start; nothing has changed then but what attemptCheckDevice published.
    void dial(Waiters& waiting, bool wait, Completion done, std::vector<ModemProperty>& changed);
    // The attempt ends without any pppd having run (module recovery failed before the dial).
    void endWithoutPppd(const ExitReason& reason, Waiters& connectWaiters);

    // SIGTERM to the pppd running now, SIGKILL after the stop window. False when none runs or a
    // stop is already on its way.
    bool stop(Call::StopCause cause);
    // The pppd run now, if any.
    Call* call() const { return call_.get(); }

    void note(std::string_view line) { log_.note(line); }
    AttemptLog& log() { return log_; }
    const CallSettings& settings() const { return settings_; }
    const IpConfig& ip() const { return ip_; }
    uint64_t connectedSinceUsec() const { return connectedSinceUsec_; }
    const OnlineState& online() const;

private:
    void callNote(std::string_view line) override;
    void callReport(const PluginReport& report) override;
    void callKillEscalated() override;
    void callExited(ProcessExit exit) override;

    void startCall(const CallSettings& call, Waiters& waiting, bool wait, Completion done,
                   std::vector<ModemProperty>& changed);
    std::unique_ptr<LinkOnline> startLinkOnline(const CallSettings& call);
    // IPCP is up (IPV6CP for an IPv6-only call): LinkOnline puts the link online, then linkOnline.
    void linkUp(const IpConfig& ip);
    void linkOnline();
    // The link is online: the connectivity watchdog starts when the call's check asks for it.
    void startWatchdog();
    void connectivityLost(const std::string& why);
    // A network that refuses an IPV4V6 context fails the activation right after ATD: the same
    // Connect dials once more as IPv4 only. True when that dial was started.
    bool fallBackToIpv4(Call& ended, const ExitReason& reason, bool requested, bool deviceRemoved);
    void checked(Readiness readiness, std::optional<Error> error);
    void giveBackAtTurn();  // the check's turn on the AT port ends (idempotent)
    std::optional<Secret> pin() const;
    // What the live status (holding the AT port, kept current by the module's URCs) already
    // knows, when that is all the check would find out: the line for the call log, or nullopt
    // when the check must ask the module.
    std::optional<std::string> readyByLiveState() const;
    // The common end: the link's state cleared, the record made, the host told. `error`: what
    // the Connects waiting get instead of the reason's CallFailed.
    void finish(const ExitReason& reason, bool requested, uint64_t bytesIn, uint64_t bytesOut, Waiters& connectWaiters,
                Waiters& exitWaiters, const Error* error = nullptr);

    const ModemConfig& modem_;
    const CallSettings settings_;
    const DaemonSettings& daemon_;
    PppdRunner& runner_;
    Scheduler& scheduler_;
    const ModemServices& services_;
    ModemReadiness& readiness_;
    const uint32_t redial_;
    AttemptHost& host_;
    AttemptLog log_;

    std::unique_ptr<ReadinessCheck> check_;
    std::unique_ptr<TimerHandle> checkEnded_;
    bool holdsAtTurn_ = false;  // the check asked for its turn on the AT port, or has it
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for what waits on a lingering check
    Waiters checkWaiters_;                                        // Connects waiting while the check runs
    std::unique_ptr<Call> call_;
    std::unique_ptr<ConnectivityWatchdog> watchdog_;  // while connected, with a check configured
    bool watchdogAwaitsDns_ = false;                  // online, checked against the network's DNS, none known yet
    std::unique_ptr<LinkOnline> online_;              // kept after the call ends: what the modem publishes
    IpConfig ip_;
    uint64_t connectedSinceUsec_ = 0;
    bool ipv4FallbackDone_ = false;
};

}  // namespace dialupd
