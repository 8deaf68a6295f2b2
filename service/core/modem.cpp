#include "modem.h"

#include <csignal>
#include <limits>
#include <memory>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "call_end.h"
#include "reconnect.h"

namespace dialupd {
namespace {

// An unplugged modem's tty hangs up at once and pppd exits within milliseconds; this long
// without an exit means pppd is stuck on a device that no longer exists.
constexpr std::chrono::seconds kRemovedDeviceGrace{2};

ModemServices withDefaults(ModemServices services, const DeviceExists& deviceExists) {
    if (!services.ttyExists) services.ttyExists = deviceExists;
    if (!services.random)
        services.random = [engine = std::make_shared<std::mt19937>(std::random_device{}())] {
            return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
        };
    return services;
}

}  // namespace

Modem::Modem(ModemConfig config, const DaemonSettings& daemon, PppdRunner& runner, Scheduler& scheduler,
             DeviceExists deviceExists, ModemServices services)
    : config_(std::move(config)),
      daemon_(daemon),
      runner_(runner),
      scheduler_(scheduler),
      deviceExists_(std::move(deviceExists)),
      services_(withDefaults(std::move(services), deviceExists_)),
      hangups_(config_, daemon_, scheduler_, services_, atTurns_,
               [this](const CallRecord& record) {
                   if (observer_)
                       observer_->modemHangup(record.reason, std::chrono::microseconds(record.durationUsec),
                                              record.text);
               }),
      log_(daemon.callLogBytes),
      recovery_(
          daemon_, scheduler_, services_, atTurns_, [this](std::string_view line) { note(line); },
          [this] { return RecoveryPorts{config_.device, config_.atPort, config_.usb.portPath}; },
          [this](ModemRecovery::Outcome outcome) { recoveryFinished(std::move(outcome)); },
          [this](std::function<void()> gone) { deviceRemoved(std::move(gone)); }),
      redialer_(
          scheduler_, services_.random, [this](std::string_view line) { note(line); }, [this] { redial(); }) {
    state_ = devicePresent() ? ModemState::Disconnected : ModemState::Unavailable;
    routeMetric_ = config_.call.routeMetric;
}

const OnlineState& Modem::online() const {
    static const OnlineState kNone;
    return online_ ? online_->state() : kNone;
}

Modem::~Modem() {
    atTurns_.setHolder(nullptr);  // the live status goes first (the last member)
}

void Modem::setLiveStatus(std::unique_ptr<LiveStatus> live) {
    atTurns_.setHolder(nullptr);
    live_ = std::move(live);
    atTurns_.setHolder(live_.get());
    if (live_) live_->setPort(livePort());
}

void Modem::connect(const CallOverrides& overrides, bool wait, Completion done) {
    refuseIfTheStateSaysSo(ModemRequest::Connect, state_, config_.id);
    // Merged and validated once: a redial, the dial after a recovery and the IPv4 fallback keep
    // these. A bad argument changes nothing, a pending redial included.
    CallSettings call = applyOverrides(config_.call, overrides);
    std::vector<ModemProperty> changed;
    redialer_.cancel(changed);
    try {
        beginCall(call, wait, std::move(done), changed);
    } catch (const Error&) {
        redialer_.forget();
        publish(changed);
        throw;
    }
}

void Modem::beginCall(const CallSettings& call, bool wait, Completion done, std::vector<ModemProperty>& changed) {
    startNewCallLog();
    ipv4FallbackDone_ = false;
    if (!suspect_ || !services_.atPorts || !devicePresent()) {
        Waiters none;
        startCall(call, none, wait, std::move(done), changed);
        return;
    }
    redialer_.remember(call);
    publish(changed);
    changed.clear();
    startRecovery(fmt::format("the last call ended abnormally ({} {}): checking the module before dialing",
                              lastExitReason_.code, lastExitReason_.name),
                  nullptr, call);
    if (wait)
        recovery_.connectWaiters().add(std::move(done));
    else
        done(nullptr);
}

void Modem::startNewCallLog() {
    log_.clear();
    startedAt_ = scheduler_.monotonicNow();
    startedAtRealtimeUsec_ = scheduler_.realtimeNowUsec();
}

void Modem::reset(ResetCompletion done) {
    refuseIfTheStateSaysSo(ModemRequest::Reset, state_, config_.id);
    if (!services_.atPorts) throw Error(error_name::kUnavailable, "this daemon has no AT port access for recovery");
    if (!devicePresent())
        throw Error(error_name::kUnavailable, fmt::format("modem {}: device {} is not there", config_.id,
                                                          config_.device));
    std::vector<ModemProperty> changed;
    redialer_.cancel(changed);
    publish(changed);
    startNewCallLog();
    startRecovery("Reset requested", std::move(done), std::nullopt);
}

void Modem::startRecovery(std::string why, ResetCompletion reset, std::optional<CallSettings> call) {
    note(why);
    recovery_.start(std::move(reset), std::move(call));
    std::vector<ModemProperty> changed;
    setState(ModemState::Resetting, changed);
    publish(changed);
}

void Modem::recoveryFinished(ModemRecovery::Outcome outcome) {
    const std::optional<std::string>& recoveredBy = outcome.recoveredBy;
    if (recoveredBy) suspect_ = false;
    std::vector<ModemProperty> changed;
    if (outcome.reset) {
        setState(devicePresent() ? ModemState::Disconnected : ModemState::Unavailable, changed);
        publish(changed);
        ResetResult result{recoveredBy.value_or(""), log_.text()};
        if (recoveredBy) {
            outcome.reset(nullptr, result);
        } else {
            Error failed(error_name::kRecoveryFailed,
                         fmt::format("modem {}: the module answered no recovery step (the steps are in the journal)",
                                     config_.id));
            outcome.reset(&failed, result);
        }
        if (recoveredBy)
            recovery_.awaitReattach();
        else
            recovery_.removeIfStillDetached();
        return;
    }
    CallSettings call = outcome.call.value_or(config_.call);
    if (!recoveredBy) {
        endAttemptWithoutPppd(reasonForUnresponsiveModule(), outcome.connectWaiters);
        recovery_.removeIfStillDetached();
        return;
    }
    recovery_.awaitReattach();
    try {
        startCall(call, outcome.connectWaiters, false, [](const Error*) {}, changed);
    } catch (const Error& error) {
        note(fmt::format("the dial after recovery failed: {}", error.what()));
        setState(devicePresent() ? ModemState::Disconnected : ModemState::Unavailable, changed);
        outcome.connectWaiters.finish(&error);
        redialer_.schedule(true, changed);
        publish(changed);
    }
}

void Modem::cancelRecovery(const Error& why) {
    if (!recovery_.running()) return;
    note(fmt::format("recovery cancelled: {}", why.what()));
    ModemRecovery::Outcome cancelled = recovery_.cancel();
    std::vector<ModemProperty> changed;
    setState(devicePresent() ? ModemState::Disconnected : ModemState::Unavailable, changed);
    publish(changed);
    cancelled.connectWaiters.finish(&why);
    if (cancelled.reset) cancelled.reset(&why, ResetResult{"", log_.text()});
    recovery_.removeIfStillDetached();
}

void Modem::startCall(const CallSettings& call, Waiters& waiting, bool wait, Completion done,
                      std::vector<ModemProperty>& changed) {
    // pppd treats a device path that does not exist as an unknown option (exit 2): say it plainly.
    if (!devicePresent()) {
        setState(ModemState::Unavailable, changed);
        publish(changed);
        changed.clear();
        throw Error(error_name::kUnavailable,
                    removed_ ? fmt::format("modem {} has been removed", config_.id)
                             : fmt::format("modem {}: device {} does not exist", config_.id, config_.device));
    }

    auto newCall = std::make_unique<Call>(config_.id, call, daemon_, scheduler_, log_, startedAt_,
                                          static_cast<CallHost&>(*this));
    // Open before pppd runs: the router advertisement's RDNSS is told to user space only once.
    std::unique_ptr<LinkOnline> online = startLinkOnline(call);
    newCall->start(runner_, config_.device);  // throws Error(SpawnFailed); nothing changed yet
    call_ = std::move(newCall);
    call_->connectWaiters().adopt(waiting);
    online_ = std::move(online);
    note(fmt::format("started pppd (pid {}) on {}, apn '{}', {}{}", call_->pid(), config_.device, call.apn,
                     toString(call.ipFamily),
                     redialer_.attempts() ? fmt::format(", redial {}", redialer_.attempts()) : ""));
    redialer_.remember(call);
    if (routeMetric_ != call.routeMetric) {
        routeMetric_ = call.routeMetric;
        changed.push_back(ModemProperty::RouteMetric);
    }

    setState(ModemState::Connecting, changed);
    publish(changed);
    if (wait)
        call_->connectWaiters().add(std::move(done));
    else
        done(nullptr);
}

std::unique_ptr<LinkOnline> Modem::startLinkOnline(const CallSettings& call) {
    auto online = std::make_unique<LinkOnline>(
        call, services_.online, [this](std::string_view line) { note(line); },
        [this] {
            publish({ModemProperty::Dns, ModemProperty::IPv6Addresses, ModemProperty::DefaultRoute,
                     ModemProperty::DnsBackend});
        });
    online->prepare();
    return online;
}

void Modem::redial() {
    std::vector<ModemProperty> changed = {ModemProperty::NextReconnect};
    if (!redialer_.plan() || call_ || recovery_.running()) {
        publish(changed);
        return;
    }
    try {
        CallSettings call = *redialer_.plan();
        beginCall(call, false, [](const Error*) {}, changed);
    } catch (const Error& error) {
        // No pppd ran (the tty is missing, say): that counts as an attempt, and the next follows.
        spdlog::warn("[{}] redial {} failed: {}", config_.id, redialer_.attempts(), error.what());
        redialer_.schedule(true, changed);
        publish(changed);
    }
}

void Modem::disconnect(Completion done) {
    if (state_ == ModemState::Resetting) {
        std::vector<ModemProperty> changed;
        redialer_.cancel(changed);
        publish(changed);
        cancelRecovery(Error(error_name::kCancelled, fmt::format("modem {}: Disconnect was called", config_.id)));
        done(nullptr);
        return;
    }
    if (!call_ && redialer_.timerPending()) {
        std::vector<ModemProperty> changed;
        redialer_.cancel(changed);
        spdlog::info("[{}] Disconnect: the pending redial is cancelled", config_.id);
        publish(changed);
        done(nullptr);
        return;
    }
    refuseIfTheStateSaysSo(ModemRequest::Disconnect, state_, config_.id);
    call_->exitWaiters().add(std::move(done));
    requestStop(Call::StopCause::Requested);
}

void Modem::stop(std::function<void()> stopped) {
    std::vector<ModemProperty> changed;
    redialer_.cancel(changed);  // shutting down: no more calls
    publish(changed);
    cancelRecovery(Error(error_name::kCancelled, "dialupd is stopping"));
    if (!call_) {
        hangups_.whenNoneLeft(std::move(stopped));  // a Hangup on its way still goes out
        return;
    }
    stopWaiters_.push_back(std::move(stopped));
    requestStop(Call::StopCause::Requested);
}

void Modem::deviceRemoved(std::function<void()> gone) {
    removed_ = true;
    cancelRecovery(Error(error_name::kUnavailable, fmt::format("modem {} has been removed", config_.id)));
    if (!call_) {
        std::vector<ModemProperty> changed;
        redialer_.cancel(changed);
        setState(ModemState::Unavailable, changed);
        publish(changed);
        hangups_.whenNoneLeft(std::move(gone));
        return;
    }
    removalWaiters_.push_back(std::move(gone));
    note(fmt::format("the modem's device {} was removed during the call", config_.device));
    if (!call_->stopRequested()) removalTimer_ = scheduler_.after(kRemovedDeviceGrace, [this] { stopAfterRemoval(); });
}

void Modem::stopAfterRemoval() {
    removalTimer_.reset();
    if (!call_ || call_->stopRequested()) return;
    note(fmt::format("pppd still runs {} s after its device went away: stopping it", kRemovedDeviceGrace.count()));
    requestStop(Call::StopCause::DeviceRemoved);
}

void Modem::deviceDetachedDuringReset(std::function<void()> gone) {
    note(fmt::format("the modem port {} went away during the recovery (the module re-enumerates); waiting for it",
                     config_.device));
    recovery_.detached(std::move(gone));
}

void Modem::deviceReattached(std::string device, std::string atPort) {
    recovery_.reattached();
    note(fmt::format("the module is back: modem port {}, AT port {}", device, atPort.empty() ? "none" : atPort));
    if (device != config_.device) {
        config_.device = std::move(device);
        publish({ModemProperty::Device});
    }
    setAtPort(std::move(atPort));
    if (live_) live_->setPort(livePort());  // the same name as before: read the module again
}

void Modem::markSuspect(std::string_view why) {
    suspect_ = true;
    spdlog::warn("[{}] {}: the module will be checked before the next dial", config_.id, why);
}

void Modem::setAtPort(std::string atPort) {
    if (atPort == config_.atPort) return;
    config_.atPort = std::move(atPort);
    if (live_) live_->setPort(livePort());
    publish({ModemProperty::AtPort});
}

void Modem::requestStop(Call::StopCause cause) {
    if (!call_->stop(cause)) return;
    std::vector<ModemProperty> changed;
    setState(ModemState::Disconnecting, changed);
    publish(changed);
}

void Modem::callNote(std::string_view line) { note(line); }

void Modem::callKillEscalated() { suspect_ = true; }

void Modem::callReport(const PluginReport& report) {
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
        ip_ = {};
        connectedSinceUsec_ = 0;
        publish({ModemProperty::Interface, ModemProperty::IPv4Address, ModemProperty::PeerAddress,
                 ModemProperty::Dns, ModemProperty::ConnectedSince});
        break;
    default:
        break;  // the Call's own
    }
}

