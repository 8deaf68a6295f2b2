// SPDX-License-Identifier: GPL-2.0-or-later
#include "modem.h"

#include <algorithm>
#include <csignal>
#include <limits>
#include <memory>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "log_fields.h"
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
      recovery_(
          daemon_, scheduler_, services_, atTurns_, [this](std::string_view line) { note(line); },
          [this] {
              return RecoveryPorts{config_.device, config_.atPort, config_.usb.portPath};
          },
          [this](ModemRecovery::Outcome outcome) { recoveryFinished(std::move(outcome)); },
          [this](std::function<void()> gone) { deviceRemoved(std::move(gone)); },
          [this](std::function<void()> then) { hangups_.whenNoneLeft(std::move(then)); }),
      redialer_(
          scheduler_, services_.random, [this](std::string_view line) { note(line); }, [this] { redial(); }),
      counters_(config_.id, config_.call.dataPlan, services_.dataClock, services_.counters) {
    readiness_.atTurns = &atTurns_;
    counters_.load(scheduler_.realtimeNowUsec());
    counters_.setChanged([this] { statsChanged(); });
    state_ = devicePresent() ? ModemState::Disconnected : ModemState::Unavailable;
    routeMetric_ = config_.call.routeMetric;
    if (config_.dmLog && services_.dmPorts)
        dm_ = std::make_unique<DmRecorder>(
            DmRecorderSettings{config_.dmPort, static_cast<size_t>(config_.dmLogSize), config_.dmMaskCommands},
            *services_.dmPorts, scheduler_);
}

const OnlineState& Modem::online() const {
    static const OnlineState kNone;
    return attempt_ ? attempt_->online() : kNone;
}

const IpConfig& Modem::ip() const {
    static const IpConfig kNone;
    return attempt_ ? attempt_->ip() : kNone;
}

Modem::~Modem() {
    atTurns_.setHolder(nullptr);  // the live status goes first (the last member)
}

void Modem::setLiveStatus(std::unique_ptr<LiveStatus> live) {
    atTurns_.setHolder(nullptr);
    live_ = std::move(live);
    atTurns_.setHolder(live_.get());
    if (!live_) return;
    live_->setDataRegistrationWatch([this](Registration now) { dataRegistrationChanged(now); });
    live_->setPort(livePort());
}

void Modem::connect(const CallOverrides& overrides, bool wait, Completion done) {
    refuseIfTheStateSaysSo(ModemRequest::Connect, state_, config_.id);
    refuseAtDataLimit();
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
    // The last attempt may still be on the stack (a Connect answered from its end): freed later.
    scheduler_.deferRelease(std::move(attempt_));
    counters_.callStarted(scheduler_.realtimeNowUsec());
    attempt_ = std::make_unique<CallAttempt>(config_, call, daemon_, runner_, scheduler_, services_, readiness_,
                                             redialer_.attempts(), static_cast<AttemptHost&>(*this));
    log_ = &attempt_->log();
    attemptWentOnline_ = false;
    const bool escalate = pendingEscalation_ != EscalationStep::None;
    if ((!suspect_ && !escalate) || !services_.atPorts || !devicePresent()) {
        Waiters none;
        startDmLog();
        attempt_->start(none, wait, std::move(done), changed);
        return;
    }
    redialer_.remember(call);
    publish(changed);
    changed.clear();
    if (escalate) {
        // Stronger than the check a suspect module gets: it covers that too.
        const EscalationStep step = pendingEscalation_;
        pendingEscalation_ = EscalationStep::None;
        escalation_.ran(scheduler_.monotonicNow());
        const auto from = step == EscalationStep::Restart    ? ModuleRecovery::Rung::Reboot
                          : step == EscalationStep::UsbReset ? ModuleRecovery::Rung::UsbReset
                                                             : ModuleRecovery::Rung::PowerCycle;
        startRecovery(fmt::format("escalation: {} after {} failed dials in a row, before dialing", toString(step),
                                  escalation_.failures()),
                      nullptr, call, from);
    } else {
        startRecovery(fmt::format("the last call ended abnormally ({} {}): checking the module before dialing",
                                  lastExitReason_.code, lastExitReason_.name),
                      nullptr, call);
    }
    if (wait)
        recovery_.connectWaiters().add(std::move(done));
    else
        done(nullptr);
}

