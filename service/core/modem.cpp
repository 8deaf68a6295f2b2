#include "modem.h"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>
#include <limits>
#include <memory>
#include <random>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "call_end.h"
#include "reconnect.h"

namespace dialupd {
namespace {

// An unplugged modem's tty hangs up at once and pppd exits within milliseconds; this long
// without an exit means pppd is stuck on a device that no longer exists.
constexpr std::chrono::seconds kRemovedDeviceGrace{2};
// After a recovery that re-enumerated the module: how long its udev add event may lag.
constexpr std::chrono::seconds kReattachGrace{10};

}  // namespace

std::string_view toString(ModemState state) {
    switch (state) {
    case ModemState::Unavailable: return "unavailable";
    case ModemState::Disconnected: return "disconnected";
    case ModemState::Connecting: return "connecting";
    case ModemState::Connected: return "connected";
    case ModemState::Disconnecting: return "disconnecting";
    case ModemState::Resetting: return "resetting";
    }
    return "unknown";
}

Modem::Modem(ModemConfig config, const DaemonSettings& daemon, PppdRunner& runner, Scheduler& scheduler,
             DeviceExists deviceExists)
    : config_(std::move(config)),
      daemon_(daemon),
      runner_(runner),
      scheduler_(scheduler),
      deviceExists_(std::move(deviceExists)),
      ttyExists_(deviceExists_),
      log_(daemon.callLogBytes),
      random_([engine = std::make_shared<std::mt19937>(std::random_device{}())] {
          return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
      }) {
    state_ = devicePresent() ? ModemState::Disconnected : ModemState::Unavailable;
    routeMetric_ = config_.call.routeMetric;
}

const OnlineState& Modem::online() const {
    static const OnlineState kNone;
    return online_ ? online_->state() : kNone;
}

Modem::~Modem() = default;

void Modem::setLiveStatus(std::unique_ptr<LiveStatus> live) {
    live_ = std::move(live);
    if (live_) live_->setPort(livePort());
}

void Modem::connect(const CallOverrides& overrides, bool wait, Completion done) {
    switch (state_) {
    case ModemState::Connecting:
    case ModemState::Connected:
        throw Error(error_name::kAlreadyConnected,
                    fmt::format("modem {} is already {}", config_.id, toString(state_)));
    case ModemState::Disconnecting:
        throw Error(error_name::kBusy, fmt::format("modem {} is still ending its previous call", config_.id));
    case ModemState::Resetting:
        throw Error(error_name::kBusy, fmt::format("modem {} is resetting its module", config_.id));
    case ModemState::Unavailable:
    case ModemState::Disconnected:
        break;
    }
    // Merged and validated once: a redial, the dial after a recovery and the IPv4 fallback keep
    // these. A bad argument changes nothing, a pending redial included.
    CallSettings call = applyOverrides(config_.call, overrides);
    std::vector<ModemProperty> changed;
    cancelRedial(changed);
    try {
        beginCall(call, wait, std::move(done), changed);
    } catch (const Error&) {
        redialWith_.reset();
        publish(changed);
        throw;
    }
}

void Modem::beginCall(const CallSettings& call, bool wait, Completion done, std::vector<ModemProperty>& changed) {
    startNewCallLog();
    ipv4FallbackDone_ = false;
    if (!suspect_ || !atPorts_ || !devicePresent()) {
        startCall(call, wait, std::move(done), changed);
        return;
    }
    rememberForRedial(call);
    callAfterRecovery_ = call;
    publish(changed);
    changed.clear();
    startRecovery(fmt::format("the last call ended abnormally ({} {}): checking the module before dialing",
                              lastExitReason_.code, lastExitReason_.name));
    if (wait)
        connectWaiters_.push_back(std::move(done));
    else
        done(nullptr);
}

void Modem::rememberForRedial(const CallSettings& call) {
    if (!call.reconnect.enabled.value_or(false)) return;
    redialWith_ = call;
    redialSettings_ = call.reconnect;
}

void Modem::startNewCallLog() {
    log_.clear();
    startedAt_ = scheduler_.monotonicNow();
    startedAtRealtimeUsec_ = scheduler_.realtimeNowUsec();
}

void Modem::reset(ResetCompletion done) {
    if (recovery_) throw Error(error_name::kBusy, fmt::format("modem {} is already resetting", config_.id));
    if (call_)
        throw Error(error_name::kBusy,
                    fmt::format("modem {} has a call ({}): Disconnect it first", config_.id, toString(state_)));
    if (!atPorts_) throw Error(error_name::kUnavailable, "this daemon has no AT port access for recovery");
    if (!devicePresent())
        throw Error(error_name::kUnavailable, fmt::format("modem {}: device {} is not there", config_.id,
                                                          config_.device));
    std::vector<ModemProperty> changed;
    cancelRedial(changed);
    publish(changed);
    resetDone_ = std::move(done);
    startNewCallLog();
    startRecovery("Reset requested");
}

void Modem::startRecovery(std::string why) {
    note(why);
    RecoveryLimits limits;
    limits.rebootWait = daemon_.recoveryWait;
    recovery_ = std::make_unique<ModuleRecovery>(*atPorts_, scheduler_, usbResetter_, limits,
                                                 [this](std::string_view line) { note(line); });
    std::vector<ModemProperty> changed;
    setState(ModemState::Resetting, changed);
    publish(changed);
    auto begin = [this, which = recovery_.get()] {
        if (recovery_.get() != which) return;  // cancelled while the live status let the port go
        recovery_->start([this] { return RecoveryPorts{config_.device, config_.atPort, config_.usb.portPath}; },
                         [this](std::optional<std::string> recoveredBy) { recoveryFinished(std::move(recoveredBy)); });
    };
    if (live_)
        live_->suspend(std::move(begin));  // the recovery uses the AT port too; resumed when it ends
    else
        begin();
}

void Modem::recoveryFinished(std::optional<std::string> recoveredBy) {
    recovery_.reset();  // called from the loop, not from inside the recovery
    if (live_) live_->resume();
    if (recoveredBy) suspect_ = false;
    std::vector<ModemProperty> changed;
    if (resetDone_) {
        setState(devicePresent() ? ModemState::Disconnected : ModemState::Unavailable, changed);
        publish(changed);
        ResetCompletion done = std::move(resetDone_);
        resetDone_ = nullptr;
        ResetResult result{recoveredBy.value_or(""), log_.text()};
        if (recoveredBy) {
            done(nullptr, result);
        } else {
            Error failed(error_name::kRecoveryFailed,
                         fmt::format("modem {}: the module answered no recovery step (the steps are in the journal)",
                                     config_.id));
            done(&failed, result);
        }
        if (recoveredBy)
            awaitReattach();
        else
            removeIfStillDetached();
        return;
    }
    CallSettings call = callAfterRecovery_.value_or(config_.call);
    callAfterRecovery_.reset();
    if (!recoveredBy) {
        endAttemptWithoutPppd(reasonForUnresponsiveModule());
        removeIfStillDetached();
        return;
    }
    awaitReattach();
    try {
        startCall(call, false, [](const Error*) {}, changed);  // the waiters are already in connectWaiters_
    } catch (const Error& error) {
        note(fmt::format("the dial after recovery failed: {}", error.what()));
        setState(devicePresent() ? ModemState::Disconnected : ModemState::Unavailable, changed);
        finishWaiters(connectWaiters_, &error);
        scheduleRedial(true, changed);
        publish(changed);
    }
}

void Modem::cancelRecovery(const Error& why) {
    if (!recovery_) return;
    note(fmt::format("recovery cancelled: {}", why.what()));
    recovery_.reset();
    if (live_) live_->resume();
    callAfterRecovery_.reset();
    std::vector<ModemProperty> changed;
    setState(devicePresent() ? ModemState::Disconnected : ModemState::Unavailable, changed);
    publish(changed);
    finishWaiters(connectWaiters_, &why);
    if (resetDone_) {
        ResetCompletion done = std::move(resetDone_);
        resetDone_ = nullptr;
        done(&why, ResetResult{"", log_.text()});
    }
    removeIfStillDetached();
}

void Modem::startCall(const CallSettings& call, bool wait, Completion done, std::vector<ModemProperty>& changed) {
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
    online_ = std::move(online);
    note(fmt::format("started pppd (pid {}) on {}, apn '{}', {}{}", call_->pid(), config_.device, call.apn,
                     toString(call.ipFamily), redialAttempts_ ? fmt::format(", redial {}", redialAttempts_) : ""));
    rememberForRedial(call);
    if (routeMetric_ != call.routeMetric) {
        routeMetric_ = call.routeMetric;
        changed.push_back(ModemProperty::RouteMetric);
    }

    setState(ModemState::Connecting, changed);
    publish(changed);
    if (wait)
        connectWaiters_.push_back(std::move(done));
    else
        done(nullptr);
}

std::unique_ptr<LinkOnline> Modem::startLinkOnline(const CallSettings& call) {
    auto online = std::make_unique<LinkOnline>(
        call, onlineServices_, [this](std::string_view line) { note(line); },
        [this] {
            publish({ModemProperty::Dns, ModemProperty::IPv6Addresses, ModemProperty::DefaultRoute,
                     ModemProperty::DnsBackend});
        });
    online->prepare();
    return online;
}

void Modem::scheduleRedial(bool canHelp, std::vector<ModemProperty>& changed) {
    if (!redialWith_) return;
    if (!canHelp) {
        note("no redial: trying again cannot mend this");
        redialWith_.reset();
        return;
    }
    if (redialSettings_.maxAttempts != 0 && redialAttempts_ >= redialSettings_.maxAttempts) {
        note(fmt::format("no redial: {} in a row did not bring the link up (reconnect-attempts)", redialAttempts_));
        redialWith_.reset();
        return;
    }
    ++redialAttempts_;
    auto delay = reconnectDelay(redialSettings_, redialAttempts_, random_());
    nextRedialUsec_ = scheduler_.realtimeNowUsec() + static_cast<uint64_t>(delay.count());
    redialTimer_ = scheduler_.after(delay, [this] { redial(); });
    note(fmt::format("redial {} in {:.1f} s", redialAttempts_, std::chrono::duration<double>(delay).count()));
    changed.push_back(ModemProperty::ReconnectAttempts);
    changed.push_back(ModemProperty::NextReconnect);
}

void Modem::redial() {
    redialTimer_.reset();
    nextRedialUsec_ = 0;
    std::vector<ModemProperty> changed = {ModemProperty::NextReconnect};
    if (!redialWith_ || call_ || recovery_) {
        publish(changed);
        return;
    }
    try {
        beginCall(*redialWith_, false, [](const Error*) {}, changed);
    } catch (const Error& error) {
        // No pppd ran (the tty is missing, say): that counts as an attempt, and the next follows.
        spdlog::warn("[{}] redial {} failed: {}", config_.id, redialAttempts_, error.what());
        scheduleRedial(true, changed);
        publish(changed);
    }
}

void Modem::cancelRedial(std::vector<ModemProperty>& changed) {
    redialWith_.reset();
    redialTimer_.reset();
    if (nextRedialUsec_ != 0) {
        nextRedialUsec_ = 0;
        changed.push_back(ModemProperty::NextReconnect);
    }
    if (redialAttempts_ != 0) {
        redialAttempts_ = 0;
        changed.push_back(ModemProperty::ReconnectAttempts);
    }
}

void Modem::disconnect(Completion done) {
    if (recovery_) {
        std::vector<ModemProperty> changed;
        cancelRedial(changed);
        publish(changed);
        cancelRecovery(Error(error_name::kCancelled, fmt::format("modem {}: Disconnect was called", config_.id)));
        done(nullptr);
        return;
    }
    if (!call_ && redialTimer_) {
        std::vector<ModemProperty> changed;
        cancelRedial(changed);
        spdlog::info("[{}] Disconnect: the pending redial is cancelled", config_.id);
        publish(changed);
        done(nullptr);
        return;
    }
    if (!call_)
        throw Error(error_name::kNotConnected,
                    fmt::format("modem {} has no call to end (state {})", config_.id, toString(state_)));
    disconnectWaiters_.push_back(std::move(done));
    requestStop(Call::StopCause::Requested);
}

void Modem::stop(std::function<void()> stopped) {
    std::vector<ModemProperty> changed;
    cancelRedial(changed);  // shutting down: no more calls
    publish(changed);
    cancelRecovery(Error(error_name::kCancelled, "dialupd is stopping"));
    if (!call_) {
        whenNoHangupPending(std::move(stopped));  // a Hangup on its way still goes out
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
        cancelRedial(changed);
        setState(ModemState::Unavailable, changed);
        publish(changed);
        whenNoHangupPending(std::move(gone));
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
    detachedGone_ = std::move(gone);
}

void Modem::deviceReattached(std::string device, std::string atPort) {
    detachedGone_ = nullptr;
    reattachTimer_.reset();
    note(fmt::format("the module is back: modem port {}, AT port {}", device, atPort.empty() ? "none" : atPort));
    if (device != config_.device) {
        config_.device = std::move(device);
        publish({ModemProperty::Device});
    }
    setAtPort(std::move(atPort));
    if (live_) live_->setPort(livePort());  // the same name as before: read the module again
}

void Modem::awaitReattach() {
    // The tty node can answer before udev's add event for it is in: give the event time.
    if (!detachedGone_) return;
    note(fmt::format("the module answers; waiting up to {} s for udev to announce it again", kReattachGrace.count()));
    reattachTimer_ = scheduler_.after(kReattachGrace, [this] {
        reattachTimer_.reset();
        removeIfStillDetached();
    });
}

void Modem::removeIfStillDetached() {
    if (!detachedGone_) return;
    note("the module did not come back on USB: the modem is removed");
    auto gone = std::move(detachedGone_);
    detachedGone_ = nullptr;
    deviceRemoved(std::move(gone));
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
    std::vector<ModemProperty> changed;
    switch (report.kind) {
    case PluginReport::Kind::Phase:
        log_.append(secondsSinceStart(), "plugin", "phase " + report.phase);
        break;
    case PluginReport::Kind::Interface:
        // The ppp unit exists; no NCP is up yet.
        log_.append(secondsSinceStart(), "plugin", "interface " + report.ip.interface);
        if (online_) online_->interfaceKnown(report.ip.interface);
        break;
    case PluginReport::Kind::Ipv6Up:
        log_.append(secondsSinceStart(), "plugin", "ipv6-up " + report.ip.interface);
        // The link is up once IPV6CP is when there is no IPCP; otherwise IPv4 decides.
        if (call_->settings().ipFamily == IpFamily::Ipv6 && ip_.interface.empty()) linkUp(IpConfig{report.ip.interface, "", "", {}});
        break;
    case PluginReport::Kind::Ipv6Sysctl:
        logIpv6Sysctl(report.ip.interface, report.sysctl);
        break;
    case PluginReport::Kind::IpUp:
        log_.append(secondsSinceStart(), "plugin",
                    fmt::format("ip-up {} local {} peer {}", report.ip.interface, report.ip.localAddress,
                                report.ip.peerAddress));
        linkUp(report.ip);
        break;
    case PluginReport::Kind::IpDown:
        log_.append(secondsSinceStart(), "plugin", "ip-down");
        ip_ = {};
        connectedSinceUsec_ = 0;
        publish({ModemProperty::Interface, ModemProperty::IPv4Address, ModemProperty::PeerAddress,
                 ModemProperty::Dns, ModemProperty::ConnectedSince});
        break;
    case PluginReport::Kind::Cause:
    case PluginReport::Kind::Stats:
    case PluginReport::Kind::Exit:
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
    if (redialAttempts_ != 0) {  // the link is back: the next trouble starts the backoff afresh
        redialAttempts_ = 0;
        changed.push_back(ModemProperty::ReconnectAttempts);
    }
    // A link that comes up while we are tearing it down stays "disconnecting".
    if (state_ == ModemState::Connecting) setState(ModemState::Connected, changed);
    spdlog::info("[{}] connected: {} {} peer {}", config_.id, ip_.interface, ip_.localAddress, ip_.peerAddress);
    publish(changed);
    if (state_ == ModemState::Connected) finishWaiters(connectWaiters_, nullptr);
}

bool Modem::fallBackToIpv4(const Call& ended, const ExitReason& reason, bool requested) {
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
        startCall(call, false, [](const Error*) {}, changed);  // the waiters stay in connectWaiters_
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
    facts.ttyGone = !removed_ && !ttyExists_(config_.device);
    facts.device = config_.device;
    facts.moduleAlreadySuspect = suspect_;
    const CallEnd end = classifyCallEnd(exit, facts);
    if (end.leavesModuleSuspect) suspect_ = true;
    for (const std::string& line : end.notes) note(line);
    const ExitReason& reason = end.reason;
    const bool requested = end.requested;

    const bool redialledAsIpv4 = !end.deviceGone && fallBackToIpv4(*ended, reason, requested);
    const uint64_t bytesIn = ended->bytesIn(), bytesOut = ended->bytesOut();
    scheduler_.deferRelease(std::move(ended));
    if (redialledAsIpv4) return;
    concludeCall(reason, requested, bytesIn, bytesOut);
    finishWaiters(disconnectWaiters_, nullptr);
    auto stopWaiters = std::move(stopWaiters_);
    stopWaiters_.clear();
    for (auto& stopped : stopWaiters) whenNoHangupPending(std::move(stopped));
    auto removalWaiters = std::move(removalWaiters_);
    removalWaiters_.clear();
    for (auto& gone : removalWaiters) whenNoHangupPending(std::move(gone));
}

void Modem::endAttemptWithoutPppd(ExitReason reason) {
    note(fmt::format("the call failed before pppd ran: {} {} ({})", reason.code, reason.name, reason.description));
    concludeCall(reason, false, 0, 0);
}

void Modem::concludeCall(const ExitReason& reason, bool requested, uint64_t bytesIn, uint64_t bytesOut) {
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
        cancelRedial(changed);
    else
        scheduleRedial(redialCanHelp(reason), changed);
    // State and LastExitReason go out now; the Hangup follows once the AT snapshot is done.
    publish(changed);
    record.text = callSummary(record) + "== pppd, chat and dialupd ==\n" + log_.text();

    if (requested) {
        Error cancelled(error_name::kCancelled, fmt::format("modem {}: the call was disconnected", config_.id));
        finishWaiters(connectWaiters_, &cancelled);
        if (callLogs_) callLogs_->save(config_.id, record);
    } else {
        Error failed(error_name::kCallFailed,
                     fmt::format("{} {}: {}", reason.code, reason.name, reason.description));
        finishWaiters(connectWaiters_, &failed);
        reportHangup(std::move(record));
    }
}

std::string Modem::callSummary(const CallRecord& record) const {
    std::string identity = config_.usb.vendorId.empty()
                               ? "fixed port"
                               : fmt::format("{} {}:{} at usb {}", config_.usb.model, config_.usb.vendorId,
                                             config_.usb.productId, config_.usb.portPath);
    auto started = static_cast<std::time_t>(record.startedAtUsec / 1'000'000);
    return fmt::format("== call ==\n"
                       "modem: {} ({}), device {}\n"
                       "started: {:%Y-%m-%d %H:%M:%S} UTC, lasted {:.1f} s\n"
                       "ended: {} {}: {}{}\n"
                       "traffic: {} bytes in, {} bytes out\n",
                       config_.id, identity, config_.device, fmt::gmtime(started),
                       static_cast<double>(record.durationUsec) / 1e6, record.reason.code, record.reason.name,
                       record.reason.description, record.requested ? " (requested)" : "", record.bytesIn,
                       record.bytesOut);
}

void Modem::reportHangup(CallRecord record) {
    const std::string& port = config_.atPort;
    std::string unavailable;
    if (!atPorts_) unavailable = "no AT diagnostics in this daemon";
    else if (port.empty()) unavailable = "no AT port known for this modem";
    else if (port == config_.device) unavailable = "the AT port is the PPP port: not asked";
    if (!unavailable.empty()) {
        record.text += "== AT snapshot ==\n" + unavailable + "\n";
        finishHangup(nullptr, std::move(record));
        return;
    }
    spdlog::info("[{}] asking the module why the call ended (AT snapshot on {})", config_.id, port);
    auto snapshot = std::make_unique<AtSnapshot>(
        *atPorts_, scheduler_, AtSnapshotLimits{daemon_.diagnosticsTimeout, daemon_.diagnosticsCommandTimeout});
    AtSnapshot* raw = snapshot.get();
    pendingHangups_.push_back(std::move(snapshot));
    auto start = [this, raw, port, record = std::move(record)]() mutable {
        raw->start(port, [this, raw, record = std::move(record)](std::string section) mutable {
            record.text += section;
            finishHangup(raw, std::move(record));
        });
    };
    if (live_)
        live_->suspend(std::move(start));  // the port is the snapshot's once free; resumed in finishHangup
    else
        start();
}

void Modem::finishHangup(AtSnapshot* snapshot, CallRecord record) {
    if (snapshot && live_) live_->resume();  // the snapshot has let the port go
    if (callLogs_) callLogs_->save(config_.id, record);
    if (observer_)
        observer_->modemHangup(record.reason, std::chrono::microseconds(record.durationUsec), record.text);
    if (snapshot) {
        // Called from the snapshot's own completion: free it on a later turn.
        auto owned = std::find_if(pendingHangups_.begin(), pendingHangups_.end(),
                                  [&](const auto& pending) { return pending.get() == snapshot; });
        if (owned != pendingHangups_.end()) {
            scheduler_.deferRelease(std::move(*owned));
            pendingHangups_.erase(owned);
        }
    }
    if (hangupPending()) return;
    auto waiting = std::move(afterHangups_);
    afterHangups_.clear();
    for (auto& then : waiting) then();
}

void Modem::whenNoHangupPending(std::function<void()> then) {
    if (hangupPending())
        afterHangups_.push_back(std::move(then));
    else
        then();
}

void Modem::recheckDevice() {
    if (removed_ || (state_ != ModemState::Unavailable && state_ != ModemState::Disconnected)) return;
    const bool present = devicePresent();
    if (present == (state_ == ModemState::Disconnected)) return;
    spdlog::info("[{}] {} {}", config_.id, config_.device, present ? "is there now" : "is gone: unavailable");
    std::vector<ModemProperty> changed;
    setState(present ? ModemState::Disconnected : ModemState::Unavailable, changed);
    publish(changed);
    if (present && live_) live_->setPort(livePort());  // back: its AT port may be too
}

std::vector<CallRecord> Modem::callLogs(size_t last) const {
    // 0 asks for everything kept: the store bounds that (call-logs-kept, and what one reply carries).
    if (last == 0) last = std::numeric_limits<size_t>::max();
    return callLogs_ ? callLogs_->load(config_.id, last) : std::vector<CallRecord>{};
}

void Modem::setState(ModemState state, std::vector<ModemProperty>& changed) {
    if (state == state_) return;
    spdlog::debug("[{}] state {} -> {}", config_.id, toString(state_), toString(state));
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

// What the plugin made of the router advertisement's sysctls (pppd_command.cpp says why each).
void Modem::logIpv6Sysctl(const std::string& ifname, const Ipv6Sysctl& sysctl) {
    std::string where = fmt::format("/proc/sys/net/ipv6/conf/{}/{}", ifname, sysctl.name);
    switch (sysctl.outcome) {
    case Ipv6Sysctl::Outcome::Ok:
        log_.append(secondsSinceStart(), "plugin", fmt::format("{} = {}", where, sysctl.value));
        break;
    case Ipv6Sysctl::Outcome::Absent:
        // ra_defrtr_metric came with Linux 5.12: before it, the RA's default route has the
        // kernel's metric (1024).
        note(fmt::format("{} does not exist (an older kernel, or no IPv6): not set to {}", where, sysctl.value));
        break;
    case Ipv6Sysctl::Outcome::Failed:
        spdlog::warn("[{}] pppd plugin cannot set {} to {}: {}", config_.id, where, sysctl.value,
                     std::strerror(sysctl.error));
        log_.append(secondsSinceStart(), "plugin",
                    fmt::format("cannot set {} to {}: {}", where, sysctl.value, std::strerror(sysctl.error)));
        break;
    }
}

double Modem::secondsSinceStart() const {
    return std::chrono::duration<double>(scheduler_.monotonicNow() - startedAt_).count();
}

void Modem::finishWaiters(std::vector<Completion>& waiters, const Error* error) {
    auto pending = std::move(waiters);
    waiters.clear();
    for (auto& done : pending) done(error);
}

}  // namespace dialupd