void Modem::linkUp(const IpConfig& ip) {
    ip_ = ip;
    connectedSinceUsec_ = scheduler_.realtimeNowUsec();
    // "connected" once the route and DNS are in place: a Connect(wait) that returns means online.
    // The addresses go out with that State change, as subscribers have always had them.
    if (online_)
        online_->linkUp(ip_, [this] { linkOnline(); });
    else
        linkOnline();
}

void Modem::linkOnline() {
    std::vector<ModemProperty> changed = {ModemProperty::Interface,     ModemProperty::IPv4Address,
                                          ModemProperty::PeerAddress,   ModemProperty::Dns,
                                          ModemProperty::ConnectedSince, ModemProperty::DefaultRoute,
                                          ModemProperty::DnsBackend,    ModemProperty::IPv6Addresses};
    redialer_.linkUp(changed);
    // A link that comes up while we are tearing it down stays "disconnecting".
    if (state_ == ModemState::Connecting) setState(ModemState::Connected, changed);
    spdlog::info("[{}] connected: {} {} peer {}", config_.id, ip_.interface, ip_.localAddress, ip_.peerAddress);
    publish(changed);
    if (state_ == ModemState::Connected && call_) call_->connectWaiters().finish(nullptr);
}

bool Modem::fallBackToIpv4(Call& ended, const ExitReason& reason, bool requested) {
    if (requested || removed_ || ipv4FallbackDone_ || ended.settings().ipFamily != IpFamily::Ipv4v6 || !ended.dialSent() ||
        !isStatus(reason, PppdExitStatus::ConnectFailed))
        return false;
    ipv4FallbackDone_ = true;
    note(fmt::format("the activation failed right after ATD with an IPV4V6 context ({} {}): dialing again as IPv4 "
                     "only, as this Connect's ip-family",
                     reason.code, reason.name));
    CallSettings call = ended.settings();
    call.ipFamily = IpFamily::Ipv4;
    if (online_) online_->end();
    std::vector<ModemProperty> changed;
    try {
        startCall(call, ended.connectWaiters(), false, [](const Error*) {}, changed);  // the same Connects wait
        call_->exitWaiters().adopt(ended.exitWaiters());
    } catch (const Error& error) {
        note(fmt::format("the IPv4 dial could not start: {}", error.what()));
        return false;
    }
    return true;
}

