// SPDX-License-Identifier: GPL-2.0-or-later
#include "prometheus_text.h"

#include <functional>

#include <fmt/format.h>

namespace dialupd {
namespace {

constexpr ModemState kStates[] = {ModemState::Unavailable, ModemState::Disconnected,  ModemState::Connecting,
                                  ModemState::Connected,   ModemState::Disconnecting, ModemState::Resetting};

// A label value: backslash, double quote and newline escaped (the exposition format's rule).
std::string labelValue(std::string_view text) {
    std::string escaped;
    for (char c : text) {
        if (c == '\\')
            escaped += "\\\\";
        else if (c == '"')
            escaped += "\\\"";
        else if (c == '\n')
            escaped += "\\n";
        else
            escaped += c;
    }
    return escaped;
}

class Writer {
public:
    explicit Writer(const std::vector<ModemMetrics>& modems) : modems_(modems) {}

    // One metric: its HELP and TYPE, then what `series` adds for each modem.
    void metric(std::string_view name, std::string_view type, std::string_view help,
                const std::function<void(const ModemMetrics&, const std::string& modemLabel)>& series) {
        text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
        for (const ModemMetrics& modem : modems_) series(modem, fmt::format("modem=\"{}\"", labelValue(modem.id)));
    }
    void sample(std::string_view name, const std::string& labels, uint64_t value) {
        text_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
    }
    std::string text() && { return std::move(text_); }

private:
    const std::vector<ModemMetrics>& modems_;
    std::string text_;
};

}  // namespace

std::string formatPrometheus(const std::vector<ModemMetrics>& modems) {
    Writer out(modems);
    auto simple = [&out](const char* name, const char* type, const char* help, auto value) {
        out.metric(name, type, help, [&](const ModemMetrics& modem, const std::string& labels) {
            out.sample(name, labels, value(modem.statistics));
        });
    };
    simple("dialupd_calls_started_total", "counter", "Call attempts started (Connect, autoconnect, redial).",
           [](const ModemStatistics& s) { return s.counters.callsStarted; });
    simple("dialupd_calls_up_total", "counter", "Call attempts whose link came online.",
           [](const ModemStatistics& s) { return s.counters.callsUp; });
    out.metric("dialupd_call_ends_total", "counter",
               "Calls ended, by exit reason code (LastExitReason's; requested ends included).",
               [&](const ModemMetrics& modem, const std::string& labels) {
                   for (const auto& [code, count] : modem.statistics.counters.ends)
                       out.sample("dialupd_call_ends_total", fmt::format("{},code=\"{}\"", labels, code), count);
               });
    out.metric("dialupd_recoveries_total", "counter",
               "Module recoveries, by the step that brought the module back (\"failed\": none did).",
               [&](const ModemMetrics& modem, const std::string& labels) {
                   for (const auto& [step, count] : modem.statistics.counters.recoveries)
                       out.sample("dialupd_recoveries_total", fmt::format("{},step=\"{}\"", labels, labelValue(step)),
                                  count);
               });
    simple("dialupd_watchdog_failures_total", "counter", "Connectivity probes that failed.",
           [](const ModemStatistics& s) { return s.counters.watchdogFailures; });
    simple("dialupd_received_bytes_total", "counter", "Bytes received over the finished calls.",
           [](const ModemStatistics& s) { return s.counters.bytesIn; });
    simple("dialupd_sent_bytes_total", "counter", "Bytes sent over the finished calls.",
           [](const ModemStatistics& s) { return s.counters.bytesOut; });
    simple("dialupd_period_received_bytes", "gauge", "Bytes received in the current data period (finished calls).",
           [](const ModemStatistics& s) { return s.periodBytesIn; });
    simple("dialupd_period_sent_bytes", "gauge", "Bytes sent in the current data period (finished calls).",
           [](const ModemStatistics& s) { return s.periodBytesOut; });
    simple("dialupd_period_start_seconds", "gauge", "When the current data period began (Unix time).",
           [](const ModemStatistics& s) { return s.period.startUsec / 1'000'000; });
    simple("dialupd_data_limit_bytes", "gauge", "The data-limit per period, bytes in and out together (0: none).",
           [](const ModemStatistics& s) { return s.plan.limitBytes; });
    simple("dialupd_data_limit_reached", "gauge", "1 while this period's traffic is at the data-limit.",
           [](const ModemStatistics& s) { return static_cast<uint64_t>(s.limitReached); });
    out.metric("dialupd_modem_state", "gauge", "1 for the modem's current state, 0 for the others.",
               [&](const ModemMetrics& modem, const std::string& labels) {
                   for (ModemState state : kStates)
                       out.sample("dialupd_modem_state", fmt::format("{},state=\"{}\"", labels, toString(state)),
                                  state == modem.state ? 1 : 0);
               });
    return std::move(out).text();
}

}  // namespace dialupd
