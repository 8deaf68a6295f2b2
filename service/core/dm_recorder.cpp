// SPDX-License-Identifier: GPL-2.0-or-later
#include "dm_recorder.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "diag_log_config.h"

namespace dialupd {

namespace {

double seconds(std::chrono::microseconds duration) { return static_cast<double>(duration.count()) / 1e6; }

}  // namespace

DmRecorder::DmRecorder(DmRecorderSettings settings, DmPortOpener& opener, Scheduler& scheduler)
    : settings_(std::move(settings)), opener_(opener), scheduler_(scheduler), ring_(settings_.ringBytes) {}

DmRecorder::~DmRecorder() = default;

DiagFrameRing::Clock::time_point DmRecorder::now() const {
    return DiagFrameRing::Clock::time_point(
        std::chrono::duration_cast<DiagFrameRing::Clock::duration>(scheduler_.monotonicNow()));
}

void DmRecorder::start() {
    if (channel_) return;
    ring_.clear();
    splitter_.reset();
    badFramesBefore_ = splitter_.badFrames();
    answered_ = false;
    problem_.clear();
    if (settings_.port.empty()) {
        problem_ = "no DM port is known for this modem (dm-port, or the model table's DM interface)";
        return;
    }
    try {
        channel_ = opener_.open(settings_.port, *this);
    } catch (const DmPortError& error) {
        const char* kind = error.kind() == DmPortError::Kind::Absent ? "missing"
                           : error.kind() == DmPortError::Kind::Busy ? "busy"
                                                                     : "unusable";
        problem_ = fmt::format("the DM port {} is {}: {}", settings_.port, kind, error.what());
        return;
    }
    if (settings_.maskCommands.empty()) {
        for (const std::vector<uint8_t>& command : builtinMaskCommands()) send(command);
    } else {
        for (const std::vector<uint8_t>& command : settings_.maskCommands) send(command);
    }
    if (!channel_) return;  // a write failed
    answerTimer_ = scheduler_.after(settings_.answerTimeout, [this] {
        answerTimer_.reset();
        if (answered_) return;
        giveUp(fmt::format("the module did not answer DIAG's log-config command on {} within {:.1f} s", settings_.port,
                           seconds(settings_.answerTimeout)));
    });
}

void DmRecorder::send(std::span<const uint8_t> framed) {
    if (!channel_) return;
    if (!channel_->write(framed)) giveUp(fmt::format("cannot write DIAG commands to the DM port {}", settings_.port));
}

void DmRecorder::giveUp(std::string why) {
    spdlog::debug("DM log: {}", why);
    problem_ = std::move(why);
    answerTimer_.reset();
    // The channel may be the caller (dmClosed): freed on a later turn.
    scheduler_.deferRelease(std::move(channel_));
}

void DmRecorder::stop() {
    answerTimer_.reset();
    if (!channel_) return;
    std::vector<uint8_t> disable = disableLoggingCommand();
    channel_->write(disable);
    channel_.reset();
}

void DmRecorder::dmBytes(std::span<const uint8_t> bytes) {
    if (!channel_) return;
    splitter_.feed(bytes, [this](std::span<const uint8_t> payload) { frame(payload); });
}

void DmRecorder::frame(std::span<const uint8_t> payload) {
    ring_.push(payload, now());
    if (answered_) return;
    switch (classifyDiagReply(payload)) {
        case DiagReply::LogConfigSuccess:
            answered_ = true;
            answerTimer_.reset();
            break;
        case DiagReply::LogConfigFailure:
            giveUp(fmt::format("the module refused the log-config command on {} (a failure status)", settings_.port));
            break;
        case DiagReply::Refused:
            giveUp(
                fmt::format("the module refused the log-config command on {} (DIAG said bad command, parameters, "
                            "length or mode)",
                            settings_.port));
            break;
        case DiagReply::Other:
            break;
    }
}

void DmRecorder::dmClosed(std::string_view why) {
    if (!channel_) return;
    giveUp(fmt::format("the DM port {} closed during the call: {}", settings_.port, why));
}

DmLogFreeze DmRecorder::freeze() const {
    DmLogFreeze log;
    log.frozenAt = now();
    log.problem = problem_;
    if (running() && !answered_ && problem_.empty())
        log.problem = fmt::format("the module had not answered DIAG's log-config command on {} yet", settings_.port);
    log.qmdl = ring_.toQmdl();
    log.frames = ring_.frameCount();
    log.span = std::chrono::duration_cast<std::chrono::microseconds>(ring_.span());
    log.badFrames = splitter_.badFrames() - badFramesBefore_;
    log.evictedFrames = ring_.evictedFrames();
    NetworkCauses causes = findNetworkCauses(ring_);
    log.sessionEnds = causes.messages;
    if (const NasSessionEnd* stated = statedNetworkCause(causes)) {
        log.cause = static_cast<size_t>(stated - causes.messages.data());
        if (stated->receivedAt)
            log.causeBeforeEnd =
                std::chrono::duration_cast<std::chrono::microseconds>(log.frozenAt - *stated->receivedAt);
    }
    return log;
}

std::string dmNetworkCauseSummary(const DmLogFreeze& log) {
    if (!log.cause) return "";
    return "network: " + nasCauseSummary(log.sessionEnds[*log.cause]);
}

std::string describeDmLog(const DmLogFreeze& log, const std::string& savedAs, const std::string& saveProblem) {
    std::string text;
    if (log.hasLog()) {
        text = fmt::format("DM log: {} frames, {} bytes, {:.1f} s", log.frames, log.qmdl.size(), seconds(log.span));
        if (!savedAs.empty())
            text += ", saved as " + savedAs;
        else if (!saveProblem.empty())
            text += ", not saved: " + saveProblem;
        text += "\n";
        if (!log.problem.empty()) text += "DM log incomplete: " + log.problem + "\n";
    } else {
        text = "no DM log: " + (log.problem.empty() ? std::string("the DM port sent no frame") : log.problem) + "\n";
    }
    if (log.cause)
        text += fmt::format("{} ({}, {:.1f} s before the end)\n", dmNetworkCauseSummary(log),
                            log.sessionEnds[*log.cause].causeKind == NasCauseKind::Rrc ? "RRC" : "NAS",
                            seconds(log.causeBeforeEnd));
    for (const NasSessionEnd& message : log.sessionEnds) {
        double before =
            message.receivedAt
                ? seconds(std::chrono::duration_cast<std::chrono::microseconds>(log.frozenAt - *message.receivedAt))
                : 0.0;
        text += fmt::format("DM log: {:.1f} s before the end: {}\n", before, describeNasSessionEnd(message));
    }
    return text;
}

}  // namespace dialupd
