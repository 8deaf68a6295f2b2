// SPDX-License-Identifier: GPL-2.0-or-later
#include "output.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace dialupctl {

std::string Style::paint(const char* code, const std::string& text) const {
    if (!color_ || text.empty()) return text;
    return std::string("\033[") + code + "m" + text + "\033[0m";
}

std::string Style::state(const std::string& state) const {
    if (state == "connected") return paint("32", state);
    if (state == "connecting" || state == "disconnecting" || state == "resetting") return paint("33", state);
    if (state == "unavailable") return paint("31", state);
    return state;
}

std::string Style::bold(const std::string& text) const { return paint("1", text); }
std::string Style::dim(const std::string& text) const { return paint("2", text); }
std::string Style::red(const std::string& text) const { return paint("31", text); }

uint64_t realtimeNowUsec() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

std::string formatDuration(uint64_t usec) {
    char text[64];
    const uint64_t seconds = usec / 1000000;
    if (seconds < 60)
        std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(usec) / 1e6);
    else if (seconds < 3600)
        std::snprintf(text, sizeof text, "%llu min %llu s", static_cast<unsigned long long>(seconds / 60),
                      static_cast<unsigned long long>(seconds % 60));
    else
        std::snprintf(text, sizeof text, "%llu h %llu min", static_cast<unsigned long long>(seconds / 3600),
                      static_cast<unsigned long long>(seconds / 60 % 60));
    return text;
}

std::string formatBytes(uint64_t bytes) {
    char text[64];
    if (bytes < 10 * 1024)
        std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
    else if (bytes < 10ull * 1024 * 1024)
        std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024);
    else
        std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024 * 1024));
    return text;
}

namespace {

std::tm localTime(uint64_t usecSinceEpoch) {
    const std::time_t seconds = static_cast<std::time_t>(usecSinceEpoch / 1000000);
    std::tm local{};
    ::localtime_r(&seconds, &local);
    return local;
}

}  // namespace

std::string formatLocalTime(uint64_t usecSinceEpoch, bool millis) {
    const std::tm local = localTime(usecSinceEpoch);
    char text[64];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    std::string result = text;
    if (millis) {
        std::snprintf(text, sizeof text, ".%03llu", static_cast<unsigned long long>(usecSinceEpoch / 1000 % 1000));
        result += text;
    }
    return result;
}

std::string formatRfc3339(uint64_t usecSinceEpoch) {
    const std::tm local = localTime(usecSinceEpoch);
    char date[64];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local);
    const long offsetMinutes = local.tm_gmtoff / 60;
    char text[96];
    std::snprintf(text, sizeof text, "%s.%06llu%c%02ld:%02ld", date,
                  static_cast<unsigned long long>(usecSinceEpoch % 1000000), offsetMinutes < 0 ? '-' : '+',
                  std::labs(offsetMinutes) / 60, std::labs(offsetMinutes) % 60);
    return text;
}

std::string formatRedial(uint32_t attempt, uint64_t atUsec) {
    // The daemon's kRedialAwaitsEvent (service/core/redialer.h): no time, an event is awaited.
    if (atUsec == UINT64_MAX) return "waits for the network to register the module again";
    return std::to_string(attempt) + " at " + formatLocalTime(atUsec);
}

std::string formatReason(const ExitReason& reason) {
    if (reason.code == 0 && reason.name == "none") return "none";
    return std::to_string(reason.code) + " " + reason.name + ": " + reason.description;
}

nlohmann::json toJson(const ExitReason& reason) {
    return {{"code", reason.code}, {"name", reason.name}, {"description", reason.description}};
}

