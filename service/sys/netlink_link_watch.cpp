// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink_link_watch.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netinet/icmp6.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <span>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/errors.h"
#include "core/rdnss.h"

namespace dialupd {
namespace {

// Datagrams read per wakeup: the loop stays fair to the bus and pppd under an event storm (the
// fd stays readable, so the loop comes back for the rest).
constexpr int kReadsPerWakeup = 64;

void removeFrom(std::vector<std::string>& list, const std::string& item) {
    list.erase(std::remove(list.begin(), list.end(), item), list.end());
}

void addTo(std::vector<std::string>& list, const std::string& item) {
    if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

// libnl calls C functions; no exception may cross them.
template <typename Call>
int guarded(Call&& call) {
    try {
        call();
    } catch (const std::exception& error) {
        spdlog::error("rtnetlink event dropped: {}", error.what());
    }
    return NL_OK;
}

int onValid(nl_msg* msg, void* self) {
    return guarded([&] { static_cast<NetlinkLinkWatch*>(self)->messageArrived(msg); });
}

int onFinish(nl_msg* msg, void* self) {
    return guarded([&] { static_cast<NetlinkLinkWatch*>(self)->dumpFinished(nlmsg_hdr(msg)); });
}

int onError(sockaddr_nl*, nlmsgerr* error, void* self) {
    guarded([&] { static_cast<NetlinkLinkWatch*>(self)->dumpFailed(&error->msg, -error->error); });
    return NL_SKIP;
}

// What onAddressObject hands an address on to: (ifindex, address, usable).
using AddressSeen = std::function<void(int, const std::string&, bool)>;

void onAddressObject(nl_object* object, void* arg) {
    auto* address = reinterpret_cast<rtnl_addr*>(object);
    if (rtnl_addr_get_family(address) != AF_INET6 || rtnl_addr_get_scope(address) != RT_SCOPE_UNIVERSE) return;
    nl_addr* local = rtnl_addr_get_local(address);
    if (!local || nl_addr_get_family(local) != AF_INET6 || nl_addr_get_len(local) != 16) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (!inet_ntop(AF_INET6, nl_addr_get_binary_addr(local), text, sizeof text)) return;
    // Tentative: duplicate address detection still runs, the address cannot be used yet (the
    // kernel tells again when it can); dadfailed: it never will.
    bool usable = nl_object_get_msgtype(object) == RTM_NEWADDR &&
                  !(rtnl_addr_get_flags(address) & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
    (*static_cast<AddressSeen*>(arg))(rtnl_addr_get_ifindex(address), text, usable);
}

}  // namespace

NetlinkLinkWatch::NetlinkLinkWatch(EventLoop& loop, int receiveBufferBytes)
    : loop_(loop), sock_(openRouteSocket("cannot watch the links' IPv6")) {
    nl_sock* sock = sock_.get();
    auto fail = [](const std::string& what, int error) {
        throw Error(error_name::kInternal,
                    fmt::format("cannot watch the links' IPv6: {}: {}", what, nlErrorText(error)));
    };
    nl_socket_disable_seq_check(sock);  // events carry other senders' sequence numbers
    nl_socket_disable_auto_ack(sock);
    nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, onValid, this);
    nl_socket_modify_cb(sock, NL_CB_FINISH, NL_CB_CUSTOM, onFinish, this);
    nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, onError, this);
    if (int error = nl_socket_add_memberships(sock, RTNLGRP_IPV6_IFADDR, RTNLGRP_ND_USEROPT, 0); error < 0)
        fail("subscribing", error);
    if (int error = nl_socket_set_nonblocking(sock); error < 0) fail("nonblocking", error);
    if (int error = nl_socket_set_buffer_size(sock, receiveBufferBytes, 0); error < 0)
        spdlog::warn("rtnetlink receive buffer stays at its default: {}", nlErrorText(error));
    try {
        source_ = loop_.watchFd(nl_socket_get_fd(sock), EPOLLIN, [this](uint32_t) { readEvents(); });
    } catch (const std::system_error& error) {
        throw Error(error_name::kInternal, fmt::format("cannot watch the links' IPv6: {}", error.what()));
    }
}

NetlinkLinkWatch::~NetlinkLinkWatch() = default;

void NetlinkLinkWatch::follow(int ifindex, LinkEventsObserver& observer) {
    followers_[ifindex] = Follower{&observer, {}, std::nullopt};
    // Addresses that came before this handle opened are only known from a dump; one in flight
    // already covers them.
    if (!dumped_) requestDump();
    reportChanges();  // may destroy this
}

void NetlinkLinkWatch::requestDump() {
    if (dumped_) {
        dumpAgain_ = true;
        return;
    }
    dumpAgain_ = false;
    ifaddrmsg request = {};
    request.ifa_family = AF_INET6;
    NlMsg msg(nlmsg_alloc_simple(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP));
    int error = msg ? nlmsg_append(msg.get(), &request, sizeof request, NLMSG_ALIGNTO) : -NLE_NOMEM;
    if (error >= 0) error = nl_send_auto(sock_.get(), msg.get());
    if (error < 0) {
        spdlog::warn("cannot ask the kernel for the IPv6 addresses: {}", nlErrorText(error));
        return;
    }
    dumpSeq_ = nlmsg_hdr(msg.get())->nlmsg_seq;
    dumped_.emplace();
}

void NetlinkLinkWatch::readEvents() {
    std::unique_ptr<nl_cb, decltype(&nl_cb_put)> cb(nl_socket_get_cb(sock_.get()), nl_cb_put);
    for (int read = 0; read < kReadsPerWakeup; ++read) {
        int result = nl_recvmsgs_report(sock_.get(), cb.get());
        if (result == 0 || result == -NLE_AGAIN) break;  // nothing more to read now
        if (result == -NLE_NOMEM) {
            // ENOBUFS: the kernel dropped events. Addresses can be asked for again; an RDNSS
            // dropped meanwhile is lost until the next router advertisement.
            ++eventLosses_;
            spdlog::warn("rtnetlink events were lost (receive buffer full); asking for the IPv6 addresses again");
            requestDump();
        } else if (result == -NLE_DUMP_INTR) {
            dumpAgain_ = true;  // the addresses changed while being dumped: ask again
        } else if (result < 0) {
            spdlog::warn("reading rtnetlink events: {}", nlErrorText(result));
            break;
        }
    }
    if (dumpAgain_ && !dumped_) requestDump();
    reportChanges();  // may destroy this
}

void NetlinkLinkWatch::messageArrived(nl_msg* msg) {
    const nlmsghdr* header = nlmsg_hdr(msg);
    switch (header->nlmsg_type) {
        case RTM_NEWADDR:
        case RTM_DELADDR: {
            bool fromDump = dumped_ && (header->nlmsg_flags & NLM_F_MULTI) && header->nlmsg_seq == dumpSeq_ &&
                            header->nlmsg_pid == nl_socket_get_local_port(sock_.get());
            AddressSeen seen = [&](int ifindex, const std::string& address, bool usable) {
                addressChanged(ifindex, address, usable, fromDump);
            };
            if (int error = nl_msg_parse(msg, onAddressObject, &seen); error < 0)
                spdlog::debug("unreadable address message: {}", nlErrorText(error));
            break;
        }
        case RTM_NEWNDUSEROPT:
            userOptionArrived(header);
            break;
        default:
            break;
    }
}

void NetlinkLinkWatch::addressChanged(int ifindex, const std::string& address, bool usable, bool fromDump) {
    auto apply = [&](std::vector<std::string>& list) { usable ? addTo(list, address) : removeFrom(list, address); };
    if (dumped_) apply((*dumped_)[ifindex]);
    if (fromDump) return;  // takes effect when the dump ends
    LinkState& link = links_[ifindex];
    apply(link.addresses);
    if (link.addresses.empty() && !link.rdnss && !followers_.contains(ifindex)) links_.erase(ifindex);
}

void NetlinkLinkWatch::dumpFinished(const nlmsghdr* header) {
    if (!dumped_ || header->nlmsg_seq != dumpSeq_) return;
    std::map<int, std::vector<std::string>> dumped = std::move(*dumped_);
    dumped_.reset();
    // The dump is the truth; addresses known before keep their place in the order.
    for (auto& [ifindex, link] : links_) {
        std::vector<std::string>& now = dumped[ifindex];
        std::erase_if(link.addresses,
                      [&](const std::string& a) { return std::find(now.begin(), now.end(), a) == now.end(); });
        for (const std::string& address : now) addTo(link.addresses, address);
        dumped.erase(ifindex);
    }
    for (auto& [ifindex, addresses] : dumped)
        if (!addresses.empty()) links_[ifindex].addresses = std::move(addresses);
}

void NetlinkLinkWatch::dumpFailed(const nlmsghdr* header, int error) {
    if (!dumped_ || header->nlmsg_seq != dumpSeq_) return;
    dumped_.reset();
    spdlog::warn("the kernel did not list the IPv6 addresses: {}", std::strerror(error));
}

void NetlinkLinkWatch::userOptionArrived(const nlmsghdr* header) {
    // struct nduseroptmsg, then nduseropt_opts_len bytes of ND options from the router
    // advertisement (untrusted: they come from the network), then attributes.
    nduseroptmsg head;
    int length = nlmsg_datalen(header);
    if (length < int(sizeof head)) return;
    const auto* payload = static_cast<const uint8_t*>(nlmsg_data(header));
    std::memcpy(&head, payload, sizeof head);
    if (head.nduseropt_family != AF_INET6 || head.nduseropt_icmp_type != ND_ROUTER_ADVERT) return;
    if (head.nduseropt_opts_len > length - int(sizeof head)) return;
    std::optional<RdnssOption> rdnss = parseRdnssOption(std::span(payload + sizeof head, head.nduseropt_opts_len));
    if (!rdnss) return;
    // Lifetime 0: the router withdraws its servers.
    links_[head.nduseropt_ifindex].rdnss = rdnss->lifetimeSeconds == 0 ? std::vector<std::string>{} : rdnss->servers;
}

void NetlinkLinkWatch::reportChanges() {
    std::weak_ptr<char> alive = alive_;
    std::vector<int> ifindexes;
    for (const auto& entry : followers_) ifindexes.push_back(entry.first);
    for (int ifindex : ifindexes) {
        // Looked up again after every call: an observer may follow, or destroy this.
        auto follower = [&]() -> Follower* {
            auto found = followers_.find(ifindex);
            return found == followers_.end() ? nullptr : &found->second;
        };
        auto link = links_.find(ifindex);
        std::vector<std::string> addresses = link == links_.end() ? std::vector<std::string>{} : link->second.addresses;
        std::optional<std::vector<std::string>> rdnss = link == links_.end() ? std::nullopt : link->second.rdnss;
        Follower* told = follower();
        if (told && told->reportedAddresses != addresses) {
            told->reportedAddresses = addresses;
            told->observer->linkIpv6AddressesChanged(addresses);
            if (alive.expired()) return;
            told = follower();
        }
        if (told && rdnss && told->reportedRdnss != rdnss) {
            told->reportedRdnss = rdnss;
            told->observer->linkRdnssChanged(*rdnss);
            if (alive.expired()) return;
        }
    }
}

}  // namespace dialupd
