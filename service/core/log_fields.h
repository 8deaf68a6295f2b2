// SPDX-License-Identifier: GPL-2.0-or-later
// Structured fields for the journal beside a log line, with no journal in the core: the core
// logs through spdlog as ever and, for the lines a log shipper looks for (a call started, up,
// ended; a recovery), puts a ScopedLogFields around the spdlog call. The daemon's journal sink
// (sys/journal_sink.h) reads currentLogFields() while it writes that line; any other sink
// ignores them. The modem a line is about needs no scope: every core line starts "[<modem id>] ",
// which the sink turns into DIALUPD_MODEM=. One thread logs (the event loop), so one pointer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dialupd {

// MESSAGE_ID= values (128-bit, as journalctl --new-id128 makes them), fixed for good: log
// shippers and `journalctl MESSAGE_ID=...` rely on them. Listed in dialupd(8).
namespace message_id {
inline constexpr std::string_view kCallStarted = "9c3e1a2f6b7d4e0a8f51c2d3e4b5a697";  // pppd started for a call
inline constexpr std::string_view kCallUp = "4f7a2c9e1d3b4a6c8e0f1a2b3c4d5e6f";       // the link is up
inline constexpr std::string_view kCallEnded = "b1d2e3f4a5c64b7d9e8f0a1b2c3d4e5f";    // a call ended (hangup)
inline constexpr std::string_view kRecovery = "e7c1b2a3d4f54e6a8b9c0d1e2f3a4b5c";     // module recovery begins
}  // namespace message_id

struct LogFields {
    std::string_view messageId;          // "" = none
    std::optional<uint32_t> reasonCode;  // DIALUPD_REASON_CODE=
    std::string_view reason;             // DIALUPD_REASON= (the reason's name)
};

// The fields of the line being logged now; nullptr outside a ScopedLogFields.
const LogFields* currentLogFields();

// Keeps a copy of `fields` (their string_views must outlive the scope).
class ScopedLogFields final {
public:
    explicit ScopedLogFields(const LogFields& fields);
    ~ScopedLogFields();
    ScopedLogFields(const ScopedLogFields&) = delete;
    ScopedLogFields& operator=(const ScopedLogFields&) = delete;

private:
    const LogFields fields_;
    const LogFields* previous_;
};

// "[<id>] rest": the id ([A-Za-z0-9_], at most 64), else nullopt.
std::optional<std::string_view> modemIdOfLine(std::string_view line);

}  // namespace dialupd