void Modem::reset(ResetCompletion done) {
    refuseIfTheStateSaysSo(ModemRequest::Reset, state_, config_.id);
    if (!services_.atPorts) throw Error(error_name::kUnavailable, "this daemon has no AT port access for recovery");
    if (!devicePresent())
        throw Error(error_name::kUnavailable,
                    fmt::format("modem {}: device {} is not there", config_.id, config_.device));
    cancelRedial();
    resetLog_ = std::make_unique<AttemptLog>(config_.id, scheduler_, daemon_.callLogBytes);
    log_ = resetLog_.get();
    startRecovery("Reset requested", std::move(done), std::nullopt);
}

void Modem::startRecovery(std::string why, ResetCompletion reset, std::optional<CallSettings> call,
                          ModuleRecovery::Rung from) {
    {
        ScopedLogFields fields({message_id::kRecovery,
                                reset ? std::nullopt : std::optional<uint32_t>(lastExitReason_.code),
                                reset ? std::string_view() : std::string_view(lastExitReason_.name)});
        note(why);
    }
    recovery_.start(std::move(reset), std::move(call), from);
    std::vector<ModemProperty> changed;
    setState(ModemState::Resetting, changed);
    publish(changed);
}

void Modem::recoveryFinished(ModemRecovery::Outcome outcome) {
    const std::optional<std::string>& recoveredBy = outcome.recoveredBy;
    counters_.recovered(recoveredBy.value_or("failed"), scheduler_.realtimeNowUsec());
    if (recoveredBy) suspect_ = false;
    // A restarted module may hold another SIM (or the same, with its tries counted afresh).
    if (recoveredBy == "reboot" || recoveredBy == "usb-reset" || recoveredBy == "power-cycle")
        readiness_.failedPins.clear();
    std::vector<ModemProperty> changed;
    if (outcome.reset) {
        settle(changed);
        publish(changed);
        ResetResult result{recoveredBy.value_or(""), log_ ? log_->text() : ""};
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
    if (!recoveredBy) {
        attempt_->endWithoutPppd(reasonForUnresponsiveModule(), outcome.connectWaiters);
        recovery_.removeIfStillDetached();
        return;
    }
    recovery_.awaitReattach();
    try {
        startDmLog();
        attempt_->start(
            outcome.connectWaiters, false, [](const Error*) {}, changed);
    } catch (const Error& error) {
        note(fmt::format("the dial after recovery failed: {}", error.what()));
        attemptDialFailed(error, outcome.connectWaiters);
    }
}

void Modem::attemptDialFailed(const Error& error, Waiters& connectWaiters) {
    stopDmLog();
    std::vector<ModemProperty> changed;
    settle(changed);
    connectWaiters.finish(&error);
    redialer_.schedule(true, changed);
    publish(changed);
}

void Modem::cancelRecovery(const Error& why) {
    if (!recovery_.running()) return;
    note(fmt::format("recovery cancelled: {}", why.what()));
    ModemRecovery::Outcome cancelled = recovery_.cancel();
    std::vector<ModemProperty> changed;
    settle(changed);
    publish(changed);
    cancelled.connectWaiters.finish(&why);
    if (cancelled.reset) cancelled.reset(&why, ResetResult{"", log_ ? log_->text() : ""});
    recovery_.removeIfStillDetached();
}

void Modem::cancelBeforeDial(const Error& why) {
    cancelRecovery(why);
    if (!attempt_ || !attempt_->checking()) return;
    Waiters waiting = attempt_->cancelCheck(why.what());
    stopDmLog();
    std::vector<ModemProperty> changed;
    settle(changed);
    publish(changed);
    waiting.finish(&why);
}

void Modem::redial() {
    std::vector<ModemProperty> changed = {ModemProperty::NextReconnect};
    if (!redialer_.plan() || callRunning() || recovery_.running() || (attempt_ && attempt_->checking())) {
        publish(changed);
        return;
    }
    counters_.rollOver(scheduler_.realtimeNowUsec());
    if (counters_.limitReached()) {
        // A redial that fell due in a full period (an end whose bytes reached the limit, or a
        // wall clock set back while waiting for the next period): it waits for the next.
        waitForNextDataPeriod(changed);
        publish(changed);
        return;
    }
    try {
        CallSettings call = *redialer_.plan();
        beginCall(
            call, false, [](const Error*) {}, changed);
    } catch (const Error& error) {
        // No pppd ran (the tty is missing, say): that counts as an attempt, and the next follows.
        spdlog::warn("[{}] redial {} failed: {}", config_.id, redialer_.attempts(), error.what());
        redialer_.schedule(true, changed);
        publish(changed);
    }
}

void Modem::disconnect(Completion done) {
    if (state_ == ModemState::Resetting || (attempt_ && attempt_->checking())) {
        // Answered as a Disconnect during the dial is: the Connects waiting are told it was.
        cancelRedial();
        cancelBeforeDial(Error(
            error_name::kCancelled,
            fmt::format("modem {}: {}", config_.id,
                        state_ == ModemState::Resetting ? "Disconnect was called" : "the call was disconnected")));
        done(nullptr);
        return;
    }
    if (!callRunning() && redialer_.pending()) {
        std::vector<ModemProperty> changed;
        redialer_.cancel(changed);
        spdlog::info("[{}] Disconnect: the pending redial is cancelled", config_.id);
        publish(changed);
        done(nullptr);
        return;
    }
    refuseIfTheStateSaysSo(ModemRequest::Disconnect, state_, config_.id);
    attempt_->call()->exitWaiters().add(std::move(done));
    requestStop(Call::StopCause::Requested);
}

void Modem::stop(std::function<void()> stopped) {
    cancelRedial();  // shutting down: no more calls
    cancelBeforeDial(Error(error_name::kCancelled, "dialupd is stopping"));
    if (!callRunning()) {
        hangups_.whenNoneLeft(std::move(stopped));  // a Hangup on its way still goes out
        return;
    }
    stopWaiters_.push_back(std::move(stopped));
    requestStop(Call::StopCause::Requested);
}

void Modem::deviceRemoved(std::function<void()> gone) {
    removed_ = true;
    cancelBeforeDial(Error(error_name::kUnavailable, fmt::format("modem {} has been removed", config_.id)));
    if (!callRunning()) {
        std::vector<ModemProperty> changed;
        redialer_.cancel(changed);
        setState(ModemState::Unavailable, changed);
        publish(changed);
        hangups_.whenNoneLeft(std::move(gone));
        return;
    }
    removalWaiters_.push_back(std::move(gone));
    note(fmt::format("the modem's device {} was removed during the call", config_.device));
    if (!attempt_->call()->stopRequested())
        removalTimer_ = scheduler_.after(kRemovedDeviceGrace, [this] { stopAfterRemoval(); });
}

void Modem::stopAfterRemoval() {
    removalTimer_.reset();
    if (!callRunning() || attempt_->call()->stopRequested()) return;
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
    readiness_.failedPins.clear();  // the module restarted or was re-plugged: maybe another SIM
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

void Modem::setDmPort(std::string dmPort) {
    config_.dmPort = std::move(dmPort);
    if (dm_) dm_->setPort(config_.dmPort);
}

void Modem::startDmLog() {
    if (!dm_) return;
    if (!dm_->running() && attempt_) dmWindowUsec_ = attempt_->log().startedAtRealtimeUsec();  // start() begins afresh
    dm_->start();
    dmActive_ = true;
}

void Modem::stopDmLog() {
    if (!dm_) return;
    dm_->stop();
    dmActive_ = false;
}

std::string Modem::freezeDmLog(CallRecord& record, std::string& log) {
    if (!dm_ || !dmActive_) return {};
    DmLogFreeze frozen = dm_->freeze();
    stopDmLog();  // no call is up now; a redial starts it afresh
    std::string savedAs;
    std::string why;
    if (frozen.hasLog()) {
        if (services_.callLogs)
            savedAs = services_.callLogs->saveDmLog(config_.id, record.startedAtUsec, frozen.qmdl, why);
        else
            why = "no call logs are kept";
    }
    std::string cause = dmNetworkCauseSummary(frozen);
    if (!cause.empty()) {
        record.reason.description += "; " + cause;
        spdlog::info("[{}] {}", config_.id, cause);
    }
    log += "== DM log ==\n" + describeDmLog(frozen, savedAs, why);
    if (!frozen.cause || *frozen.cause >= frozen.sessionEnds.size()) return {};
    const NasSessionEnd& stated = frozen.sessionEnds[*frozen.cause];
    return networkEndWaitsForRegistration(stated) ? nasCauseSummary(stated) : std::string();
}

void Modem::waitForRegistration(const std::string& cause, ExitReason& reason, std::vector<ModemProperty>& changed) {
    if (!redialer_.plan()) return;  // no redial was planned: nothing waits
    if (!live_ || live_->port().empty()) {
        redialer_.schedule(true, changed);
        note(
            fmt::format("the network's {} says no redial helps before the module is registered again, but without "
                        "a live status on an AT port dialupd cannot see that: the redial keeps its backoff",
                        cause));
        return;
    }
    const std::string why = fmt::format("redial waits for the network to register the module again ({})", cause);
    if (redialer_.waitForEvent(changed, why)) reason.description += "; " + why;
}

void Modem::dataRegistrationChanged(Registration now) {
    if (!redialer_.waitingForEvent()) return;
    if (now != Registration::Home && now != Registration::Roaming) return;
    note(fmt::format("the module is registered again ({}): redialing", toString(now)));
    std::vector<ModemProperty> changed;
    redialer_.eventCame(changed);
    publish(changed);
}

void Modem::requestStop(Call::StopCause cause) {
    if (!attempt_->stop(cause)) return;
    std::vector<ModemProperty> changed;
    setState(ModemState::Disconnecting, changed);
    publish(changed);
}

void Modem::attemptLeftModuleSuspect() { suspect_ = true; }

void Modem::attemptEndFacts(EndFacts& facts) {
    facts.deviceRemoved = removed_;
    facts.ttyGone = !removed_ && !services_.ttyExists(config_.device);
    facts.device = config_.device;
    facts.moduleAlreadySuspect = suspect_;
}

void Modem::attemptCheckDevice(std::vector<ModemProperty>& changed) {
    if (devicePresent()) return;
    setState(ModemState::Unavailable, changed);
    publish(changed);
    changed.clear();
    throw Error(error_name::kUnavailable,
                removed_ ? fmt::format("modem {} has been removed", config_.id)
                         : fmt::format("modem {}: device {} does not exist", config_.id, config_.device));
}

void Modem::attemptConnecting(const CallSettings& call, std::vector<ModemProperty>& changed) {
    redialer_.remember(call);
    if (routeMetric_ != call.routeMetric) {
        routeMetric_ = call.routeMetric;
        changed.push_back(ModemProperty::RouteMetric);
    }
    setState(ModemState::Connecting, changed);
    publish(changed);
}

void Modem::attemptChanged(const std::vector<ModemProperty>& changed) { publish(changed); }

bool Modem::attemptOnline(const IpConfig& ip) {
    std::vector<ModemProperty> changed(std::begin(kLinkProperties), std::end(kLinkProperties));
    redialer_.linkUp(changed);
    attemptWentOnline_ = true;
    escalation_.linkUp();
    pendingEscalation_ = EscalationStep::None;
    // A link that comes up while we are tearing it down stays "disconnecting".
    if (state_ == ModemState::Connecting) setState(ModemState::Connected, changed);
    {
        ScopedLogFields fields({message_id::kCallUp, std::nullopt, {}});
        spdlog::info("[{}] connected: {} {} peer {}", config_.id, ip.interface, ip.localAddress, ip.peerAddress);
    }
    publish(changed);
    if (state_ != ModemState::Connected) return false;
    counters_.callUp(scheduler_.realtimeNowUsec());
    if (config_.call.dataPlan.limitBytes != 0 && services_.linkBytes)
        limitTimer_ = scheduler_.after(kDataLimitCheckInterval, [this] { checkDataLimit(); });
    return true;
}

void Modem::attemptStopping() {
    std::vector<ModemProperty> changed;
    setState(ModemState::Disconnecting, changed);
    publish(changed);
}

void Modem::attemptEnded(AttemptEnd end) {
    removalTimer_.reset();
    limitTimer_.reset();
    CallRecord record = std::move(end.record);
    std::string dmLog;
    const std::string waitCause = freezeDmLog(record, dmLog);
    ExitReason& reason = record.reason;
    // pppd's own counts are 32 bits: past 4 GiB the interface's, when last read, are the larger.
    counters_.callEnded(reason.code, std::max(record.bytesIn, lastLive_.in), std::max(record.bytesOut, lastLive_.out),
                        scheduler_.realtimeNowUsec());
    lastLive_ = {};
    std::vector<ModemProperty> changed(std::begin(kCallEndProperties), std::end(kCallEndProperties));
    settle(changed);
    if (!record.requested && !removed_ && !attemptWentOnline_) countFailedDial(reason);
    if (record.requested || removed_)
        redialer_.cancel(changed);
    else if (reason.code == kDataLimitCode)
        waitForNextDataPeriod(changed);  // a link kept up by redial comes back when the period rolls over
    else if (!waitCause.empty() && redialCanHelp(reason))
        waitForRegistration(waitCause, reason, changed);
    else
        redialer_.schedule(
            redialCanHelp(reason), changed,
            isSimReason(reason) ? "a redial cannot fix a PIN or a SIM" : "trying again cannot mend this");
    lastExitReason_ = reason;  // its description may say what the redial waits for
    lastCall_ = record;
    // State and LastExitReason go out now; the Hangup follows once the AT snapshot is done.
    publish(changed);
    const std::string log = attempt_->log().text() + dmLog;  // a Connect answered below may start the next attempt
    end.connectWaiters.finish(&end.error);
    hangups_.finished(std::move(record), log);
    end.exitWaiters.finish(nullptr);
    auto stopWaiters = std::move(stopWaiters_);
    stopWaiters_.clear();
    for (auto& stopped : stopWaiters) hangups_.whenNoneLeft(std::move(stopped));
    auto removalWaiters = std::move(removalWaiters_);
    removalWaiters_.clear();
    for (auto& gone : removalWaiters) hangups_.whenNoneLeft(std::move(gone));
}

EscalationMeans Modem::escalationMeans() const {
    EscalationMeans means;
    if (!services_.atPorts) return means;  // the ladder needs the ports
    means.restart = !config_.atPort.empty() && config_.atPort != config_.device;
    means.usbReset = services_.usbResetter && !config_.usb.portPath.empty();
    means.powerCycle = services_.commands && !config_.call.escalation.powerCycleCommand.empty();
    return means;
}

void Modem::countFailedDial(const ExitReason& reason) {
    // What no restart mends (a wrong password, the SIM needing a person) counts for nothing.
    if (!redialCanHelp(reason)) return;
    EscalationDecision decision =
        escalation_.dialFailed(config_.call.escalation, escalationMeans(), scheduler_.monotonicNow());
    if (!decision.why.empty()) note(decision.why);
    if (decision.step != EscalationStep::None) pendingEscalation_ = decision.step;
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

DmLogSaved Modem::saveDiagnosticLog() const {
    DmLogSaved saved = saveDmLogNow(config_.id, config_.dmLog, dm_.get(), dmWindowUsec_, services_.callLogs);
    spdlog::info("[{}] DM log saved on request: {} ({} frames, {} bytes)", config_.id, saved.path, saved.frames,
                 saved.bytes);
    return saved;
}

OpenedDmLog Modem::openDiagnosticLog(uint64_t startedAtUsec) const {
    return openKeptDmLog(config_.id, startedAtUsec, services_.callLogs);
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

void Modem::settle(std::vector<ModemProperty>& changed) {
    setState(devicePresent() ? ModemState::Disconnected : ModemState::Unavailable, changed);
}

void Modem::cancelRedial() {
    std::vector<ModemProperty> changed;
    redialer_.cancel(changed);
    publish(changed);
}

void Modem::publish(const std::vector<ModemProperty>& changed) {
    if (observer_ && !changed.empty()) observer_->modemPropertiesChanged(changed);
    if (std::find(changed.begin(), changed.end(), ModemProperty::State) != changed.end()) statsChanged();
}

void Modem::statsChanged() {
    if (services_.statsChanged) services_.statsChanged();
}

std::optional<LinkBytes> Modem::liveBytes() const {
    if (!callRunning() || !services_.linkBytes) return std::nullopt;
    const std::string& interface = ip().interface;
    if (interface.empty()) return std::nullopt;
    return services_.linkBytes(interface);
}

ModemStatistics Modem::statistics(bool withLive) const {
    ModemStatistics statistics;
    statistics.counters = counters_.counters();
    statistics.plan = counters_.plan();
    const uint64_t now = scheduler_.realtimeNowUsec();
    statistics.period = counters_.period(now);
    if (withLive) statistics.live = liveBytes();
    const LinkBytes live = statistics.live.value_or(LinkBytes{});
    // A period that began since the book last looked counts from zero (the book rolls over at
    // its next event).
    if (statistics.period.startDay == statistics.counters.periodStartDay) {
        statistics.periodBytesIn = counters_.periodBytesIn(live.in);
        statistics.periodBytesOut = counters_.periodBytesOut(live.out);
        statistics.limitReached = counters_.limitReached(live.in, live.out);
    }
    return statistics;
}

void Modem::watchdogFailed() { counters_.watchdogFailed(scheduler_.realtimeNowUsec()); }

void Modem::refuseAtDataLimit() {
    counters_.rollOver(scheduler_.realtimeNowUsec());
    if (!counters_.limitReached()) return;
    throw Error(error_name::kDataLimitReached,
                fmt::format("modem {}: the data period that began on {} has carried {} bytes, its data-limit is {} "
                            "bytes: no call until the next period",
                            config_.id, counters_.counters().periodStartDay,
                            counters_.periodBytesIn() + counters_.periodBytesOut(), counters_.plan().limitBytes));
}

void Modem::waitForNextDataPeriod(std::vector<ModemProperty>& changed) {
    const uint64_t now = scheduler_.realtimeNowUsec();
    const DataPeriod period = counters_.period(now);
    // A second into the next period: the redial's rollover then surely finds it begun.
    const uint64_t due = period.endUsec + 1'000'000;
    redialer_.waitUntil(
        due, std::chrono::microseconds(due > now ? due - now : 0), changed,
        fmt::format("this data period's traffic has reached the data-limit; the next period begins on {}",
                    counters_.period(period.endUsec).startDay));
}

bool Modem::redialAtNextDataPeriod(const CallOverrides& overrides) {
    counters_.rollOver(scheduler_.realtimeNowUsec());
    if (!counters_.limitReached() || callRunning() || recovery_.running()) return false;
    std::vector<ModemProperty> changed;
    redialer_.cancel(changed);
    redialer_.remember(applyOverrides(config_.call, overrides));
    if (!redialer_.plan()) return false;
    waitForNextDataPeriod(changed);
    publish(changed);
    return true;
}

void Modem::checkDataLimit() {
    limitTimer_.reset();
    if (!callRunning()) return;
    if (std::optional<LinkBytes> live = liveBytes()) lastLive_ = *live;
    counters_.rollOver(scheduler_.realtimeNowUsec(), lastLive_.in, lastLive_.out);
    if (counters_.limitReached(lastLive_.in, lastLive_.out)) {
        note(fmt::format(
            "this data period's traffic reached the data-limit ({} bytes in, {} out; data-limit {} bytes): ending "
            "the call",
            counters_.periodBytesIn(lastLive_.in), counters_.periodBytesOut(lastLive_.out),
            counters_.plan().limitBytes));
        requestStop(Call::StopCause::DataLimit);
        return;
    }
    limitTimer_ = scheduler_.after(kDataLimitCheckInterval, [this] { checkDataLimit(); });
}

void Modem::note(std::string_view line) {
    if (log_)
        log_->note(line);
    else
        spdlog::info("[{}] {}", config_.id, line);
}

}  // namespace dialupd
