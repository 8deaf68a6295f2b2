// SPDX-License-Identifier: GPL-2.0-or-later
#include "rdnss.h"

#include <arpa/inet.h>

#include <cstring>

namespace dialupd {
namespace {

constexpr size_t kUnit = 8;         // ND option lengths count 8-octet units
constexpr size_t kRdnssHeader = 8;  // type, length, reserved (2), lifetime (4)
constexpr size_t kAddressSize = 16;

std::string ipv6Text(const uint8_t* bytes) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, bytes, text, sizeof text);
    return text;
}

}  // namespace

std::optional<RdnssOption> parseRdnssOption(std::span<const uint8_t> options) {
    std::optional<RdnssOption> found;
    size_t offset = 0;
    while (options.size() - offset >= 2) {
        uint8_t type = options[offset];
        size_t length = size_t(options[offset + 1]) * kUnit;
        if (length == 0 || length > options.size() - offset) break;  // RFC 4861: drop the rest
        const uint8_t* option = options.data() + offset;
        offset += length;
        if (type != kNdOptionRdnss) continue;
        // 1 unit of header, then 2 units per address; at least one address.
        if (length < kRdnssHeader + kAddressSize || (length - kRdnssHeader) % kAddressSize != 0) continue;
        RdnssOption rdnss;
        uint32_t lifetime = 0;
        std::memcpy(&lifetime, option + 4, sizeof lifetime);
        rdnss.lifetimeSeconds = ntohl(lifetime);
        for (size_t at = kRdnssHeader; at < length; at += kAddressSize) rdnss.servers.push_back(ipv6Text(option + at));
        found = std::move(rdnss);
    }
    return found;
}

}  // namespace dialupd