nlohmann::json toJson(const ModemInfo& modem) {
    return {
        {"id", modem.id},
        {"path", modem.path},
        {"state", modem.state},
        {"device", modem.device},
        {"at_port", modem.atPort},
        {"vendor", modem.vendor},
        {"product", modem.product},
        {"model", modem.model},
        {"usb_path", modem.usbPath},
        {"usb_serial", modem.usbSerial},
        {"interface", modem.interface},
        {"ipv4_address", modem.ipv4Address},
        {"peer_address", modem.peerAddress},
        {"dns", modem.dns},
        {"dns_backend", modem.dnsBackend},
        {"default_route", modem.defaultRoute},
        {"route_metric", modem.routeMetric},
        {"ipv6_addresses", modem.ipv6Addresses},
        {"connected_since_usec", modem.connectedSinceUsec},
        {"last_exit_reason", toJson(modem.lastExitReason)},
        {"last_call",
         {{"duration_usec", modem.lastCallDurationUsec},
          {"bytes_in", modem.lastCallBytesIn},
          {"bytes_out", modem.lastCallBytesOut}}},
        {"reconnect_attempts", modem.reconnectAttempts},
        {"next_reconnect_usec", modem.nextReconnectUsec},
        {"sim_state", modem.simState},
        {"registration_state", modem.registrationState},
        {"operator_name", modem.operatorName},
        {"operator_code", modem.operatorCode},
        {"access_technology", modem.accessTechnology},
        {"signal_quality", modem.signalQuality},
        {"signal", modem.signal},
        {"imei", modem.imei},
        {"iccid", modem.iccid},
    };
}

std::string formatSignalBars(uint32_t percent) {
    static const char* const kBars[] = {"\u2582", "\u2584", "\u2586", "\u2588"};  // ▂▄▆█
    const uint32_t lit = percent == 0 ? 0 : std::min<uint32_t>(4, percent / 25 + 1);
    std::string bars;
    for (uint32_t bar = 0; bar < 4; ++bar) bars += bar < lit ? kBars[bar] : "_";
    return bars;
}

std::string formatSignal(const ModemInfo& modem) {
    if (modem.signalQuality == 0 && modem.signal.empty()) return "-";
    std::string text = std::to_string(modem.signalQuality) + "% " + formatSignalBars(modem.signalQuality);
    std::string values;
    for (const char* name : {"rssi", "rsrp", "rsrq", "sinr"}) {
        auto found = modem.signal.find(name);
        if (found == modem.signal.end()) continue;
        const std::string_view key = name;
        const char* unit = key == "rsrq" ? " dB" : key == "sinr" ? "" : " dBm";
        values += (values.empty() ? "" : ", ") + std::string(name) + " " + std::to_string(found->second) + unit;
    }
    if (!values.empty()) text += " (" + values + ")";
    return text;
}

std::string formatNetwork(const ModemInfo& modem) {
    std::string text = modem.registrationState.empty() ? "unknown" : modem.registrationState;
    if (!modem.operatorName.empty() || !modem.operatorCode.empty()) {
        text += " on " + (modem.operatorName.empty() ? modem.operatorCode : modem.operatorName);
        if (!modem.operatorName.empty() && !modem.operatorCode.empty()) text += " (" + modem.operatorCode + ")";
    }
    if (!modem.accessTechnology.empty()) text += ", " + modem.accessTechnology;
    return text;
}

nlohmann::json toJson(const CallLog& call) {
    return {
        {"started_usec", call.startedUsec},
        {"duration_usec", call.durationUsec},
        {"reason", toJson(call.reason)},
        {"bytes_in", call.bytesIn},
        {"bytes_out", call.bytesOut},
        {"requested", call.requested},
        {"log", call.text},
    };
}

namespace {

std::string orDash(const std::string& text) { return text.empty() ? "-" : text; }

std::string dnsWhere(const ModemInfo& modem) {
    if (modem.dnsBackend == "resolved") return "in systemd-resolved";
    if (modem.dnsBackend == "resolvconf") return "in resolvconf";
    if (modem.dnsBackend == "none") return "not handed to the system";
    return modem.dnsBackend;
}

std::string modelLine(const ModemInfo& modem) {
    if (modem.vendor.empty()) return "fixed port";
    std::string line = (modem.model.empty() ? std::string("USB modem") : modem.model) + ", USB " + modem.vendor + ":" +
                       modem.product + " on port " + modem.usbPath;
    if (!modem.usbSerial.empty()) line += ", serial " + modem.usbSerial;
    return line;
}

}  // namespace

