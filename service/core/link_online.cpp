// SPDX-License-Identifier: GPL-2.0-or-later
#include "link_online.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "errors.h"

namespace dialupd {
namespace {

std::string listOrNone(const std::vector<std::string>& items) {
    return items.empty() ? std::string("none") : fmt::format("{}", fmt::join(items, " "));
}

}  // namespace

LinkOnline::LinkOnline(const CallSettings& call, OnlineServices services, Note note, Changed changed,
                       const std::string& modemId)
    : defaultRoute_(call.defaultRoute),
      routeMetric_(call.routeMetric),
      dnsMode_(call.dns),
      ipFamily_(call.ipFamily),
      services_(services),
      logPrefix_(modemId.empty() ? std::string() : "[" + modemId + "] "),
      note_(std::move(note)),
      changed_(std::move(changed)),
      self_(std::make_shared<LinkOnline*>(this)) {}

LinkOnline::~LinkOnline() { *self_ = nullptr; }

void LinkOnline::prepare() {
    if (ipFamily_ == IpFamily::Ipv4 || !services_.linkWatch) return;
    try {
        watch_ = services_.linkWatch->open();
    } catch (const Error& error) {
        note_(fmt::format("IPv6: the link's addresses and RDNSS cannot be followed: {}", error.what()));
    }
}

void LinkOnline::interfaceKnown(const std::string& ifname) {
    if (ifname.empty() || ifname == ifname_) return;
    ifname_ = ifname;
    ifindex_ = services_.routes ? services_.routes->ifindex(ifname) : 0;
    follow();
}

void LinkOnline::follow() {
    if (watch_ && ifindex_ > 0) watch_->follow(ifindex_, *this);  // may report at once
}

void LinkOnline::linkUp(const IpConfig& ip, std::function<void()> online) {
    if (ended_) return;
    online_ = std::move(online);
    if (ifindex_ == 0 || ip.interface != ifname_) {
        ifname_.clear();
        interfaceKnown(ip.interface);
    }
    ipv4Dns_ = ip.dns;
    state_.dnsServers = ipv4Dns_;
    state_.dnsServers.insert(state_.dnsServers.end(), rdnss_.begin(), rdnss_.end());
    ipv6Only_ = ip.localAddress.empty();
    if (!ipv6Only_)
        addDefaultRoute();
    else
        note_(defaultRoute_ ? "default route: IPv6 only, from the network's router advertisement"
                            : "default route: IPv6 only, the router advertisement's kept off (default-route = no)");
    chooseDns();
}

void LinkOnline::addDefaultRoute() {
    if (!defaultRoute_) {
        note_("default route: none added (default-route = no)");
        return;
    }
    if (!services_.routes || ifindex_ <= 0) {
        note_(fmt::format("default route: none added ({})", services_.routes ? "the interface " + ifname_ + " is gone"
                                                                             : "no access to the routing table"));
        return;
    }
    try {
        services_.routes->addDefaultRoute(ifindex_, routeMetric_);
        routeAdded_ = true;
        state_.defaultRoute = true;
        note_(fmt::format("default route via {} added at metric {}, next to any other", ifname_, routeMetric_));
    } catch (const Error& error) {
        spdlog::warn("{}default route via {} could not be added: {}", logPrefix_, ifname_, error.what());
        note_(fmt::format("default route via {} could not be added: {}", ifname_, error.what()));
    }
}

void LinkOnline::chooseDns() {
    if (dnsMode_ == DnsMode::None || !services_.dns) {
        note_(dnsMode_ == DnsMode::None ? "DNS: left to the user (dns = none); the servers are on D-Bus only"
                                        : "DNS: no DNS backend in this daemon; the servers are on D-Bus only");
        state_.dnsBackend = "none";
        settleOnline();
        return;
    }
    services_.dns->choose(
        dnsMode_, [self = std::weak_ptr<LinkOnline*>(self_)](DnsBackend* backend, const std::string& whyNone) {
            auto alive = self.lock();
            if (!alive || !*alive) return;
            LinkOnline& online = **alive;
            if (online.ended_) return;
            if (!backend) {
                const std::string& id = online.logPrefix_;
                spdlog::warn("{}DNS servers of {} are not handed to the system: {}", id, online.ifname_, whyNone);
                online.note_(fmt::format("DNS: not handed to the system: {}", whyNone));
                online.state_.dnsBackend = "none";
                online.settleOnline();  // the modem publishes it all with its State
                return;
            }
            online.backend_ = backend;
            online.applyDns(true);
        });
}

LinkDns LinkOnline::linkDns() const {
    // IPv6 only: the RA's default route (kept unless default-route = no) makes this the default
    // link for lookups from the start, as an IPv4 route we added does.
    return LinkDns{ifindex_, ifname_, state_.dnsServers, state_.defaultRoute || (ipv6Only_ && defaultRoute_)};
}

void LinkOnline::applyDns(bool first) {
    dnsApplying_ = true;
    LinkDns dns = linkDns();
    backend_->apply(
        dns, [self = std::weak_ptr<LinkOnline*>(self_), first, dns](const std::optional<std::string>& error) {
            auto alive = self.lock();
            if (!alive || !*alive) return;
            LinkOnline& online = **alive;
            online.dnsApplying_ = false;
            if (online.ended_) return;
            std::string where = std::string(online.backend_->name());
            if (error) {
                spdlog::warn("{}DNS servers of {} could not be handed to {}: {}", online.logPrefix_, dns.ifname, where,
                             *error);
                online.note_(fmt::format("DNS: {} refused {}'s servers: {}", where, dns.ifname, *error));
                if (first) online.state_.dnsBackend = "none";
            } else {
                online.note_(fmt::format("DNS: {} {} to {} for {} (ifindex {}){}", first ? "servers" : "now servers",
                                         listOrNone(dns.servers), where, dns.ifname, dns.ifindex,
                                         dns.defaultRoute ? ", the default for every domain" : ", not the default"));
                online.state_.dnsBackend = where;
            }
            if (!first) online.changed_();  // the first goes out with the modem's State change
            if (online.dnsDirty_) {
                online.dnsDirty_ = false;
                online.applyDns(false);
            }
            if (first) online.settleOnline();
        });
}

void LinkOnline::settleOnline() {
    if (!online_) return;
    auto online = std::move(online_);
    online_ = nullptr;
    online();
}

void LinkOnline::linkIpv6AddressesChanged(const std::vector<std::string>& addresses) {
    if (ended_ || addresses == state_.ipv6Addresses) return;
    state_.ipv6Addresses = addresses;
    // IPv6 only: the advertisement that gave the address gave the default route (accept_ra_defrtr).
    if (ipv6Only_ && defaultRoute_) state_.defaultRoute = !addresses.empty();
    note_(fmt::format("IPv6: global addresses of {}: {}", ifname_, listOrNone(addresses)));
    changed_();
}

void LinkOnline::linkRdnssChanged(const std::vector<std::string>& servers) {
    if (ended_ || servers == rdnss_) return;
    rdnss_ = servers;
    note_(fmt::format("IPv6: DNS servers from the router advertisement (RDNSS): {}", listOrNone(servers)));
    if (ifname_.empty()) return;  // before the link is up: linkUp() takes them
    state_.dnsServers = ipv4Dns_;
    state_.dnsServers.insert(state_.dnsServers.end(), rdnss_.begin(), rdnss_.end());
    changed_();
    if (!backend_) return;  // the first apply (once the backend is chosen) takes them
    if (dnsApplying_)
        dnsDirty_ = true;
    else
        applyDns(false);
}

void LinkOnline::end(bool interfaceGone) {
    if (ended_) return;
    ended_ = true;
    online_ = nullptr;
    watch_.reset();
    const bool interfaceThere =
        !interfaceGone && services_.routes && ifindex_ > 0 && services_.routes->ifindex(ifname_) == ifindex_;
    if (routeAdded_) {
        if (!interfaceThere) {
            note_(fmt::format("default route via {}: gone with the interface", ifname_));
        } else {
            try {
                services_.routes->removeDefaultRoute(ifindex_, routeMetric_);
                note_(fmt::format("default route via {} removed", ifname_));
            } catch (const Error& error) {
                note_(fmt::format("default route via {} could not be removed: {}", ifname_, error.what()));
            }
        }
    }
    if (backend_) {
        std::string where(backend_->name());
        if (!interfaceThere && backend_->forgetsWithInterface()) {
            note_(fmt::format("DNS: {} forgot {}'s servers with the interface", where, ifname_));
        } else {
            note_(fmt::format("DNS: taking {}'s servers from {}", ifname_, where));
            // The answer may come after the call's log is closed: it goes to the journal only.
            backend_->revert(linkDns(),
                             [where, ifname = ifname_, prefix = logPrefix_](const std::optional<std::string>& error) {
                                 if (error)
                                     spdlog::warn("{}DNS: {} kept {}'s servers: {}", prefix, where, ifname, *error);
                                 else
                                     spdlog::info("{}DNS: {}'s servers taken from {}", prefix, ifname, where);
                             });
        }
    }
    state_ = OnlineState{};
}

}  // namespace dialupd