void Modem::callExited(ProcessExit exit) {
    removalTimer_.reset();
    // The runner is inside the Call's callback: free the Call (and its process) on a later turn.
    std::unique_ptr<Call> ended = std::move(call_);
    EndFacts facts = ended->endFacts();
    facts.deviceRemoved = removed_;
    facts.ttyGone = !removed_ && !services_.ttyExists(config_.device);
    facts.device = config_.device;
    facts.moduleAlreadySuspect = suspect_;
    const CallEnd end = classifyCallEnd(exit, facts);
    if (end.leavesModuleSuspect) suspect_ = true;
    for (const std::string& line : end.notes) note(line);
    const ExitReason& reason = end.reason;
    const bool requested = end.requested;

    const bool redialledAsIpv4 = !end.deviceGone && fallBackToIpv4(*ended, reason, requested);
    const uint64_t bytesIn = ended->bytesIn(), bytesOut = ended->bytesOut();
    Waiters connectWaiters, exitWaiters;
    connectWaiters.adopt(ended->connectWaiters());
    exitWaiters.adopt(ended->exitWaiters());
    scheduler_.deferRelease(std::move(ended));
    if (redialledAsIpv4) return;
    concludeCall(reason, requested, bytesIn, bytesOut, connectWaiters);
    exitWaiters.finish(nullptr);
    auto stopWaiters = std::move(stopWaiters_);
    stopWaiters_.clear();
    for (auto& stopped : stopWaiters) hangups_.whenNoneLeft(std::move(stopped));
    auto removalWaiters = std::move(removalWaiters_);
    removalWaiters_.clear();
    for (auto& gone : removalWaiters) hangups_.whenNoneLeft(std::move(gone));
}

