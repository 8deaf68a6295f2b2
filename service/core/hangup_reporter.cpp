// SPDX-License-Identifier: GPL-2.0-or-later
#include "hangup_reporter.h"

#include <algorithm>
#include <ctime>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace dialupd {

HangupReporter::HangupReporter(const ModemConfig& config, const DaemonSettings& daemon, Scheduler& scheduler,
                               const ModemServices& services, AtPortTurns& atTurns, Announce announce)
    : config_(config),
      daemon_(daemon),
      scheduler_(scheduler),
      services_(services),
      atTurns_(atTurns),
      announce_(std::move(announce)) {}

HangupReporter::~HangupReporter() = default;

std::string HangupReporter::withSummary(const ModemConfig& config, const CallRecord& record, const std::string& log) {
    std::string identity = config.usb.vendorId.empty()
                               ? "fixed port"
                               : fmt::format("{} {}:{} at usb {}", config.usb.model, config.usb.vendorId,
                                             config.usb.productId, config.usb.portPath);
    auto started = static_cast<std::time_t>(record.startedAtUsec / 1'000'000);
    return fmt::format(
               "== call ==\n"
               "modem: {} ({}), device {}\n"
               "started: {:%Y-%m-%d %H:%M:%S} UTC, lasted {:.1f} s\n"
               "ended: {} {}: {}{}\n"
               "traffic: {} bytes in, {} bytes out\n",
               config.id, identity, config.device, fmt::gmtime(started), static_cast<double>(record.durationUsec) / 1e6,
               record.reason.code, record.reason.name, record.reason.description,
               record.requested ? " (requested)" : "", record.bytesIn, record.bytesOut) +
           "== pppd, chat and dialupd ==\n" + log;
}

void HangupReporter::finished(CallRecord record, const std::string& log) {
    record.text = withSummary(config_, record, log);
    if (record.requested)
        keep(record);
    else
        report(std::move(record));
}

void HangupReporter::keep(const CallRecord& record) {
    if (services_.callLogs) services_.callLogs->save(config_.id, record);
}

void HangupReporter::report(CallRecord record) {
    const std::string& port = config_.atPort;
    std::string unavailable;
    if (!services_.atPorts)
        unavailable = "no AT diagnostics in this daemon";
    else if (port.empty())
        unavailable = "no AT port known for this modem";
    else if (port == config_.device)
        unavailable = "the AT port is the PPP port: not asked";
    if (!unavailable.empty()) {
        record.text += "== AT snapshot ==\n" + unavailable + "\n";
        finish(nullptr, std::move(record));
        return;
    }
    spdlog::info("[{}] asking the module why the call ended (AT snapshot on {})", config_.id, port);
    auto snapshot =
        std::make_unique<AtSnapshot>(*services_.atPorts, scheduler_,
                                     AtSnapshotLimits{daemon_.diagnosticsTimeout, daemon_.diagnosticsCommandTimeout});
    AtSnapshot* raw = snapshot.get();
    pending_.push_back(std::move(snapshot));
    // The live status lets the port go first; it has it back in finish().
    atTurns_.take([this, raw, port, record = std::move(record)]() mutable {
        raw->start(port, [this, raw, record = std::move(record)](std::string section) mutable {
            record.text += section;
            finish(raw, std::move(record));
        });
    });
}

void HangupReporter::finish(AtSnapshot* snapshot, CallRecord record) {
    if (snapshot) atTurns_.giveBack();  // the snapshot has let the port go
    keep(record);
    announce_(record);
    if (snapshot) {
        // Called from the snapshot's own completion: free it on a later turn.
        auto owned = std::find_if(pending_.begin(), pending_.end(),
                                  [&](const auto& pending) { return pending.get() == snapshot; });
        if (owned != pending_.end()) {
            scheduler_.deferRelease(std::move(*owned));
            pending_.erase(owned);
        }
    }
    if (!pending_.empty()) return;
    auto waiting = std::move(afterAll_);
    afterAll_.clear();
    for (auto& then : waiting) then();
}

void HangupReporter::whenNoneLeft(std::function<void()> then) {
    if (!pending_.empty())
        afterAll_.push_back(std::move(then));
    else
        then();
}

}  // namespace dialupd
