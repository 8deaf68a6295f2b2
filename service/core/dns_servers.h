// SPDX-License-Identifier: GPL-2.0-or-later
// DNS servers as text (pppd's report, a router advertisement's RDNSS) turned into what the
// resolvers take: systemd-resolved's (family, address bytes) and resolvconf's "nameserver" lines.
// Pure functions, so the hostile cases are unit tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dialupd {

struct DnsServerAddress {
    int family = 0;              // AF_INET or AF_INET6
    std::vector<uint8_t> bytes;  // 4 or 16, network order
};

// A plain numeric IPv4 ("10.64.0.53") or IPv6 ("2001:db8::53") address; nullopt for anything
// else (names, a zone "%ppp0", a prefix "/64", spaces, embedded NULs).
std::optional<DnsServerAddress> parseDnsServer(std::string_view text);

// resolvconf's input for `servers`: one "nameserver X\n" line per server that parses; a server
// that does not is left out (it could not smuggle a line of its own in).
std::string resolvconfInput(const std::vector<std::string>& servers);

// The record name resolvconf files the link's servers under ("ppp0.dialupd"); nullopt for an
// interface name that is no safe file name or could pass for an option (empty, longer than the
// kernel's 15 bytes, '/', whitespace, a leading '-' or '.', a control character).
std::optional<std::string> resolvconfRecordName(std::string_view ifname);

}  // namespace dialupd