void Modem::endAttemptWithoutPppd(ExitReason reason, Waiters& connectWaiters) {
    note(fmt::format("the call failed before pppd ran: {} {} ({})", reason.code, reason.name, reason.description));
    concludeCall(reason, false, 0, 0, connectWaiters);
}

void Modem::concludeCall(const ExitReason& reason, bool requested, uint64_t bytesIn, uint64_t bytesOut,
                         Waiters& connectWaiters) {
    auto duration = scheduler_.monotonicNow() - startedAt_;
    spdlog::info("[{}] call ended after {:.1f} s: {} {}", config_.id,
                 std::chrono::duration<double>(duration).count(), reason.code, reason.name);
    lastExitReason_ = reason;
    ip_ = {};
    connectedSinceUsec_ = 0;
    if (online_) online_->end();  // notes what it took away, before the log is closed
    CallRecord record;
    record.startedAtUsec = startedAtRealtimeUsec_;
    record.durationUsec = static_cast<uint64_t>(duration.count());
    record.bytesIn = bytesIn;
    record.bytesOut = bytesOut;
    record.reason = reason;
    record.requested = requested;
    lastCall_ = record;
    std::vector<ModemProperty> changed = {ModemProperty::LastExitReason, ModemProperty::Interface,
                                          ModemProperty::IPv4Address,    ModemProperty::PeerAddress,
                                          ModemProperty::Dns,            ModemProperty::ConnectedSince,
                                          ModemProperty::LastCallDuration, ModemProperty::LastCallBytesIn,
                                          ModemProperty::LastCallBytesOut, ModemProperty::DefaultRoute,
                                          ModemProperty::IPv6Addresses, ModemProperty::DnsBackend};
    setState(devicePresent() ? ModemState::Disconnected : ModemState::Unavailable, changed);
    if (requested || removed_)
        redialer_.cancel(changed);
    else
        redialer_.schedule(redialCanHelp(reason), changed);
    // State and LastExitReason go out now; the Hangup follows once the AT snapshot is done.
    publish(changed);
    record.text = HangupReporter::withSummary(config_, record, log_.text());

    if (requested) {
        Error cancelled(error_name::kCancelled, fmt::format("modem {}: the call was disconnected", config_.id));
        connectWaiters.finish(&cancelled);
        hangups_.keep(record);
    } else {
        Error failed(error_name::kCallFailed,
                     fmt::format("{} {}: {}", reason.code, reason.name, reason.description));
        connectWaiters.finish(&failed);
        hangups_.report(std::move(record));
    }
}

