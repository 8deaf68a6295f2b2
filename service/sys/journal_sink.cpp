// SPDX-License-Identifier: GPL-2.0-or-later
#include "journal_sink.h"

#include <sys/stat.h>
#include <sys/uio.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <systemd/sd-journal.h>

#include "core/log_fields.h"

namespace dialupd {

int journalPriority(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::critical:
            return 2;
        case spdlog::level::err:
            return 3;
        case spdlog::level::warn:
            return 4;
        case spdlog::level::info:
            return 6;
        default:
            return 7;
    }
}

bool stderrIsJournal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (!stream || !*stream) return false;
    unsigned long long device = 0;
    unsigned long long inode = 0;
    if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
    struct stat info {};
    if (::fstat(2, &info) < 0) return false;
    return info.st_dev == device && info.st_ino == inode;
}

void JournalSink::sink_it_(const spdlog::details::log_msg& message) {
    std::string_view text(message.payload.data(), message.payload.size());
    std::vector<std::string> fields;
    fields.reserve(8);
    fields.push_back(fmt::format("MESSAGE={}", text));
    fields.push_back(fmt::format("PRIORITY={}", journalPriority(message.level)));
    fields.push_back("SYSLOG_IDENTIFIER=dialupd");
    if (auto modem = modemIdOfLine(text)) fields.push_back(fmt::format("DIALUPD_MODEM={}", *modem));
    if (const LogFields* extra = currentLogFields()) {
        if (!extra->messageId.empty()) fields.push_back(fmt::format("MESSAGE_ID={}", extra->messageId));
        if (extra->reasonCode) fields.push_back(fmt::format("DIALUPD_REASON_CODE={}", *extra->reasonCode));
        if (!extra->reason.empty()) fields.push_back(fmt::format("DIALUPD_REASON={}", extra->reason));
    }
    std::vector<iovec> vector;
    vector.reserve(fields.size());
    for (std::string& field : fields) vector.push_back({field.data(), field.size()});
    // No error path worth taking: a journal that is gone loses the line, as stderr would.
    sd_journal_sendv(vector.data(), static_cast<int>(vector.size()));
}

}  // namespace dialupd
