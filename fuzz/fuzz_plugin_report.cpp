// SPDX-License-Identifier: GPL-2.0-or-later
// The plugin's line protocol (service/core/plugin_report.h), as pppd's side of the pipe may
// send it: any bytes, split into lines as LineReader does. A report the parser accepts must be
// what it claims, and hold only what may go on D-Bus (the interface and addresses are published
// as they are).
#include <arpa/inet.h>

#include <algorithm>

#include "core/plugin_report.h"
#include "fuzz.h"

using namespace dialupd;

namespace {

std::string format(const PluginReport& report) {
    switch (report.kind) {
        case PluginReport::Kind::Phase:
            return "phase " + report.phase;
        case PluginReport::Kind::Interface:
            return "interface " + report.ip.interface;
        case PluginReport::Kind::Ipv6Up:
            return "ipv6-up " + report.ip.interface;
        case PluginReport::Kind::Ipv6Sysctl: {
            const Ipv6Sysctl& sysctl = report.sysctl;
            std::string outcome = sysctl.outcome == Ipv6Sysctl::Outcome::Ok ? "ok"
                                  : sysctl.outcome == Ipv6Sysctl::Outcome::Absent
                                      ? "absent"
                                      : fmt::format("error {}", sysctl.error);
            return fmt::format("ipv6-sysctl {} {} {} {}", report.ip.interface, sysctl.name, sysctl.value, outcome);
        }
        case PluginReport::Kind::IpUp: {
            const IpConfig& ip = report.ip;
            return fmt::format("ip-up {} {} {} {} {}", ip.interface, ip.localAddress, ip.peerAddress,
                               ip.dns.size() > 0 ? ip.dns[0] : "-", ip.dns.size() > 1 ? ip.dns[1] : "-");
        }
        case PluginReport::Kind::IpDown:
            return "ip-down";
        case PluginReport::Kind::Cause:
            return fmt::format("cause {}", report.exitStatus);
        case PluginReport::Kind::Stats:
            return fmt::format("stats {} {} {}", report.bytesIn, report.bytesOut, report.seconds);
        case PluginReport::Kind::Exit:
            return fmt::format("exit {}", report.exitStatus);
    }
    return "";
}

bool same(const PluginReport& a, const PluginReport& b) {
    return a.kind == b.kind && a.phase == b.phase && a.ip == b.ip && a.sysctl == b.sysctl && a.bytesIn == b.bytesIn &&
           a.bytesOut == b.bytesOut && a.seconds == b.seconds && a.exitStatus == b.exitStatus;
}

void checkAddress(const std::string& address, std::string_view line) {
    in_addr parsed{};
    FUZZ_CHECK(inet_pton(AF_INET, address.c_str(), &parsed) == 1, "'{}' from '{}' is no IPv4 address", address, line);
    FUZZ_CHECK(std::all_of(address.begin(), address.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; }),
               "address '{}' holds more than digits and dots", address);
}

// Published as the Interface property: at most IFNAMSIZ-1 printable ASCII bytes, no '/'.
void checkInterface(const std::string& name) {
    FUZZ_CHECK(!name.empty() && name.size() < 16, "interface name of {} bytes", name.size());
    FUZZ_CHECK(std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 0x7f && c != '/'; }),
               "interface name '{}' holds a byte that is not printable ASCII", name);
}

void check(std::string_view line) {
    std::optional<PluginReport> report = parsePluginReport(line);
    if (!report) return;
    std::string verb(line.substr(0, line.find(' ')));
    // One trailing space is tolerated (an empty last field is not counted).
    if (line.ends_with(' ')) line.remove_suffix(1);
    switch (report->kind) {
        case PluginReport::Kind::Phase:
            FUZZ_CHECK(verb == "phase" && !report->phase.empty() && report->phase.find(' ') == std::string::npos,
                       "bad phase report from '{}'", line);
            FUZZ_CHECK(line == "phase " + report->phase, "phase '{}' is not what '{}' says", report->phase, line);
            break;
        case PluginReport::Kind::IpUp: {
            FUZZ_CHECK(verb == "ip-up", "'{}' parsed as ip-up", line);
            checkInterface(report->ip.interface);
            checkAddress(report->ip.localAddress, line);
            checkAddress(report->ip.peerAddress, line);
            FUZZ_CHECK(report->ip.dns.size() <= 2, "{} DNS servers", report->ip.dns.size());
            for (const std::string& dns : report->ip.dns) checkAddress(dns, line);
            break;
        }
        case PluginReport::Kind::Interface:
            FUZZ_CHECK(verb == "interface", "'{}' parsed as interface", line);
            checkInterface(report->ip.interface);
            FUZZ_CHECK(line == "interface " + report->ip.interface, "interface '{}' is not what '{}' says",
                       report->ip.interface, line);
            break;
        case PluginReport::Kind::Ipv6Up:
            FUZZ_CHECK(verb == "ipv6-up", "'{}' parsed as ipv6-up", line);
            checkInterface(report->ip.interface);
            FUZZ_CHECK(line == "ipv6-up " + report->ip.interface, "ipv6-up '{}' is not what '{}' says",
                       report->ip.interface, line);
            break;
        case PluginReport::Kind::Ipv6Sysctl: {
            FUZZ_CHECK(verb == "ipv6-sysctl", "'{}' parsed as ipv6-sysctl", line);
            checkInterface(report->ip.interface);
            // The name goes into a path in the call log: a plain file name, never a way up or out.
            const std::string& name = report->sysctl.name;
            FUZZ_CHECK(
                !name.empty() && name.size() <= 32 &&
                    std::all_of(name.begin(), name.end(),
                                [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }),
                "sysctl name '{}' from '{}'", name, line);
            bool failed = report->sysctl.outcome == Ipv6Sysctl::Outcome::Failed;
            FUZZ_CHECK(failed ? report->sysctl.error > 0 && report->sysctl.error < 4096 : report->sysctl.error == 0,
                       "errno {} from '{}'", report->sysctl.error, line);
            break;
        }
        case PluginReport::Kind::IpDown:
            FUZZ_CHECK(line == "ip-down", "'{}' parsed as ip-down", line);
            break;
        case PluginReport::Kind::Cause:
            FUZZ_CHECK(verb == "cause", "'{}' parsed as cause", line);
            break;
        case PluginReport::Kind::Stats:
            FUZZ_CHECK(verb == "stats", "'{}' parsed as stats", line);
            break;
        case PluginReport::Kind::Exit:
            FUZZ_CHECK(verb == "exit", "'{}' parsed as exit", line);
            break;
    }
    // What was accepted says the same when written out canonically and read again.
    std::string canonical = format(*report);
    std::optional<PluginReport> again = parsePluginReport(canonical);
    FUZZ_CHECK(again && same(*report, *again), "'{}' read as '{}', which does not read back the same", line, canonical);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    fuzz::forEachLine(input, [](std::string_view line) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // as LineReader does
        check(line);
    });
    return 0;
}
