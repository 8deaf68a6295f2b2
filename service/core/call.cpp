// SPDX-License-Identifier: GPL-2.0-or-later
#include "call.h"

#include <csignal>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "auth_dump.h"
#include "pppd_command.h"
#include "secret.h"
#include "text.h"

namespace dialupd {

Call::Call(std::string modemId, CallSettings settings, const DaemonSettings& daemon, Scheduler& scheduler, CallLog& log,
           std::chrono::microseconds logStartedAt, CallHost& host)
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
    stoppedForDataLimit_ = cause == StopCause::DataLimit;
    stoppedForConnectivity_ = cause == StopCause::ConnectivityLost;
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
    host_.callNote(
        fmt::format("pppd did not exit within {} s of SIGTERM: sending SIGKILL; the module may be left in "
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
    facts.stoppedForDataLimit = stoppedForDataLimit_;
    facts.stoppedForConnectivity = stoppedForConnectivity_;
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
            log_.append(secondsSinceStart(), "plugin",
                        fmt::format("link going down, pppd status {}", report.exitStatus));
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
        case PluginReport::Kind::Phase:
            log_.append(secondsSinceStart(), "plugin", "phase " + report.phase);
            return;
        case PluginReport::Kind::Interface:
            // The ppp unit exists; no NCP is up yet.
            log_.append(secondsSinceStart(), "plugin", "interface " + report.ip.interface);
            break;
        case PluginReport::Kind::Ipv6Up:
            log_.append(secondsSinceStart(), "plugin", "ipv6-up " + report.ip.interface);
            break;
        case PluginReport::Kind::Ipv6Sysctl:
            logIpv6Sysctl(report.ip.interface, report.sysctl);
            return;
        case PluginReport::Kind::IpUp:
            log_.append(secondsSinceStart(), "plugin",
                        fmt::format("ip-up {} local {} peer {}", report.ip.interface, report.ip.localAddress,
                                    report.ip.peerAddress));
            break;
        case PluginReport::Kind::IpDown:
            log_.append(secondsSinceStart(), "plugin", "ip-down");
            break;
    }
    host_.callReport(report);  // the link's progress
}

// What the plugin made of the router advertisement's sysctls (pppd_command.cpp says why each).
void Call::logIpv6Sysctl(const std::string& ifname, const Ipv6Sysctl& sysctl) {
    std::string where = fmt::format("/proc/sys/net/ipv6/conf/{}/{}", ifname, sysctl.name);
    switch (sysctl.outcome) {
        case Ipv6Sysctl::Outcome::Ok:
            log_.append(secondsSinceStart(), "plugin", fmt::format("{} = {}", where, sysctl.value));
            break;
        case Ipv6Sysctl::Outcome::Absent:
            // ra_defrtr_metric came with Linux 5.12: before it, the RA's default route has the
            // kernel's metric (1024).
            host_.callNote(
                fmt::format("{} does not exist (an older kernel, or no IPv6): not set to {}", where, sysctl.value));
            break;
        case Ipv6Sysctl::Outcome::Failed:
            spdlog::warn("[{}] pppd plugin cannot set {} to {}: {}", modemId_, where, sysctl.value,
                         std::strerror(sysctl.error));
            log_.append(secondsSinceStart(), "plugin",
                        fmt::format("cannot set {} to {}: {}", where, sysctl.value, std::strerror(sysctl.error)));
            break;
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
