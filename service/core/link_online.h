// SPDX-License-Identifier: GPL-2.0-or-later
// One call's link handed to the system: the IPv4 default route next to any other, the network's
// DNS servers to systemd-resolved or resolvconf, and the IPv6 the router advertisement brings
// (global addresses, RDNSS). Lives from before pppd starts (the link watch must be open before the
// router advertisement arrives) until the call has ended; each step it takes or skips goes into
// the call log through `note`, so a Hangup says what was configured and what was taken away.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "call_settings.h"
#include "link_services.h"
#include "plugin_report.h"

namespace dialupd {

// The daemon's system services for this work; any may be null (unit tests, a daemon without a
// bus): what needs it is then skipped, and the call log says so.
struct OnlineServices {
    RouteTable* routes = nullptr;
    LinkWatchFactory* linkWatch = nullptr;
    DnsBackends* dns = nullptr;
};

// What the modem publishes of it.
struct OnlineState {
    bool defaultRoute = false;               // this link carries a default route now
    std::vector<std::string> ipv6Addresses;  // global ones, from SLAAC
    std::vector<std::string> dnsServers;     // IPCP's IPv4 servers, then the RA's IPv6 ones
    std::string dnsBackend;                  // "resolved", "resolvconf", "none"; "" before IPCP is up
};

class LinkOnline final : private LinkEventsObserver {
public:
    using Note = std::function<void(std::string_view line)>;
    // Something in state() changed.
    using Changed = std::function<void()>;

    // `modemId`: the modem whose call this is; the lines this logs beside the call log start
    // "[<id>] " as every core line about a modem does (the journal's DIALUPD_MODEM=).
    LinkOnline(const CallSettings& call, OnlineServices services, Note note, Changed changed,
               const std::string& modemId = {});
    ~LinkOnline();
    LinkOnline(const LinkOnline&) = delete;
    LinkOnline& operator=(const LinkOnline&) = delete;

    // Before pppd starts: opens the link watch when IPv6 is asked for.
    void prepare();
    // pppd has made its interface (before any protocol is up).
    void interfaceKnown(const std::string& ifname);
    // The link is up (IPCP; for an IPv6-only call IPV6CP): the IPv4 default route when there is
    // IPv4, then DNS. `online` runs once both are settled (each done or failed, as the call log
    // then says), at most once; not at all after end().
    void linkUp(const IpConfig& ip, std::function<void()> online);
    // The call is over: whatever outlives the interface is taken away (the route and resolved's
    // link state go with the interface; resolvconf's entry does not). Notes what was removed.
    // `interfaceGone`: pppd has exited, so its interface is gone or going with its fd; the kernel
    // is not asked (while it tears a ppp interface down it holds rtnl, and a lookup would block
    // the event loop for up to hundreds of milliseconds). false: look, and remove what is there.
    void end(bool interfaceGone = true);

    const OnlineState& state() const { return state_; }

private:
    void linkIpv6AddressesChanged(const std::vector<std::string>& addresses) override;
    void linkRdnssChanged(const std::vector<std::string>& servers) override;
    void follow();
    void addDefaultRoute();
    void chooseDns();
    void applyDns(bool first);
    LinkDns linkDns() const;
    void settleOnline();

    const bool defaultRoute_;
    const uint32_t routeMetric_;
    const DnsMode dnsMode_;
    const IpFamily ipFamily_;
    OnlineServices services_;
    const std::string logPrefix_;  // "[<modem id>] ", or "" without one
    Note note_;
    Changed changed_;
    OnlineState state_;
    std::unique_ptr<LinkWatch> watch_;
    std::string ifname_;
    int ifindex_ = 0;
    std::vector<std::string> ipv4Dns_;
    std::vector<std::string> rdnss_;
    DnsBackend* backend_ = nullptr;
    bool dnsApplying_ = false;
    bool dnsDirty_ = false;  // servers changed while an apply was in flight
    bool routeAdded_ = false;
    bool ipv6Only_ = false;  // no IPCP: the default route is the router advertisement's
    bool ended_ = false;
    std::function<void()> online_;
    // Answers from the DNS backends may come after this is gone: they hold a weak token.
    std::shared_ptr<LinkOnline*> self_;
};

}  // namespace dialupd
