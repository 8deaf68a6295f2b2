// SPDX-License-Identifier: GPL-2.0-or-later
// The text of one attempt (a call attempt with its recovery, check, pppd runs; or a Reset) and
// when it began: what the Hangup, the kept call record and Reset's answer carry. dialupd's own
// notes go into it and the journal alike.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "call_log.h"
#include "scheduler.h"

namespace dialupd {

class AttemptLog final {
public:
    AttemptLog(std::string modemId, Scheduler& scheduler, size_t capacityBytes)
        : modemId_(std::move(modemId)),
          scheduler_(scheduler),
          log_(capacityBytes),
          startedAt_(scheduler.monotonicNow()),
          startedAtRealtimeUsec_(scheduler.realtimeNowUsec()) {}
    AttemptLog(const AttemptLog&) = delete;
    AttemptLog& operator=(const AttemptLog&) = delete;

    // dialupd's own decision: into the log and the journal.
    void note(std::string_view line) {
        spdlog::info("[{}] {}", modemId_, line);
        logOnly(line);
    }
    // Into the log only (what the journal has heard once already).
    void logOnly(std::string_view line) { log_.append(elapsedSeconds(), "dialupd", line); }

    CallLog& log() { return log_; }
    std::string text() const { return log_.text(); }
    std::chrono::microseconds startedAt() const { return startedAt_; }
    uint64_t startedAtRealtimeUsec() const { return startedAtRealtimeUsec_; }
    std::chrono::microseconds elapsed() const { return scheduler_.monotonicNow() - startedAt_; }
    double elapsedSeconds() const { return std::chrono::duration<double>(elapsed()).count(); }

private:
    const std::string modemId_;
    Scheduler& scheduler_;
    CallLog log_;
    const std::chrono::microseconds startedAt_;
    const uint64_t startedAtRealtimeUsec_;
};

}  // namespace dialupd
