#include "modem.h"

#include <csignal>
#include <limits>
#include <memory>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

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
          [this](std::function<void()> gone) { deviceRemoved(std::move(gone)); }),
      redialer_(
          scheduler_, services_.random, [this](std::string_view line) { note(line); }, [this] { redial(); }) {
    readiness_.atTurns = &atTurns_;
    state_ = devicePresent() ? ModemState::Disconnected : ModemState::Unavailable;
    routeMetric_ = config_.call.routeMetric;
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
    // The last attempt may still be on the stack (a Connect answered from its end): freed later.
    scheduler_.deferRelease(std::move(attempt_));
    attempt_ = std::make_unique<CallAttempt>(config_, call, daemon_, runner_, scheduler_, services_, readiness_,
                                             redialer_.attempts(), static_cast<AttemptHost&>(*this));
    log_ = &attempt_->log();
    if (!suspect_ || !services_.atPorts || !devicePresent()) {
        Waiters none;
        attempt_->start(none, wait, std::move(done), changed);
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
    // A restarted module may hold another SIM (or the same, with its tries counted afresh).
    if (recoveredBy == "reboot" || recoveredBy == "usb-reset") readiness_.failedPins.clear();
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
        attempt_->start(
            outcome.connectWaiters, false, [](const Error*) {}, changed);
    } catch (const Error& error) {
        note(fmt::format("the dial after recovery failed: {}", error.what()));
        attemptDialFailed(error, outcome.connectWaiters);
    }
}

void Modem::attemptDialFailed(const Error& error, Waiters& connectWaiters) {
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
    if (!callRunning() && redialer_.timerPending()) {
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
    // A link that comes up while we are tearing it down stays "disconnecting".
    if (state_ == ModemState::Connecting) setState(ModemState::Connected, changed);
    spdlog::info("[{}] connected: {} {} peer {}", config_.id, ip.interface, ip.localAddress, ip.peerAddress);
    publish(changed);
    return state_ == ModemState::Connected;
}

void Modem::attemptEnded(AttemptEnd end) {
    removalTimer_.reset();
    CallRecord record = std::move(end.record);
    const ExitReason& reason = record.reason;
    lastExitReason_ = reason;
    lastCall_ = record;
    std::vector<ModemProperty> changed(std::begin(kCallEndProperties), std::end(kCallEndProperties));
    settle(changed);
    if (record.requested || removed_)
        redialer_.cancel(changed);
    else
        redialer_.schedule(
            redialCanHelp(reason), changed,
            isSimReason(reason) ? "a redial cannot fix a PIN or a SIM" : "trying again cannot mend this");
    // State and LastExitReason go out now; the Hangup follows once the AT snapshot is done.
    publish(changed);
    const std::string log = attempt_->log().text();  // a Connect answered below may start the next attempt
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
}

void Modem::note(std::string_view line) {
    if (log_)
        log_->note(line);
    else
        spdlog::info("[{}] {}", config_.id, line);
}

}  // namespace dialupd
