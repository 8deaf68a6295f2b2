// SPDX-License-Identifier: GPL-2.0-or-later
#include "dns_servers.h"

#include <arpa/inet.h>

#include <algorithm>

namespace dialupd {

std::optional<DnsServerAddress> parseDnsServer(std::string_view text) {
    // inet_pton needs a NUL-terminated string; an embedded NUL would cut the text short.
    if (text.empty() || text.size() > INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos)
        return std::nullopt;
    const std::string terminated(text);
    DnsServerAddress address;
    uint8_t buffer[16];
    if (inet_pton(AF_INET, terminated.c_str(), buffer) == 1) {
        address.family = AF_INET;
        address.bytes.assign(buffer, buffer + 4);
        return address;
    }
    if (inet_pton(AF_INET6, terminated.c_str(), buffer) == 1) {
        address.family = AF_INET6;
        address.bytes.assign(buffer, buffer + 16);
        return address;
    }
    return std::nullopt;
}

std::string resolvconfInput(const std::vector<std::string>& servers) {
    std::string input;
    for (const std::string& server : servers)
        // inet_pton accepted it, so it is digits, hex, '.' and ':' only.
        if (parseDnsServer(server)) input += "nameserver " + server + "\n";
    return input;
}

std::optional<std::string> resolvconfRecordName(std::string_view ifname) {
    constexpr size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1
    if (ifname.empty() || ifname.size() > kMaxInterfaceName || ifname.front() == '-' || ifname.front() == '.')
        return std::nullopt;
    const bool safe = std::all_of(ifname.begin(), ifname.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return byte > ' ' && byte < 0x7f && c != '/';
    });
    if (!safe) return std::nullopt;
    return std::string(ifname) + ".dialupd";
}

}  // namespace dialupd
