#include "call.h"

#include <csignal>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "auth_dump.h"
#include "pppd_command.h"
#include "secret.h"
#include "text.h"

namespace dialupd {

Call::Call(std::string modemId, CallSettings settings, const DaemonSettings& daemon, Scheduler& scheduler,
           CallLog& log, std::chrono::microseconds logStartedAt, CallHost& host)
    : modemId_(std::move(modemId)),
      settings_(std::move(settings)),
      daemon_(daemon),
      scheduler_(scheduler),
      log_(log),
      logStartedAt_(logStartedAt),
      host_(host) {}

Call::~Call() = default;

void Call::start(PppdRunner& runner, const std::string& device) {
    PppdCommandInput input{modemId_, device, settings_};
    WipeOnExit wipeInput(input.call.password);
    PppdLaunch launch = buildPppdLaunch(daemon_, input);
    WipeOnExit wipeLaunch(launch.secret);  // pppd has it in its pipe once start returns
    process_ = runner.start(launch, *this);
}

bool Call::stop(StopCause cause) {
    if (stopRequested_) return false;  // already on its way down; the kill timer is running
    stopRequested_ = true;
    stoppedForRemoval_ = cause == StopCause::DeviceRemoved;
    host_.callNote(fmt::format("stop requested: SIGTERM to pppd, SIGKILL in {} s if it has not exited",
                               daemon_.stopTimeout.count()));
    process_->sendSignal(SIGTERM);
    killTimer_ = scheduler_.after(daemon_.stopTimeout, [this] { escalateToKill(); });
    return true;
}

void Call::escalateToKill() {
    killTimer_.reset();
    killEscalated_ = true;
    host_.callKillEscalated();
    host_.callNote(fmt::format("pppd did not exit within {} s of SIGTERM: sending SIGKILL; the module may be left in "
                               "data mode",
                               daemon_.stopTimeout.count()));
    spdlog::warn("[{}] pppd (pid {}) ignored SIGTERM for {} s, killed; module marked suspect", modemId_,
                 process_->pid(), daemon_.stopTimeout.count());
    process_->sendSignal(SIGKILL);
}

EndFacts Call::endFacts() const {
    EndFacts facts;
    facts.stopRequested = stopRequested_;
    facts.stoppedForRemoval = stoppedForRemoval_;
    facts.killEscalated = killEscalated_;
    facts.terminationCause = terminationCause_;
    facts.fatalSignal = fatalSignal_;
    return facts;
}

void Call::pppdLogLine(std::string_view line) {
    // pppd's last word when it crashes: which signal, for the exit reason (it then exits 127).
    constexpr std::string_view kFatal = "Fatal signal ";
    if (line.starts_with(kFatal)) {
        int signal = 0;
        for (char c : line.substr(kFatal.size())) {
            if (c < '0' || c > '9' || signal > 1000) break;
            signal = signal * 10 + (c - '0');
        }
        if (signal > 0) fatalSignal_ = signal;
    }
    // pppd's and chat's text enters the core here. The password is never searched for (that
    // would mark where it equals other text, the APN say): the fields of pppd's auth packet
    // dumps that can hold it are hidden where they are, on the bytes as they came; then the
    // line is made clean text.
    std::string clean = sanitizeText(hideAuthSecrets(line));
    // chat -v: "send (ATD*99#^M)". A failure after it is the network's answer to the activation.
    if (clean.find("send (ATD") != std::string::npos) dialSent_ = true;
    spdlog::debug("[{}] pppd: {}", modemId_, clean);
    log_.append(secondsSinceStart(), "pppd", clean);
}

void Call::pppdReport(const PluginReport& report) {
    switch (report.kind) {
    case PluginReport::Kind::Cause:
        log_.append(secondsSinceStart(), "plugin", fmt::format("link going down, pppd status {}", report.exitStatus));
        if (!terminationCause_) terminationCause_ = report.exitStatus;
        return;
    case PluginReport::Kind::Stats:
        bytesIn_ = report.bytesIn;
        bytesOut_ = report.bytesOut;
        log_.append(secondsSinceStart(), "plugin",
                    fmt::format("link statistics: {} bytes in, {} bytes out, {} s", report.bytesIn, report.bytesOut,
                                report.seconds));
        return;
    case PluginReport::Kind::Exit:
        log_.append(secondsSinceStart(), "plugin", fmt::format("pppd exiting with status {}", report.exitStatus));
        return;
    default:
        host_.callReport(report);
        return;
    }
}

void Call::pppdExited(ProcessExit exit) {
    killTimer_.reset();
    host_.callExited(exit);
}

double Call::secondsSinceStart() const {
    return std::chrono::duration<double>(scheduler_.monotonicNow() - logStartedAt_).count();
}

}  // namespace dialupd
