// SPDX-License-Identifier: GPL-2.0-or-later
// Finished calls kept on disk: <state dir>/calls/<modem id>/<start µs>.log, one file a call,
// 0600 in 0700 directories, the newest `keep` per modem. A header of "key: value" lines, a
// blank line, then the call's text. Survives daemon restarts; read back by GetCallLogs. A call's
// DM log (dm-log = yes) sits beside its record as <start µs>.qmdl, 0600, and goes with it; it is
// never read back here (it can hold identities: GetCallLogs, which anyone may call, lists only
// the text). Besides the count, what one modem's directory holds in all, records and DM logs
// together, is bounded (`call-logs-max-size`): past it the oldest calls go, with their DM logs,
// and never the newest. A DM log whose record is not there (written just before it, or the
// record could not be written) counts too, and goes once `keep` newer records are kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/call_record.h"

namespace dialupd {

class FileCallLogStore final : public CallLogStore {
public:
    // What load() reads back in all: GetCallLogs, which anyone may call, answers in one D-Bus
    // message, and dbus-daemon cuts off a sender whose message is over its limit (32 MiB on the
    // system bus): the daemon would lose the bus. One file fits, whatever call-log-size says.
    static constexpr size_t kMaxLoadBytes = 24 << 20;

    // `maxFileBytes` bounds what is read back from one file (a file edited by hand cannot
    // make the daemon allocate without limit).
    // `maxTotalBytes`: the bound on one modem's records and DM logs together.
    FileCallLogStore(std::string stateDir, size_t keep, size_t maxFileBytes, uint64_t maxTotalBytes = UINT64_MAX);
    void save(const std::string& modemId, const CallRecord& record) override;
    std::string saveDmLog(const std::string& modemId, uint64_t startedAtUsec, std::span<const uint8_t> qmdl,
                          std::string& why) override;
    std::vector<CallRecord> load(const std::string& modemId, size_t last) const override;
    std::vector<uint64_t> recordStarts(const std::string& modemId) const override;
    std::vector<uint64_t> dmLogStarts(const std::string& modemId) const override;
    // Opened O_RDONLY|O_NOFOLLOW|O_CLOEXEC from the state dir, a regular file only.
    std::unique_ptr<KeptFile> openDmLog(const std::string& modemId, uint64_t startedAtUsec,
                                        std::string& why) const override;

private:
    std::string directoryFor(const std::string& modemId) const;
    // "<digits><suffix>" names in `directory`, newest first.
    std::vector<std::string> filesNewestFirst(const std::string& directory, std::string_view suffix = ".log") const;
    // Removes what is over the count or the size bound (records with their DM logs, oldest first).
    void prune(const std::string& modemId, const std::string& directory) const;

    std::string stateDir_;
    std::string root_;
    size_t keep_;
    size_t maxFileBytes_;
    uint64_t maxTotalBytes_;
};

// The file format, exposed for tests.
std::string formatCallRecord(const CallRecord& record);
bool parseCallRecord(const std::string& content, CallRecord& record);

}  // namespace dialupd
