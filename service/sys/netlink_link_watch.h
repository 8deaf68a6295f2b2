// SPDX-License-Identifier: GPL-2.0-or-later
// LinkWatch on rtnetlink through libnl: one nonblocking socket per handle, subscribed to IPv6
// address changes (RTNLGRP_IPV6_IFADDR) and ND user options (RTNLGRP_ND_USEROPT, where the kernel
// hands on a router advertisement's RDNSS), read in the daemon's event loop.
//
// Every interface's state is kept from the moment the handle opens (the global IPv6 addresses,
// the newest RDNSS list), so an RA that arrives before the call knows its ifindex is not lost.
// follow() reports what is known at once, asks the kernel for a dump of the addresses (for those
// that came before the handle), and from then on reports changes. Observers are only ever
// called outside libnl's receive loop, so one may destroy the handle from its callback.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/link_services.h"
#include "event_loop.h"
#include "netlink_socket.h"

struct nlmsghdr;

namespace dialupd {

class NetlinkLinkWatch final : public LinkWatch {
public:
    // Room for a burst of address events (every interface's, not only ours) between two
    // wakeups. Beyond it the kernel drops events and says so (ENOBUFS): the addresses are then
    // dumped again. Tests make it small to see that happen.
    static constexpr int kDefaultReceiveBuffer = 256 * 1024;

    // Opens and subscribes the socket; throws dialupd::Error(kInternal) when it cannot.
    explicit NetlinkLinkWatch(EventLoop& loop, int receiveBufferBytes = kDefaultReceiveBuffer);
    ~NetlinkLinkWatch() override;
    NetlinkLinkWatch(const NetlinkLinkWatch&) = delete;
    NetlinkLinkWatch& operator=(const NetlinkLinkWatch&) = delete;

    void follow(int ifindex, LinkEventsObserver& observer) override;
    // How often the kernel said it dropped events (each time the addresses were dumped again).
    uint64_t eventLosses() const { return eventLosses_; }

    // libnl's callbacks (C linkage wants plain functions; they only update the state).
    void messageArrived(nl_msg* msg);
    void dumpFinished(const nlmsghdr* header);
    void dumpFailed(const nlmsghdr* header, int error);

private:
    struct LinkState {
        std::vector<std::string> addresses;             // global, usable (not tentative), in order of arrival
        std::optional<std::vector<std::string>> rdnss;  // from the newest RA that had the option
    };
    struct Follower {
        LinkEventsObserver* observer = nullptr;
        std::vector<std::string> reportedAddresses;
        std::optional<std::vector<std::string>> reportedRdnss;
    };

    void readEvents();
    void requestDump();
    void addressChanged(int ifindex, const std::string& address, bool usable, bool fromDump);
    void userOptionArrived(const nlmsghdr* header);
    void reportChanges();  // may destroy this: nothing may touch members after it returns

    EventLoop& loop_;
    NlSocket sock_;
    std::unique_ptr<EventSource> source_;  // after sock_: released first
    std::map<int, LinkState> links_;
    std::map<int, Follower> followers_;
    // The address dump in flight: what it has told so far; at its end this replaces the
    // addresses in links_ (events arriving meanwhile are applied to both).
    std::optional<std::map<int, std::vector<std::string>>> dumped_;
    uint32_t dumpSeq_ = 0;
    bool dumpAgain_ = false;  // events were lost, or a dump broke off, while one was in flight
    uint64_t eventLosses_ = 0;
    std::shared_ptr<char> alive_ = std::make_shared<char>();  // expires with this object
};

class NetlinkLinkWatchFactory final : public LinkWatchFactory {
public:
    explicit NetlinkLinkWatchFactory(EventLoop& loop) : loop_(loop) {}
    std::unique_ptr<LinkWatch> open() override { return std::make_unique<NetlinkLinkWatch>(loop_); }

private:
    EventLoop& loop_;
};

}  // namespace dialupd
