// SPDX-License-Identifier: GPL-2.0-or-later
// DNS servers from a router advertisement's RDNSS option (RFC 8106). The kernel passes an RA's
// options it does not handle itself to user space in RTM_NEWNDUSEROPT messages; the bytes come
// from the network, so the option is parsed here, strictly and bounds-checked, with no netlink
// around it (unit tests and fuzzers feed it bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dialupd {

inline constexpr uint8_t kNdOptionRdnss = 25;

struct RdnssOption {
    uint32_t lifetimeSeconds = 0;      // 0: the servers must no longer be used
    std::vector<std::string> servers;  // IPv6 addresses as text ("2001:db8::53"), in the RA's order

    bool operator==(const RdnssOption&) const = default;
};

// `options`: a sequence of ND options (RFC 4861 4.6: type, length in units of 8 octets, body),
// as RTM_NEWNDUSEROPT carries them after struct nduseroptmsg. Returns the last well-formed RDNSS
// option among them; other option types are skipped, a malformed RDNSS option (length not 1 + 2n
// units, n >= 1) is ignored, and a length that runs past the end (or is 0) ends the walk.
std::optional<RdnssOption> parseRdnssOption(std::span<const uint8_t> options);

}  // namespace dialupd
