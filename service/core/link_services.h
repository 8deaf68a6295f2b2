// SPDX-License-Identifier: GPL-2.0-or-later
// What putting a call's link online needs from the system, as small interfaces the core drives:
// the kernel's routing table and the link's IPv6 events (rtnetlink, sys/netlink_*), and where DNS
// servers go (systemd-resolved over D-Bus, resolvconf(8); sys/*_dns.*). Unit tests fake them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dialupd {

// The IPv4 default route a call adds next to any other (never replacing one): `default dev
// <ifindex> metric <metric>`, protocol "static", scope link (a PPP link has no gateway to name).
class RouteTable {
public:
    virtual ~RouteTable() = default;
    // The interface's index, 0 when there is no such interface.
    virtual int ifindex(const std::string& ifname) = 0;
    // Throws dialupd::Error(kInternal) with the kernel's answer when the route cannot be added
    // (an identical route already there counts as added).
    virtual void addDefaultRoute(int ifindex, uint32_t metric) = 0;
    // Removes it; no error when it is gone already (the interface went, taking it along).
    // Returns false when it was not there.
    virtual bool removeDefaultRoute(int ifindex, uint32_t metric) = 0;
};

// What the kernel says about one interface's IPv6, once asked to follow it.
class LinkEventsObserver {
public:
    // Every global (scope universe) IPv6 address the interface has now, as text; called when that
    // list changes (SLAAC from the router advertisement adds one; expiry or the link's end
    // removes it).
    virtual void linkIpv6AddressesChanged(const std::vector<std::string>& addresses) = 0;
    // DNS servers from a router advertisement's RDNSS option (RFC 8106, RTM_NEWNDUSEROPT), as
    // text, the newest advertisement's list; empty when their lifetime was 0.
    virtual void linkRdnssChanged(const std::vector<std::string>& servers) = 0;

protected:
    ~LinkEventsObserver() = default;
};

// An rtnetlink subscription (IPv6 addresses, ND user options) that is open while a handle lives.
// A call opens one before pppd starts, since a router advertisement's RDNSS is told to user space
// once and never again; events of interfaces nobody follows yet are kept until follow() (per
// ifindex, the newest state only) and dropped with the handle. An idle daemon holds none, so it
// never wakes for other interfaces' changes.
class LinkWatch {
public:
    virtual ~LinkWatch() = default;
    // From now on, report `ifindex`'s state to `observer` (at once when something is known).
    virtual void follow(int ifindex, LinkEventsObserver& observer) = 0;
};

class LinkWatchFactory {
public:
    virtual ~LinkWatchFactory() = default;
    // Throws dialupd::Error(kInternal) when the socket cannot be opened.
    virtual std::unique_ptr<LinkWatch> open() = 0;
};

// One link's DNS as handed to the system.
struct LinkDns {
    int ifindex = 0;
    std::string ifname;                // "ppp0"
    std::vector<std::string> servers;  // IPv4 and IPv6 addresses as text, in order of preference
    // This link carries the default route: lookups for every domain may go here (resolved's
    // routing-only domain "~." and its per-link DefaultRoute flag).
    bool defaultRoute = false;
};

// Where a link's DNS goes. Calls finish asynchronously on the event loop; `error` is empty on
// success, else a one-line reason for the call log.
using DnsDone = std::function<void(const std::optional<std::string>& error)>;

class DnsBackend {
public:
    virtual ~DnsBackend() = default;
    virtual std::string_view name() const = 0;  // "resolved", "resolvconf"
    // Sets (or replaces) the link's servers, domains and default-route flag.
    virtual void apply(const LinkDns& dns, DnsDone done) = 0;
    // Takes the link's DNS away again. A link the backend has forgotten by itself (resolved does
    // when the interface goes: its answer is NoSuchLink) counts as done.
    virtual void revert(const LinkDns& dns, DnsDone done) = 0;
    // Whether the backend forgets a link's DNS by itself when the interface goes (resolved does),
    // so that a call whose interface is gone needs no revert.
    virtual bool forgetsWithInterface() const { return false; }
};

enum class DnsMode { Auto, Resolved, Resolvconf, None };
std::string_view toString(DnsMode mode);  // "auto", ...
std::optional<DnsMode> parseDnsMode(std::string_view text);

class DnsBackends {
public:
    virtual ~DnsBackends() = default;
    // The backend for `mode`, decided now (Auto: resolved when org.freedesktop.resolve1 has an
    // owner on the bus, else resolvconf when resolvconf(8) is installed). `chosen` gets nullptr
    // with a one-line reason when there is none (mode None, or nothing installed/running).
    using Chosen = std::function<void(DnsBackend* backend, const std::string& whyNone)>;
    virtual void choose(DnsMode mode, Chosen chosen) = 0;
};

}  // namespace dialupd
