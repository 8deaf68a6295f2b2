// SPDX-License-Identifier: GPL-2.0-or-later
// The DM log's files on demand: SaveDiagnosticLog writes the recorder's ring as it stands (during
// a call, or the last call's window after it) as the .qmdl of the call it belongs to, and
// OpenDiagnosticLog picks a kept .qmdl by its call's start and opens it for the caller. Both go
// through the CallLogStore (the call records' directory, its bound and its modes); each refusal
// is a named Error. No D-Bus here: the adaptor hands the descriptor on.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "call_record.h"
#include "dm_recorder.h"

namespace dialupd {

// What SaveDiagnosticLog answers.
struct DmLogSaved {
    uint64_t startedAtUsec = 0;  // the call's start: its id in GetCallLogs and OpenDiagnosticLog
    std::string path;            // the file written
    uint64_t bytes = 0;
    uint64_t frames = 0;
    std::chrono::microseconds span{0};  // from the oldest frame kept to the newest
};

// Writes `recorder`'s frames now as the .qmdl of the call that started at `windowStartUsec` (the
// attempt whose dial began the recorder's window). Throws Error: DiagnosticLogOff (dm-log is not
// on, or this daemon reads no DM port), NoDiagnosticLog (no frame yet, saying why if the
// recorder knows), SaveFailed (the store could not write it, or keeps no files).
DmLogSaved saveDmLogNow(const std::string& modemId, bool dmLogOn, const DmRecorder* recorder, uint64_t windowStartUsec,
                        CallLogStore* store);

// The start of the call whose DM log OpenDiagnosticLog hands out: `requested` itself, or with 0
// the newest kept DM log. Throws Error: NoSuchCall (a start that is neither a kept call nor a
// kept DM log), NoDiagnosticLog (that call has none, or none is kept).
uint64_t chooseDmLog(const std::string& modemId, uint64_t requested, const std::vector<uint64_t>& recordStarts,
                     const std::vector<uint64_t>& dmLogStarts);

struct OpenedDmLog {
    uint64_t startedAtUsec = 0;
    std::unique_ptr<KeptFile> file;
};

// chooseDmLog over what `store` keeps, then the file opened read-only. Throws as chooseDmLog,
// and NoDiagnosticLog when the file cannot be opened (pruned meanwhile, not a regular file).
OpenedDmLog openKeptDmLog(const std::string& modemId, uint64_t requested, const CallLogStore* store);

}  // namespace dialupd
