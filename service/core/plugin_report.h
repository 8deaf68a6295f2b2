// The line protocol between our pppd plugin (service/plugin/) and the daemon. One report per
// line, fields separated by one space:
//   phase <name>                                   pppd entered a phase (dead, establish, ...)
//   interface <ifname>                             pppd's interface exists (before any protocol is up)
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

struct PluginReport {
    enum class Kind { Phase, Interface, IpUp, IpDown, Cause, Stats, Exit };
    Kind kind = Kind::Phase;
    std::string phase;      // Phase
    IpConfig ip;            // IpUp; Interface: only ip.interface
    uint64_t bytesIn = 0;   // Stats
    uint64_t bytesOut = 0;  // Stats
    uint64_t seconds = 0;   // Stats
    int exitStatus = 0;     // Cause, Exit
};

// nullopt for a line that is not a well-formed report (the caller logs it).
std::optional<PluginReport> parsePluginReport(std::string_view line);

}  // namespace dialupd
