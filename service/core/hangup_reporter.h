// SPDX-License-Identifier: GPL-2.0-or-later
// Where a finished call goes: an end nobody asked for (failed dials included) gets the AT
// snapshot, then its record is kept and announced as a Hangup; a requested end is only kept.
// Several hangups may await their snapshot at once (a redial can end before the last snapshot
// is done); removal and shutdown wait until none does, so a Hangup on its way still goes out.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "at_port_turns.h"
#include "at_snapshot.h"
#include "call_record.h"
#include "daemon_settings.h"
#include "modem_config.h"
#include "modem_services.h"
#include "scheduler.h"

namespace dialupd {

class HangupReporter final {
public:
    // The record complete with its snapshot, for the observer's Hangup.
    using Announce = std::function<void(const CallRecord& record)>;

    // `config` is the modem's, read at each report (the AT port may change on a re-plug).
    // The snapshot takes its turn on the AT port through `atTurns`.
    HangupReporter(const ModemConfig& config, const DaemonSettings& daemon, Scheduler& scheduler,
                   const ModemServices& services, AtPortTurns& atTurns, Announce announce);
    ~HangupReporter();
    HangupReporter(const HangupReporter&) = delete;
    HangupReporter& operator=(const HangupReporter&) = delete;

    // The call's figures and its text so far (the log): the summary goes in front of it.
    static std::string withSummary(const ModemConfig& config, const CallRecord& record, const std::string& log);

    // A finished call: its summary and `log` become its text; then kept (a requested end), or
    // reported (an end nobody asked for).
    void finished(CallRecord record, const std::string& log);
    // A requested end: kept, not announced, no snapshot.
    void keep(const CallRecord& record);
    // An end nobody asked for: the AT snapshot is appended, then kept and announced.
    void report(CallRecord record);
    // Runs `then` once no hangup awaits its snapshot (at once when none does).
    void whenNoneLeft(std::function<void()> then);

private:
    void finish(AtSnapshot* snapshot, CallRecord record);

    const ModemConfig& config_;
    const DaemonSettings& daemon_;
    Scheduler& scheduler_;
    const ModemServices& services_;
    AtPortTurns& atTurns_;
    Announce announce_;
    std::vector<std::unique_ptr<AtSnapshot>> pending_;
    std::vector<std::function<void()>> afterAll_;
};

}  // namespace dialupd