void printModemTable(std::ostream& out, const std::vector<ModemInfo>& modems, const Style& style) {
    if (modems.empty()) {
        out << "No modems.\n";
        return;
    }
    constexpr size_t kColumns = 7;
    using Row = std::array<std::string, kColumns>;
    std::vector<Row> rows{{"MODEM", "STATE", "MODEL", "DEVICE", "ADDRESS", "ROUTE", "DNS"}};
    for (const ModemInfo& modem : modems)
        rows.push_back({modem.id, modem.state, orDash(modem.model), modem.device, orDash(modem.ipv4Address),
                        modem.defaultRoute ? "default/" + std::to_string(modem.routeMetric) : "-",
                        orDash(modem.dnsBackend)});
    std::array<size_t, kColumns> widths{};
    for (const Row& row : rows)
        for (size_t column = 0; column < kColumns; ++column)
            widths[column] = std::max(widths[column], row[column].size());
    for (size_t index = 0; index < rows.size(); ++index) {
        const Row& row = rows[index];
        std::string line;
        for (size_t column = 0; column < kColumns; ++column) {
            // Pad the plain text, then paint it: escape codes must not count as width.
            std::string cell = row[column];
            const std::string padding =
                column + 1 < kColumns ? std::string(widths[column] - cell.size() + 2, ' ') : std::string();
            if (index == 0)
                cell = style.bold(cell);
            else if (column == 1)
                cell = style.state(cell);
            line += cell + padding;
        }
        out << line << '\n';
    }
}

void printModemStatus(std::ostream& out, const ModemInfo& modem, const Style& style, uint64_t nowUsec) {
    auto field = [&](const char* label, const std::string& value) {
        std::string padded = label;
        padded.resize(11, ' ');
        out << "  " << style.dim(padded) << value << '\n';
    };
    out << style.bold(modem.id) << '\n';
    std::string state = style.state(modem.state);
    if (modem.connectedSinceUsec) {
        state += " since " + formatLocalTime(modem.connectedSinceUsec);
        if (nowUsec > modem.connectedSinceUsec)
            state += " (" + formatDuration(nowUsec - modem.connectedSinceUsec) + ")";
    }
    field("State", state);
    field("Model", modelLine(modem));
    field("Device", modem.device);
    field("AT port", orDash(modem.atPort));
    if (!modem.interface.empty()) field("Interface", modem.interface);
    if (!modem.ipv4Address.empty()) field("Address", modem.ipv4Address + ", peer " + orDash(modem.peerAddress));
    auto joined = [](const std::vector<std::string>& items) {
        std::string text;
        for (const std::string& item : items) text += (text.empty() ? "" : " ") + item;
        return text;
    };
    if (!modem.ipv6Addresses.empty()) field("IPv6", joined(modem.ipv6Addresses));
    if (!modem.interface.empty())
        field("Route", modem.defaultRoute
                           ? "default via " + modem.interface + ", metric " + std::to_string(modem.routeMetric)
                           : std::string("no default route"));
    if (!modem.dns.empty() || !modem.dnsBackend.empty())
        field("DNS", orDash(joined(modem.dns)) + (modem.dnsBackend.empty() ? "" : " (" + dnsWhere(modem) + ")"));
    if (!modem.atPort.empty()) {
        // What the module says of itself over its AT port (unknown while the daemon has not read it).
        std::string sim = modem.simState.empty() ? "unknown" : modem.simState;
        if (!modem.iccid.empty()) sim += ", ICCID " + modem.iccid;
        field("SIM", sim);
        field("Network", formatNetwork(modem));
        field("Signal", formatSignal(modem));
        if (!modem.imei.empty()) field("IMEI", modem.imei);
    }
    field("Last exit", formatReason(modem.lastExitReason));
    if (modem.nextReconnectUsec) field("Redial", formatRedial(modem.reconnectAttempts, modem.nextReconnectUsec));
    if (modem.lastCallDurationUsec)
        field("Last call", formatDuration(modem.lastCallDurationUsec) + ", " + formatBytes(modem.lastCallBytesIn) +
                               " in, " + formatBytes(modem.lastCallBytesOut) + " out");
}

void printCallLogs(std::ostream& out, const std::string& modemId, const std::vector<CallLog>& calls,
                   const Style& style) {
    if (calls.empty()) {
        out << modemId << ": no calls kept.\n";
        return;
    }
    for (size_t index = 0; index < calls.size(); ++index) {
        const CallLog& call = calls[index];
        if (index) out << '\n';
        out << style.bold("# " + modemId + ": call of " + formatLocalTime(call.startedUsec) + ", " +
                          formatDuration(call.durationUsec) + ", " + std::to_string(call.reason.code) + " " +
                          call.reason.name + (call.requested ? " (requested)" : ""))
            << '\n';
        out << call.text;
        if (!call.text.empty() && call.text.back() != '\n') out << '\n';
    }
}

