// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugin_report.h"

#include <arpa/inet.h>

#include <charconv>

namespace dialupd {
namespace {

std::vector<std::string_view> splitFields(std::string_view line) {
    std::vector<std::string_view> fields;
    while (!line.empty()) {
        size_t space = line.find(' ');
        fields.push_back(line.substr(0, space));
        if (space == std::string_view::npos) break;
        line.remove_prefix(space + 1);
    }
    return fields;
}

bool isIpv4(std::string_view text) {
    // inet_pton stops at a NUL: what follows one must not ride along into the Dns property.
    if (text.find_first_not_of("0123456789.") != std::string_view::npos) return false;
    in_addr address{};
    return text.size() < INET_ADDRSTRLEN && inet_pton(AF_INET, std::string(text).c_str(), &address) == 1;
}

// The report is outside text too: its free-form fields are held to what the plugin sends (and
// what D-Bus and the journal can take as it is), so nothing from it needs sanitizing later.
bool isInterfaceName(std::string_view text) {
    if (text.empty() || text.size() >= 16) return false;  // IFNAMSIZ
    for (unsigned char c : text)
        if (c <= ' ' || c >= 0x7f || c == '/') return false;  // printable ASCII, as pppd names them
    return true;
}

// The plugin's phase names: "dead", "establish", ..., "unknown".
bool isPhaseName(std::string_view text) {
    if (text.empty() || text.size() > 32) return false;
    for (char c : text)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

// The sysctl file names the plugin writes: lower case, digits and '_'.
bool isSysctlName(std::string_view text) {
    if (text.empty() || text.size() > 32) return false;
    for (char c : text)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

template <typename Number>
bool parseNumber(std::string_view text, Number& out) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<PluginReport> parsePluginReport(std::string_view line) {
    std::vector<std::string_view> fields = splitFields(line);
    if (fields.empty()) return std::nullopt;
    PluginReport report;
    std::string_view verb = fields[0];
    if (verb == "phase" && fields.size() == 2 && isPhaseName(fields[1])) {
        report.kind = PluginReport::Kind::Phase;
        report.phase = fields[1];
        return report;
    }
    if ((verb == "interface" || verb == "ipv6-up") && fields.size() == 2 && isInterfaceName(fields[1])) {
        report.kind = verb == "interface" ? PluginReport::Kind::Interface : PluginReport::Kind::Ipv6Up;
        report.ip.interface = fields[1];
        return report;
    }
    if (verb == "ipv6-sysctl" && (fields.size() == 5 || fields.size() == 6)) {
        report.kind = PluginReport::Kind::Ipv6Sysctl;
        Ipv6Sysctl& sysctl = report.sysctl;
        if (!isInterfaceName(fields[1]) || !isSysctlName(fields[2]) || !parseNumber(fields[3], sysctl.value))
            return std::nullopt;
        report.ip.interface = fields[1];
        sysctl.name = fields[2];
        std::string_view outcome = fields[4];
        if (fields.size() == 5 && outcome == "ok") {
            sysctl.outcome = Ipv6Sysctl::Outcome::Ok;
        } else if (fields.size() == 5 && outcome == "absent") {
            sysctl.outcome = Ipv6Sysctl::Outcome::Absent;
        } else if (fields.size() == 6 && outcome == "error" && parseNumber(fields[5], sysctl.error) &&
                   sysctl.error > 0 && sysctl.error < 4096) {
            sysctl.outcome = Ipv6Sysctl::Outcome::Failed;
        } else {
            return std::nullopt;
        }
        return report;
    }
    if (verb == "ip-up" && fields.size() == 6) {
        report.kind = PluginReport::Kind::IpUp;
        if (!isInterfaceName(fields[1]) || !isIpv4(fields[2]) || !isIpv4(fields[3])) return std::nullopt;
        report.ip.interface = fields[1];
        report.ip.localAddress = fields[2];
        report.ip.peerAddress = fields[3];
        for (std::string_view dns : {fields[4], fields[5]}) {
            if (dns == "-") continue;
            if (!isIpv4(dns)) return std::nullopt;
            report.ip.dns.emplace_back(dns);
        }
        return report;
    }
    if (verb == "ip-down" && fields.size() == 1) {
        report.kind = PluginReport::Kind::IpDown;
        return report;
    }
    if (verb == "stats" && fields.size() == 4) {
        report.kind = PluginReport::Kind::Stats;
        if (!parseNumber(fields[1], report.bytesIn) || !parseNumber(fields[2], report.bytesOut) ||
            !parseNumber(fields[3], report.seconds))
            return std::nullopt;
        return report;
    }
    if ((verb == "exit" || verb == "cause") && fields.size() == 2) {
        report.kind = verb == "exit" ? PluginReport::Kind::Exit : PluginReport::Kind::Cause;
        if (!parseNumber(fields[1], report.exitStatus)) return std::nullopt;
        return report;
    }
    return std::nullopt;
}

}  // namespace dialupd
