// SPDX-License-Identifier: GPL-2.0-or-later
// The journal's native protocol for dialupd's log lines under systemd: each line with its
// priority (PRIORITY=, so `journalctl -p err` finds the errors) and the structured fields of
// core/log_fields.h (DIALUPD_MODEM=, DIALUPD_REASON_CODE=, DIALUPD_REASON=, MESSAGE_ID=), through
// sd_journal_sendv. Wrapped in the SanitizingSink like the stderr sink it replaces.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/details/null_mutex.h>

namespace dialupd {

class JournalSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& message) override;
    void flush_() override {}
};

// syslog's priority for an spdlog level (critical 2, error 3, warn 4, info 6, debug and trace 7).
int journalPriority(spdlog::level::level_enum level);

// As systemd's own services decide (sd_journal_stream_fd(3), systemd.exec(5)): stderr is the
// journal's stream when $JOURNAL_STREAM names the device and inode of fd 2.
bool stderrIsJournal();

}  // namespace dialupd
