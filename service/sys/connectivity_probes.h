// SPDX-License-Identifier: GPL-2.0-or-later
// The connectivity watchdog's probes (core/connectivity_check.h) on real sockets, each bound to
// the call's ppp interface (SO_BINDTODEVICE: the probe goes over the link or nowhere) and
// non-blocking in the event loop: an ICMP echo (a datagram "ping" socket, which the unit's
// sandbox allows without CAP_NET_RAW where net.ipv4.ping_group_range includes root's group, as
// Debian's systemd sets it; a raw socket where that is refused and CAP_NET_RAW is there), a DNS
// query over UDP for an A record, a TCP connect. The interface's received bytes come from
// /sys/class/net/<if>/statistics/rx_bytes, read as a small file that is never followed as a link.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/connectivity_check.h"
#include "sys/event_loop.h"

namespace dialupd {

class SystemConnectivityProber final : public ConnectivityProber {
public:
    explicit SystemConnectivityProber(EventLoop& loop) : loop_(loop) {}
    std::optional<uint64_t> rxBytes(const std::string& interface) override;
    std::unique_ptr<Probe> start(const ProbeRequest& request, std::function<void(ProbeAnswer)> answered) override;

private:
    EventLoop& loop_;
};

// The DNS query for an A record of `name` with id `id` (RFC 1035 4.1: header, one question,
// recursion desired), and what an answer to it says: nullopt when `reply` is no answer to that
// query (another id, not a response, too short), else "NOERROR, 1 answer" and the like.
std::string dnsQuery(const std::string& name, uint16_t id);
std::optional<std::string> dnsAnswer(const std::string& reply, uint16_t id, bool& ok);

}  // namespace dialupd
