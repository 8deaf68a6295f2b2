// SPDX-License-Identifier: GPL-2.0-or-later
// One finished call as kept and published: its summary and its text (call summary, pppd/chat/
// dialupd log, and for a call that ended by itself the AT snapshot), plus where such records
// are kept between daemon runs (sys/file_call_log_store in the daemon, a vector in tests).
#pragma once

#include <cstdint>
#include <memory>
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

// A kept file opened read-only for a caller: the descriptor belongs to the store's side (sys/),
// the core only hands it on (OpenDiagnosticLog duplicates it into its reply); it closes with
// the object.
class KeptFile {
public:
    virtual ~KeptFile() = default;
    virtual int fd() const = 0;
    virtual uint64_t size() const = 0;
    virtual const std::string& path() const = 0;
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
    // The starts (µs) of the kept records and of the kept DM logs, newest first. A DM log saved
    // during a call (SaveDiagnosticLog) is there before its record.
    virtual std::vector<uint64_t> recordStarts(const std::string& modemId) const {
        (void)modemId;
        return {};
    }
    virtual std::vector<uint64_t> dmLogStarts(const std::string& modemId) const {
        (void)modemId;
        return {};
    }
    // The DM log of the call that started at `startedAtUsec`, opened read-only; null with `why`
    // saying why not.
    virtual std::unique_ptr<KeptFile> openDmLog(const std::string& modemId, uint64_t startedAtUsec,
                                                std::string& why) const {
        (void)modemId, (void)startedAtUsec;
        why = "this daemon keeps no files for its calls";
        return nullptr;
    }
};

}  // namespace dialupd
