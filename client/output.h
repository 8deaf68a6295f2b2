// SPDX-License-Identifier: GPL-2.0-or-later
// The one output module (like mmcli's): every command's human text and its --json form come
// from here, so the two cannot drift apart. Human text may change between releases; the JSON
// keys are documented in dialupctl(1) and stay.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "modem_info.h"

namespace dialupctl {

// Colour for a terminal: on only when asked for (stdout is a tty, no --no-color, no NO_COLOR).
class Style {
public:
    explicit Style(bool color) : color_(color) {}
    std::string state(const std::string& state) const;  // green connected, yellow in between, red unavailable
    std::string bold(const std::string& text) const;
    std::string dim(const std::string& text) const;
    std::string red(const std::string& text) const;

private:
    std::string paint(const char* code, const std::string& text) const;
    bool color_;
};

// Now, as µs since the Unix epoch (the unit the daemon's times come in).
uint64_t realtimeNowUsec();
// "0.4 s", "5.5 s", "3 min 2 s", "2 h 5 min".
std::string formatDuration(uint64_t usec);
// "84 bytes", "1.5 KiB", "12.0 MiB".
std::string formatBytes(uint64_t bytes);
// Local time: "2026-11-25 13:40:01"; with millis, "2026-11-25 13:40:01.123".
std::string formatLocalTime(uint64_t usecSinceEpoch, bool millis = false);
// RFC 3339 local time with microseconds and offset, for JSON: "2026-11-25T13:40:01.123456+00:00".
std::string formatRfc3339(uint64_t usecSinceEpoch);
// "2 at 2026-11-25 13:40:01": redial number `attempt`, due then.
std::string formatRedial(uint32_t attempt, uint64_t atUsec);
// "16 hangup: the modem hung up ..."; "none" before any call.
std::string formatReason(const ExitReason& reason);

// Four bars for a signal quality in percent: "▂▄▆█" at 75 % and more, "▂▄__" at 25–49 %, "____" at 0.
std::string formatSignalBars(uint32_t percent);
// "77% ▂▄▆█ (rssi -65 dBm, rsrp -95 dBm, rsrq -10 dB, sinr 154)"; "-" when nothing is known.
std::string formatSignal(const ModemInfo& modem);
// "home on Simulated Operator (26201), lte"; "searching"; "unknown".
std::string formatNetwork(const ModemInfo& modem);

nlohmann::json toJson(const ExitReason& reason);
nlohmann::json toJson(const ModemInfo& modem);
nlohmann::json toJson(const CallLog& call);
nlohmann::json toJson(const ModemStats& stats);

// list: one aligned row per modem, with a header.
void printModemTable(std::ostream& out, const std::vector<ModemInfo>& modems, const Style& style);
// status: one modem, a labelled line per fact; `nowUsec` dates "connected for".
void printModemStatus(std::ostream& out, const ModemInfo& modem, const Style& style, uint64_t nowUsec);
// log: each kept call under a heading line, then its text as the daemon wrote it.
void printCallLogs(std::ostream& out, const std::string& modemId, const std::vector<CallLog>& calls,
                   const Style& style);

// stats: the counters, the data period and its limit, the running call's bytes.
void printStatistics(std::ostream& out, const std::string& modemId, const ModemStats& stats, const Style& style);

// One compact JSON document and a newline: a whole command's answer, or one monitor event.
void printJsonLine(std::ostream& out, const nlohmann::json& value);

}  // namespace dialupctl
