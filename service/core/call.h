// SPDX-License-Identifier: GPL-2.0-or-later
// One pppd run: its process, what it logs and reports, its byte counts, the stop (SIGTERM, then
// SIGKILL after the stop window) and the facts of its end. Made with settings already merged and
// validated (Modem::connect), and the requests waiting on it; the Modem keeps presence, recovery,
// redial and the published state, and hears from its Call through CallHost.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "call_end.h"
#include "call_log.h"
#include "call_settings.h"
#include "daemon_settings.h"
#include "pppd_runner.h"
#include "scheduler.h"
#include "waiters.h"

namespace dialupd {

class CallHost {
public:
    // dialupd's own decisions, for the call log and the journal.
    virtual void callNote(std::string_view line) = 0;
    // The link's progress (interface, ipv6-up, ip-up, ip-down), after the Call has logged it.
    virtual void callReport(const PluginReport& report) = 0;
    // SIGTERM went unanswered: SIGKILL is on its way, the module may be left in data mode.
    virtual void callKillEscalated() = 0;
    // pppd exited; every line and report came before. The Call may be freed only on a later turn.
    virtual void callExited(ProcessExit exit) = 0;

protected:
    ~CallHost() = default;
};

class Call final : private PppdObserver {
public:
    // `log` and `logStartedAt` are the attempt's (a recovery or a first dial may have written to
    // it already); both outlive the Call.
    Call(std::string modemId, CallSettings settings, const DaemonSettings& daemon, Scheduler& scheduler, CallLog& log,
         std::chrono::microseconds logStartedAt, CallHost& host);
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

    // Starts pppd on `device`. Throws Error(SpawnFailed) and then is never started.
    void start(PppdRunner& runner, const std::string& device);

    // DataLimit: dialupd ends the call at the modem's data-limit (reason 66, not a request).
    // ConnectivityLost: the connectivity watchdog's checks failed (reason 65, not a request).
    enum class StopCause { Requested, DeviceRemoved, DataLimit, ConnectivityLost };
    // SIGTERM now, SIGKILL after the stop window. False when a stop is already on its way.
    bool stop(StopCause cause);

    const CallSettings& settings() const { return settings_; }
    pid_t pid() const { return process_->pid(); }
    bool stopRequested() const { return stopRequested_; }
    bool dialSent() const { return dialSent_; }  // chat sent ATD: a failure after it is the network's answer
    uint64_t bytesIn() const { return bytesIn_; }
    uint64_t bytesOut() const { return bytesOut_; }
    // What the Call knows of its end; the Modem adds presence and the module's state.
    EndFacts endFacts() const;

    // Who waits on this call: Connect(wait) until the link is up or the call ends (taken over from
    // the recovery before it, or handed on to its IPv4 fallback), Disconnect until pppd has exited.
    Waiters& connectWaiters() { return connectWaiters_; }
    Waiters& exitWaiters() { return exitWaiters_; }

private:
    void pppdLogLine(std::string_view line) override;
    void pppdReport(const PluginReport& report) override;
    void pppdExited(ProcessExit exit) override;
    void logIpv6Sysctl(const std::string& ifname, const Ipv6Sysctl& sysctl);
    void escalateToKill();
    double secondsSinceStart() const;

    const std::string modemId_;
    const CallSettings settings_;
    const DaemonSettings& daemon_;
    Scheduler& scheduler_;
    CallLog& log_;
    const std::chrono::microseconds logStartedAt_;
    CallHost& host_;

    std::unique_ptr<PppdProcess> process_;
    std::unique_ptr<TimerHandle> killTimer_;
    bool dialSent_ = false;
    uint64_t bytesIn_ = 0;
    uint64_t bytesOut_ = 0;
    bool stopRequested_ = false;
    bool stoppedForRemoval_ = false;
    bool stoppedForDataLimit_ = false;
    bool stoppedForConnectivity_ = false;
    bool killEscalated_ = false;
    std::optional<int> terminationCause_;  // pppd's status when the link began to go down
    std::optional<int> fatalSignal_;       // from pppd's "Fatal signal N" line
    Waiters connectWaiters_;
    Waiters exitWaiters_;
};

}  // namespace dialupd
