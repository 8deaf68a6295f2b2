// SPDX-License-Identifier: GPL-2.0-or-later
// One finished call as kept and published: its summary and its text (call summary, pppd/chat/
// dialupd log, and for a call that ended by itself the AT snapshot), plus where such records
// are kept between daemon runs (sys/file_call_log_store in the daemon, a vector in tests).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "exit_reason.h"

namespace dialupd {

struct CallRecord {
    uint64_t startedAtUsec = 0;  // CLOCK_REALTIME, µs since the epoch
    uint64_t durationUsec = 0;   // pppd's start to its exit
    uint64_t bytesIn = 0;
    uint64_t bytesOut = 0;
    ExitReason reason;
    bool requested = false;  // ended by Disconnect or daemon shutdown (no Hangup)
    std::string text;
};

class CallLogStore {
public:
    virtual ~CallLogStore() = default;
    // Keeps `record` as the newest of `modemId`'s, dropping the oldest beyond the configured
    // number. Failures are logged, never thrown: a full disk must not end a call differently.
    virtual void save(const std::string& modemId, const CallRecord& record) = 0;
    // Keeps a call's DM log (`qmdl`, the module's DIAG frames) beside its record, as long as the
    // record is kept. The file's path, or "" with `why` saying why it was not kept.
    virtual std::string saveDmLog(const std::string& modemId, uint64_t startedAtUsec, std::span<const uint8_t> qmdl,
                                  std::string& why) {
        (void)modemId, (void)startedAtUsec, (void)qmdl;
        why = "this daemon keeps no files for its calls";
        return "";
    }
    // Up to `last` records, newest first.
    virtual std::vector<CallRecord> load(const std::string& modemId, size_t last) const = 0;
};

}  // namespace dialupd