void Modem::recheckDevice() {
    if (removed_ || (state_ != ModemState::Unavailable && state_ != ModemState::Disconnected)) return;
    const bool present = devicePresent();
    // Back, or its AT port back (the two nodes come one after the other): a live status that
    // lost its port opens it again (a no-op while it holds it).
    if (present && live_) live_->setPort(livePort());
    if (present == (state_ == ModemState::Disconnected)) return;
    spdlog::info("[{}] {} {}", config_.id, config_.device, present ? "is there now" : "is gone: unavailable");
    std::vector<ModemProperty> changed;
    setState(present ? ModemState::Disconnected : ModemState::Unavailable, changed);
    publish(changed);
}

std::vector<CallRecord> Modem::callLogs(size_t last) const {
    // 0 asks for everything kept: the store bounds that (call-logs-kept, and what one reply carries).
    if (last == 0) last = std::numeric_limits<size_t>::max();
    return services_.callLogs ? services_.callLogs->load(config_.id, last) : std::vector<CallRecord>{};
}

void Modem::setState(ModemState state, std::vector<ModemProperty>& changed) {
    if (state == state_) return;
    if (const ModemTransition* transition = findTransition(state_, state))
        spdlog::debug("[{}] state {} -> {}: {}", config_.id, toString(state_), toString(state), transition->why);
    else
        spdlog::error("[{}] bug: state {} -> {} is not in the transition table (modem_states.h)", config_.id,
                      toString(state_), toString(state));
    state_ = state;
    changed.push_back(ModemProperty::State);
}

void Modem::publish(const std::vector<ModemProperty>& changed) {
    if (observer_ && !changed.empty()) observer_->modemPropertiesChanged(changed);
}

void Modem::note(std::string_view line) {
    spdlog::info("[{}] {}", config_.id, line);
    log_.append(secondsSinceStart(), "dialupd", line);
}

double Modem::secondsSinceStart() const {
    return std::chrono::duration<double>(scheduler_.monotonicNow() - startedAt_).count();
}

}  // namespace dialupd
