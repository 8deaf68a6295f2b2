// SPDX-License-Identifier: GPL-2.0-or-later
// The line protocol between our pppd plugin (service/plugin/) and the daemon. One report per
// line, fields separated by one space:
//   phase <name>                                   pppd entered a phase (dead, establish, ...)
//   interface <ifname>                             the ppp unit exists (from the establish phase on,
//                                                  before any NCP is up)
//   ipv6-sysctl <ifname> <name> <value> <outcome>  the plugin set /proc/sys/net/ipv6/conf/<ifname>/<name>
//                                                  (before IPV6CP): outcome "ok", "absent" (no such
//                                                  file: an older kernel) or "error <errno>"
//   ipv6-up <ifname>                               IPV6CP is up (link-local addresses set)
//   ip-up <ifname> <local> <peer> <dns1> <dns2>    IPCP is up; a missing DNS is "-"
//   ip-down                                        IPCP went down
//   cause <status>                                 why the link began to go down (pppd's status then)
//   stats <bytes-in> <bytes-out> <seconds>         link statistics when the link ends
//   exit <status>                                  pppd is exiting with this status
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dialupd {

struct IpConfig {
    std::string interface;
    std::string localAddress;
    std::string peerAddress;
    std::vector<std::string> dns;

    bool operator==(const IpConfig&) const = default;
};

// One per-interface IPv6 sysctl the plugin wrote (or could not).
struct Ipv6Sysctl {
    enum class Outcome { Ok, Absent, Failed };
    std::string name;  // "accept_ra", "accept_ra_defrtr", "ra_defrtr_metric": [a-z0-9_], 1 to 32
    uint32_t value = 0;
    Outcome outcome = Outcome::Ok;
    int error = 0;  // Failed: the errno, 1 to 4095

    bool operator==(const Ipv6Sysctl&) const = default;
};

struct PluginReport {
    enum class Kind { Phase, Interface, Ipv6Sysctl, Ipv6Up, IpUp, IpDown, Cause, Stats, Exit };
    Kind kind = Kind::Phase;
    std::string phase;      // Phase
    IpConfig ip;            // IpUp; Interface, Ipv6Up and Ipv6Sysctl: ip.interface only
    Ipv6Sysctl sysctl;      // Ipv6Sysctl
    uint64_t bytesIn = 0;   // Stats
    uint64_t bytesOut = 0;  // Stats
    uint64_t seconds = 0;   // Stats
    int exitStatus = 0;     // Cause, Exit
};

// nullopt for a line that is not a well-formed report (the caller logs it).
std::optional<PluginReport> parsePluginReport(std::string_view line);

}  // namespace dialupd