nlohmann::json toJson(const ModemStats& stats) {
    nlohmann::json ends = nlohmann::json::object();
    for (const auto& [code, count] : stats.ends) ends[std::to_string(code)] = count;
    nlohmann::json recoveries = nlohmann::json::object();
    for (const auto& [step, count] : stats.recoveries) recoveries[step] = count;
    return {
        {"calls_started", stats.callsStarted},
        {"calls_up", stats.callsUp},
        {"ends", ends},
        {"recoveries", recoveries},
        {"watchdog_failures", stats.watchdogFailures},
        {"bytes_in", stats.bytesIn},
        {"bytes_out", stats.bytesOut},
        {"since_usec", stats.sinceUsec},
        {"data_period", stats.dataPeriod},
        {"period_start_usec", stats.periodStartUsec},
        {"period_end_usec", stats.periodEndUsec},
        {"period_bytes_in", stats.periodBytesIn},
        {"period_bytes_out", stats.periodBytesOut},
        {"data_limit", stats.dataLimit},
        {"data_limit_reached", stats.dataLimitReached},
        {"live_bytes_in", stats.live ? nlohmann::json(stats.liveBytesIn) : nlohmann::json(nullptr)},
        {"live_bytes_out", stats.live ? nlohmann::json(stats.liveBytesOut) : nlohmann::json(nullptr)},
    };
}

void printStatistics(std::ostream& out, const std::string& modemId, const ModemStats& stats, const Style& style) {
    auto row = [&out, &style](const std::string& label, const std::string& value) {
        std::string padded = label;
        padded.resize(std::max<size_t>(padded.size(), 13), ' ');
        out << "  " << style.dim(padded) << ' ' << value << '\n';
    };
    auto list = [](const auto& counts, auto name) {
        std::string text;
        for (const auto& [key, count] : counts)
            text += (text.empty() ? "" : ", ") + name(key) + " " + std::to_string(count) + "x";
        return text.empty() ? std::string("none") : text;
    };
    out << style.bold(modemId + ": counted since " + formatLocalTime(stats.sinceUsec)) << '\n';
    row("calls", std::to_string(stats.callsStarted) + " started, " + std::to_string(stats.callsUp) + " up");
    row("ends", list(stats.ends, [](uint32_t code) { return std::to_string(code); }));
    row("recoveries", list(stats.recoveries, [](const std::string& step) { return step; }));
    row("watchdog", std::to_string(stats.watchdogFailures) + " failed probes");
    row("traffic", formatBytes(stats.bytesIn) + " in, " + formatBytes(stats.bytesOut) + " out (finished calls)");
    row("this period", formatBytes(stats.periodBytesIn) + " in, " + formatBytes(stats.periodBytesOut) + " out, " +
                           stats.dataPeriod + " from " + formatLocalTime(stats.periodStartUsec) + " to " +
                           formatLocalTime(stats.periodEndUsec));
    if (stats.dataLimit == 0)
        row("data limit", "none");
    else if (stats.dataLimitReached)
        row("data limit", style.red(formatBytes(stats.dataLimit) + " (" + std::to_string(stats.dataLimit) +
                                    " bytes): reached, no calls until " + formatLocalTime(stats.periodEndUsec)));
    else
        row("data limit",
            formatBytes(stats.dataLimit) + " (" + std::to_string(stats.dataLimit) + " bytes), " +
                formatBytes(stats.dataLimit - std::min(stats.dataLimit, stats.periodBytesIn + stats.periodBytesOut)) +
                " left");
    if (stats.live)
        row("this call", formatBytes(stats.liveBytesIn) + " in, " + formatBytes(stats.liveBytesOut) + " out");
}

void printJsonLine(std::ostream& out, const nlohmann::json& value) {
    // Invalid UTF-8 (a tty name or a module's answer could hold any byte) becomes U+FFFD rather
    // than an exception: the line stays valid JSON.
    out << value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    out.flush();
}

}  // namespace dialupctl
