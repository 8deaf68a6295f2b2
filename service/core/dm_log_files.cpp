// SPDX-License-Identifier: GPL-2.0-or-later
#include "dm_log_files.h"

#include <algorithm>

#include <fmt/format.h>

#include "errors.h"

namespace dialupd {

DmLogSaved saveDmLogNow(const std::string& modemId, bool dmLogOn, const DmRecorder* recorder, uint64_t windowStartUsec,
                        CallLogStore* store) {
    if (!dmLogOn)
        throw Error(
            error_name::kDiagnosticLogOff,
            fmt::format("modem {} keeps no DM log: dm-log is off (dm-log = yes in its section turns it on)", modemId));
    if (!recorder)
        throw Error(error_name::kDiagnosticLogOff,
                    fmt::format("modem {} keeps no DM log: this daemon reads no DM port", modemId));
    DmLogFreeze frozen = recorder->freeze();
    if (!frozen.hasLog() || windowStartUsec == 0) {
        std::string why = frozen.problem.empty()
                              ? std::string(recorder->running() ? "the DM port has sent no frame yet"
                                                                : "no call has been dialled since dialupd started")
                              : frozen.problem;
        throw Error(error_name::kNoDiagnosticLog, fmt::format("modem {} has no DM frames to save: {}", modemId, why));
    }
    if (!store) throw Error(error_name::kSaveFailed, fmt::format("modem {}: no call logs are kept", modemId));
    std::string why;
    DmLogSaved saved;
    saved.path = store->saveDmLog(modemId, windowStartUsec, frozen.qmdl, why);
    if (saved.path.empty())
        throw Error(error_name::kSaveFailed, fmt::format("modem {}: the DM log was not saved: {}", modemId, why));
    saved.startedAtUsec = windowStartUsec;
    saved.bytes = frozen.qmdl.size();
    saved.frames = frozen.frames;
    saved.span = frozen.span;
    return saved;
}

uint64_t chooseDmLog(const std::string& modemId, uint64_t requested, const std::vector<uint64_t>& recordStarts,
                     const std::vector<uint64_t>& dmLogStarts) {
    auto has = [](const std::vector<uint64_t>& starts, uint64_t start) {
        return std::find(starts.begin(), starts.end(), start) != starts.end();
    };
    if (requested == 0) {
        if (dmLogStarts.empty())
            throw Error(error_name::kNoDiagnosticLog,
                        fmt::format("modem {} keeps no DM log (dm-log = yes records one during each call)", modemId));
        return *std::max_element(dmLogStarts.begin(), dmLogStarts.end());
    }
    if (has(dmLogStarts, requested)) return requested;
    if (has(recordStarts, requested))
        throw Error(error_name::kNoDiagnosticLog,
                    fmt::format("modem {}: the call that started at {} has no DM log (the Hangup's \"== DM log ==\" "
                                "section says why)",
                                modemId, requested));
    throw Error(error_name::kNoSuchCall,
                fmt::format("modem {} keeps no call that started at {} (GetCallLogs lists the kept calls' starts)",
                            modemId, requested));
}

OpenedDmLog openKeptDmLog(const std::string& modemId, uint64_t requested, const CallLogStore* store) {
    if (!store) {
        if (requested == 0)
            throw Error(error_name::kNoDiagnosticLog, fmt::format("modem {}: no call logs are kept", modemId));
        throw Error(error_name::kNoSuchCall, fmt::format("modem {}: no call logs are kept", modemId));
    }
    OpenedDmLog opened;
    opened.startedAtUsec = chooseDmLog(modemId, requested, store->recordStarts(modemId), store->dmLogStarts(modemId));
    std::string why;
    opened.file = store->openDmLog(modemId, opened.startedAtUsec, why);
    if (!opened.file)
        throw Error(error_name::kNoDiagnosticLog,
                    fmt::format("modem {}: the DM log of the call that started at {} cannot be opened: {}", modemId,
                                opened.startedAtUsec, why));
    return opened;
}

}  // namespace dialupd
