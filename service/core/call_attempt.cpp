// SPDX-License-Identifier: GPL-2.0-or-later
#include "call_attempt.h"

#include <sys/socket.h>

#include <algorithm>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "call_end.h"
#include "log_fields.h"

namespace dialupd {

CallAttempt::CallAttempt(const ModemConfig& modem, CallSettings settings, const DaemonSettings& daemon,
                         PppdRunner& runner, Scheduler& scheduler, const ModemServices& services,
                         ModemReadiness& readiness, uint32_t redial, AttemptHost& host)
    : modem_(modem),
      settings_(std::move(settings)),
      daemon_(daemon),
      runner_(runner),
      scheduler_(scheduler),
      services_(services),
      readiness_(readiness),
      redial_(redial),
      host_(host),
      log_(modem.id, scheduler, daemon.callLogBytes) {}

CallAttempt::~CallAttempt() { giveBackAtTurn(); }

void CallAttempt::giveBackAtTurn() {
    if (!holdsAtTurn_) return;
    holdsAtTurn_ = false;
    if (readiness_.atTurns) readiness_.atTurns->giveBack();  // also cancels a turn still to come
}

const OnlineState& CallAttempt::online() const {
    static const OnlineState kNone;
    return online_ ? online_->state() : kNone;
}

void CallAttempt::dial(Waiters& waiting, bool wait, Completion done, std::vector<ModemProperty>& changed) {
    startCall(settings_, waiting, wait, std::move(done), changed);
}

void CallAttempt::start(Waiters& waiting, bool wait, Completion done, std::vector<ModemProperty>& changed) {
    if (!services_.atPorts || !services_.providers) {
        dial(waiting, wait, std::move(done), changed);
        return;
    }
    // The AT port is never the PPP port (a fixed UART with one tty).
    const std::string atPort = modem_.atPort == modem_.device ? "" : modem_.atPort;
    if (atPort.empty()) {
        const std::string line = fmt::format("no AT port: SIM and registration not checked before the dial{}",
                                             settings_.apnGiven ? "" : ", no APN looked up");
        if (readiness_.saidNoAtPort) {
            log_.logOnly(line);  // the journal has it once per modem, the call log once per attempt
        } else {
            readiness_.saidNoAtPort = true;
            note(line);
        }
        dial(waiting, wait, std::move(done), changed);
        return;
    }
    if (std::optional<std::string> ready = readyByLiveState()) {
        note(*ready);
        dial(waiting, wait, std::move(done), changed);
        return;
    }
    host_.attemptCheckDevice(changed);
    check_ =
        std::make_unique<ReadinessCheck>(*services_.atPorts, scheduler_, *services_.providers, readiness_.failedPins);
    checkWaiters_.adopt(waiting);
    ReadinessSettings settings{.atPort = atPort,
                               .apnGiven = settings_.apnGiven,
                               .allowRoaming = settings_.allowRoaming,
                               .registrationTimeout = std::chrono::seconds(settings_.registrationTimeoutSeconds)};
    auto startCheck = [this, settings] {
        check_->start(
            settings, [this] { return pin(); }, [this](std::string_view line) { note(line); },
            [this](Readiness readiness, std::optional<Error> error) {
                // On a later turn: the AT port (and its UUCP lock) the check let go of is free then
                // for the Hangup's snapshot. The check stays (not running) until then: a Disconnect
                // meanwhile still cancels it.
                checkEnded_ = scheduler_.after(std::chrono::microseconds(0), [this, readiness, error]() mutable {
                    auto fired = std::move(checkEnded_);
                    checked(std::move(readiness), std::move(error));
                });
            });
    };
    // The live status lets the port go first (at once, or once its own command is answered),
    // and before it a cancelled check that still waits for its last answer.
    auto takeTurn = [this, startCheck = std::move(startCheck)]() mutable {
        holdsAtTurn_ = true;
        if (readiness_.atTurns)
            readiness_.atTurns->take(std::move(startCheck));
        else
            startCheck();
    };
    if (readiness_.lingering) {
        readiness_.whenPortFree.push_back(
            [alive = std::weak_ptr<bool>(alive_), this, takeTurn = std::move(takeTurn)]() mutable {
                if (alive.lock() && check_) takeTurn();  // not if the attempt or its check is gone
            });
    } else {
        takeTurn();
    }
    host_.attemptConnecting(settings_, changed);
    if (wait)
        checkWaiters_.add(std::move(done));
    else
        done(nullptr);
}

std::optional<Secret> CallAttempt::pin() const {
    if (!settings_.pin.empty()) return settings_.pin;  // Connect's pin
    if (modem_.simPinFile.empty() || !services_.readSimPinFile) return std::nullopt;
    return services_.readSimPinFile(modem_.simPinFile);  // throws Error(SimPinRequired) for a bad file
}

// The check's ~9 AT exchanges (SIM, URCs on, three registration reads) cost about 0.5 s before
// pppd starts (bench/guest-connect-overhead). The live status has made the same reads and hears
// every change (+CPIN, +CEREG/+CGREG as URCs), so when it is listening and its answer is the
// check's "ready", asking again would only repeat it. Anything else (a PIN to enter, a
// network not there yet, an APN to look up, a port not held) goes through the check.
std::optional<std::string> CallAttempt::readyByLiveState() const {
    const LiveStatus* live = readiness_.atTurns ? readiness_.atTurns->holder() : nullptr;
    if (!live || live->phase() != LiveStatus::Phase::Listening || !settings_.apnGiven) return std::nullopt;
    if (live->state().sim != SimState::Ready) return std::nullopt;
    const Registration registration = live->dataRegistration();
    if (registration != Registration::Home && !(registration == Registration::Roaming && settings_.allowRoaming))
        return std::nullopt;
    return fmt::format("ready: SIM {}, registered {} (as the live status on {} last heard: no AT exchange)",
                       toString(live->state().sim), toString(registration), live->port());
}

Waiters CallAttempt::cancelCheck(std::string_view why) {
    Waiters waiting;
    if (!check_) return waiting;
    checkEnded_.reset();
    if (check_->running()) {
        // Started: a command of it may wait for its answer, which must not reach the next opener.
        // The check lingers, with the port and the turn, until that answer is in.
        holdsAtTurn_ = false;
        ModemReadiness& readiness = readiness_;
        Scheduler& scheduler = scheduler_;
        readiness.lingering = std::move(check_);
        readiness.lingering->abandon([&readiness, &scheduler] {
            scheduler.deferRelease(std::move(readiness.lingering));  // from inside its own callback
            if (readiness.atTurns) readiness.atTurns->giveBack();
            auto waiting = std::move(readiness.whenPortFree);
            readiness.whenPortFree.clear();
            for (auto& then : waiting) then();
        });
    } else {
        check_.reset();  // not started (waiting for its turn): `checked` is not called
        giveBackAtTurn();
    }
    note(fmt::format("readiness check cancelled: {}", why));
    waiting.adopt(checkWaiters_);
    return waiting;
}

void CallAttempt::checked(Readiness readiness, std::optional<Error> error) {
    check_.reset();
    CallSettings call = settings_;
    if (!error && readiness.apn) {
        const ProviderApn& entry = *readiness.apn;
        try {
            validateApn(entry.apn);
            call.apn = entry.apn;
            if (call.user.empty() && call.password.empty()) {  // the config's or Connect's win
                validateUser(entry.username);
                validatePassword(entry.password);
                call.user = entry.username;
                call.password = entry.password;
            }
        } catch (const Error& invalid) {
            error = Error(error_name::kApnRequired,
                          fmt::format("the provider database's entry is not usable: {}", invalid.what()));
        }
    }
    if (error) {
        const ExitReason reason = reasonForNotReady(error->name(), error->what());
        note(fmt::format("the call failed before pppd ran: {} {} ({})", reason.code, reason.name, error->what()));
        Waiters none;
        finish(reason, false, 0, 0, checkWaiters_, none, &*error);  // the Hangup's snapshot takes its turn first
        giveBackAtTurn();
        return;
    }
    giveBackAtTurn();
    std::vector<ModemProperty> changed;
    try {
        startCall(
            call, checkWaiters_, false, [](const Error*) {}, changed);
    } catch (const Error& failed) {
        note(fmt::format("the dial after the readiness check failed: {}", failed.what()));
        Waiters waiting;
        waiting.adopt(checkWaiters_);
        host_.attemptDialFailed(failed, waiting);
    }
}

void CallAttempt::startCall(const CallSettings& call, Waiters& waiting, bool wait, Completion done,
                            std::vector<ModemProperty>& changed) {
    // pppd treats a device path that does not exist as an unknown option (exit 2): say it plainly.
    host_.attemptCheckDevice(changed);
    auto newCall = std::make_unique<Call>(modem_.id, call, daemon_, scheduler_, log_.log(), log_.startedAt(),
                                          static_cast<CallHost&>(*this));
    // Open before pppd runs: the router advertisement's RDNSS is told to user space only once.
    std::unique_ptr<LinkOnline> online = startLinkOnline(call);
    newCall->start(runner_, modem_.device);  // throws Error(SpawnFailed); nothing changed yet
    call_ = std::move(newCall);
    call_->connectWaiters().adopt(waiting);
    online_ = std::move(online);
    {
        ScopedLogFields fields({message_id::kCallStarted, std::nullopt, {}});
        note(fmt::format("started pppd (pid {}) on {}, apn '{}', {}{}", call_->pid(), modem_.device, call.apn,
                         toString(call.ipFamily), redial_ ? fmt::format(", redial {}", redial_) : ""));
    }
    host_.attemptConnecting(call, changed);
    if (wait)
        call_->connectWaiters().add(std::move(done));
    else
        done(nullptr);
}

std::unique_ptr<LinkOnline> CallAttempt::startLinkOnline(const CallSettings& call) {
    auto online = std::make_unique<LinkOnline>(
        call, services_.online, [this](std::string_view line) { note(line); },
        [this] {
            host_.attemptChanged({ModemProperty::Dns, ModemProperty::IPv6Addresses, ModemProperty::DefaultRoute,
                                  ModemProperty::DnsBackend});
            if (watchdogAwaitsDns_ && call_ && !watchdog_) startWatchdog();
        },
        modem_.id);
    online->prepare();
    return online;
}

bool CallAttempt::stop(Call::StopCause cause) {
    if (!call_) return false;
    watchdog_.reset();
    watchdogAwaitsDns_ = false;  // the call is going down: nothing more to check
    return call_->stop(cause);
}

void CallAttempt::callNote(std::string_view line) { note(line); }

void CallAttempt::callKillEscalated() { host_.attemptLeftModuleSuspect(); }

void CallAttempt::callReport(const PluginReport& report) {
    switch (report.kind) {
        case PluginReport::Kind::Interface:
            if (online_) online_->interfaceKnown(report.ip.interface);
            break;
        case PluginReport::Kind::Ipv6Up:
            // The link is up once IPV6CP is when there is no IPCP; otherwise IPv4 decides.
            if (call_->settings().ipFamily == IpFamily::Ipv6 && ip_.interface.empty())
                linkUp(IpConfig{report.ip.interface, "", "", {}});
            break;
        case PluginReport::Kind::IpUp:
            linkUp(report.ip);
            break;
        case PluginReport::Kind::IpDown:
            watchdog_.reset();
            watchdogAwaitsDns_ = false;
            ip_ = {};
            connectedSinceUsec_ = 0;
            host_.attemptChanged({ModemProperty::Interface, ModemProperty::IPv4Address, ModemProperty::PeerAddress,
                                  ModemProperty::Dns, ModemProperty::ConnectedSince});
            break;
        default:
            break;  // the Call's own
    }
}

void CallAttempt::linkUp(const IpConfig& ip) {
    ip_ = ip;
    connectedSinceUsec_ = scheduler_.realtimeNowUsec();
    // "connected" once the route and DNS are in place: a Connect(wait) that returns means online.
    // The addresses go out with that State change, as subscribers have always had them.
    if (online_)
        online_->linkUp(ip_, [this] { linkOnline(); });
    else
        linkOnline();
}

void CallAttempt::linkOnline() {
    if (!host_.attemptOnline(ip_) || !call_) return;
    startWatchdog();
    call_->connectWaiters().finish(nullptr);
}

void CallAttempt::startWatchdog() {
    const ConnectivityCheckSettings& check = call_->settings().check;
    if (check.kind == CheckKind::None || !services_.prober || ip_.interface.empty()) return;
    std::vector<CheckTarget> targets = check.targets;
    if (targets.empty()) {  // the network's DNS servers: IPCP's, then the router advertisement's
        std::vector<std::string> servers = ip_.dns;
        if (online_)
            servers.insert(servers.end(), online_->state().dnsServers.begin(), online_->state().dnsServers.end());
        for (const std::string& server : servers) {
            std::optional<CheckTarget> target = parseCheckTarget(server, false);
            // A link-local server (fe80::/10) needs a scope the probe is not given: skipped.
            const bool linkLocal = target && target->family == AF_INET6 && target->address.size() >= 3 &&
                                   target->address.compare(0, 2, "fe") == 0 &&
                                   std::string_view("89ab").find(target->address[2]) != std::string_view::npos;
            if (target && !linkLocal && std::find(targets.begin(), targets.end(), *target) == targets.end())
                targets.push_back(*target);
        }
    }
    if (targets.empty() && call_->settings().ipFamily != IpFamily::Ipv4 && online_) {
        // An IPv6-only link has no IPCP servers: the router advertisement's RDNSS may come after
        // the link is online (it is sent when the router pleases); the check starts when it does.
        if (!watchdogAwaitsDns_)
            note(
                "connectivity check: no check-targets and no DNS servers yet: the check starts when the router "
                "advertisement gives some");
        watchdogAwaitsDns_ = true;
        return;
    }
    watchdogAwaitsDns_ = false;
    if (targets.empty()) {
        note("connectivity check: no check-targets and the network gave no DNS servers: this call is not checked");
        return;
    }
    watchdog_ = std::make_unique<ConnectivityWatchdog>(
        check, ip_.interface, std::move(targets), scheduler_, *services_.prober,
        [this](std::string_view line) { note(line); }, [this](const std::string& why) { connectivityLost(why); });
    watchdog_->onCheckFailed([this] { host_.attemptCheckFailed(); });
}

void CallAttempt::connectivityLost(const std::string& why) {
    note(why);
    scheduler_.deferRelease(std::move(watchdog_));  // its callback is running
    if (call_ && call_->stop(Call::StopCause::ConnectivityLost)) host_.attemptStopping();
}

bool CallAttempt::fallBackToIpv4(Call& ended, const ExitReason& reason, bool requested, bool deviceRemoved) {
    if (requested || deviceRemoved || ipv4FallbackDone_ || ended.settings().ipFamily != IpFamily::Ipv4v6 ||
        !ended.dialSent() || !isStatus(reason, PppdExitStatus::ConnectFailed))
        return false;
    ipv4FallbackDone_ = true;
    note(
        fmt::format("the activation failed right after ATD with an IPV4V6 context ({} {}): dialing again as IPv4 "
                    "only, as this Connect's ip-family",
                    reason.code, reason.name));
    CallSettings call = ended.settings();
    call.ipFamily = IpFamily::Ipv4;
    if (online_) online_->end();
    std::vector<ModemProperty> changed;
    try {
        startCall(
            call, ended.connectWaiters(), false, [](const Error*) {}, changed);  // the same Connects wait
        call_->exitWaiters().adopt(ended.exitWaiters());
    } catch (const Error& error) {
        note(fmt::format("the IPv4 dial could not start: {}", error.what()));
        return false;
    }
    return true;
}

void CallAttempt::callExited(ProcessExit exit) {
    // The runner is inside the Call's callback: free the Call (and its process) on a later turn.
    std::unique_ptr<Call> ended = std::move(call_);
    watchdog_.reset();
    watchdogAwaitsDns_ = false;
    EndFacts facts = ended->endFacts();
    host_.attemptEndFacts(facts);
    const CallEnd end = classifyCallEnd(exit, facts);
    if (end.leavesModuleSuspect) host_.attemptLeftModuleSuspect();
    for (const std::string& line : end.notes) note(line);

    const bool redialledAsIpv4 =
        !end.deviceGone && fallBackToIpv4(*ended, end.reason, end.requested, facts.deviceRemoved);
    const uint64_t bytesIn = ended->bytesIn(), bytesOut = ended->bytesOut();
    Waiters connectWaiters, exitWaiters;
    connectWaiters.adopt(ended->connectWaiters());
    exitWaiters.adopt(ended->exitWaiters());
    scheduler_.deferRelease(std::move(ended));
    if (redialledAsIpv4) return;
    finish(end.reason, end.requested, bytesIn, bytesOut, connectWaiters, exitWaiters);
}

void CallAttempt::endWithoutPppd(const ExitReason& reason, Waiters& connectWaiters) {
    note(fmt::format("the call failed before pppd ran: {} {} ({})", reason.code, reason.name, reason.description));
    Waiters none;
    finish(reason, false, 0, 0, connectWaiters, none);
}

void CallAttempt::finish(const ExitReason& reason, bool requested, uint64_t bytesIn, uint64_t bytesOut,
                         Waiters& connectWaiters, Waiters& exitWaiters, const Error* error) {
    const auto duration = log_.elapsed();
    {
        ScopedLogFields fields({message_id::kCallEnded, reason.code, reason.name});
        spdlog::info("[{}] call ended after {:.1f} s: {} {}", modem_.id,
                     std::chrono::duration<double>(duration).count(), reason.code, reason.name);
    }
    ip_ = {};
    connectedSinceUsec_ = 0;
    if (online_) online_->end();  // notes what it took away, before the log is closed
    AttemptEnd end;
    end.record.startedAtUsec = log_.startedAtRealtimeUsec();
    end.record.durationUsec = static_cast<uint64_t>(duration.count());
    end.record.bytesIn = bytesIn;
    end.record.bytesOut = bytesOut;
    end.record.reason = reason;
    end.record.requested = requested;
    end.error = requested ? Error(error_name::kCancelled, fmt::format("modem {}: the call was disconnected", modem_.id))
                          : Error(error_name::kCallFailed,
                                  fmt::format("{} {}: {}", reason.code, reason.name, reason.description));
    if (error) end.error = *error;
    end.connectWaiters.adopt(connectWaiters);
    end.exitWaiters.adopt(exitWaiters);
    host_.attemptEnded(std::move(end));
}

}  // namespace dialupd
