// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink_route_table.h"

#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/errors.h"
#include "core/text.h"
#include "netlink_socket.h"

namespace dialupd {
namespace {

struct RouteFree {
    void operator()(rtnl_route* route) const { rtnl_route_put(route); }
};
using Route = std::unique_ptr<rtnl_route, RouteFree>;

// `default dev <ifindex> metric <metric>` in the main table, as this daemon adds it (proto static,
// type unicast). The scope is left to the caller: an added route says "link", a deletion leaves it
// open (RT_SCOPE_NOWHERE matches any) so it finds the route whatever the kernel made of it.
Route defaultRoute(int ifindex, uint32_t metric) {
    Route route(rtnl_route_alloc());
    const uint8_t zeros[4] = {};
    nl_addr* anywhere = nl_addr_build(AF_INET, zeros, sizeof zeros);  // 0.0.0.0/0
    rtnl_nexthop* nexthop = rtnl_route_nh_alloc();
    if (!route || !anywhere || !nexthop) {
        nl_addr_put(anywhere);
        if (nexthop) rtnl_route_nh_free(nexthop);
        throw Error(error_name::kInternal, "out of memory for a route");
    }
    nl_addr_set_prefixlen(anywhere, 0);
    rtnl_route_set_family(route.get(), AF_INET);
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
    rtnl_route_set_type(route.get(), RTN_UNICAST);
    rtnl_route_set_priority(route.get(), metric);
    rtnl_route_set_dst(route.get(), anywhere);  // takes its own reference
    nl_addr_put(anywhere);
    rtnl_route_nh_set_ifindex(nexthop, ifindex);
    rtnl_route_add_nexthop(route.get(), nexthop);  // the route owns it now
    return route;
}

// What the kernel answered a request: 0 (acknowledged) or its errno.
struct Answer {
    bool arrived = false;
    int error = 0;
};

int onAck(nl_msg*, void* arg) {
    *static_cast<Answer*>(arg) = {true, 0};
    return NL_STOP;
}

int onError(sockaddr_nl*, nlmsgerr* error, void* arg) {
    *static_cast<Answer*>(arg) = {true, -error->error};
    return NL_STOP;
}

// Sends `request` and returns the kernel's errno for it (0: done). libnl's own helpers
// (rtnl_route_add, nl_wait_for_ack) map the errno to libnl's codes and lose the kernel's text.
int ask(nl_sock* sock, nl_msg* request, const std::string& what) {
    if (int error = nl_send_auto(sock, request); error < 0)
        throw Error(error_name::kInternal, fmt::format("{}: cannot send to the kernel: {}", what, nlErrorText(error)));
    Answer answer;
    std::unique_ptr<nl_cb, decltype(&nl_cb_put)> cb(nl_cb_alloc(NL_CB_DEFAULT), nl_cb_put);
    if (!cb) throw Error(error_name::kInternal, fmt::format("{}: out of memory", what));
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, onAck, &answer);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, onError, &answer);
    while (!answer.arrived) {
        int error = nl_recvmsgs(sock, cb.get());
        if (error < 0 && !answer.arrived)
            throw Error(error_name::kInternal,
                        fmt::format("{}: no answer from the kernel: {}", what, nlErrorText(error)));
    }
    return answer.error;
}

std::string describe(int ifindex, uint32_t metric) {
    char name[IF_NAMESIZE] = {};
    std::string dev = if_indextoname(unsigned(ifindex), name) ? sanitizeText(name) : fmt::format("#{}", ifindex);
    return fmt::format("default dev {} metric {}", dev, metric);
}

NlMsg buildRequest(int (*build)(rtnl_route*, int, nl_msg**), rtnl_route* route, int flags, const std::string& what) {
    nl_msg* request = nullptr;
    if (int error = build(route, flags, &request); error < 0)
        throw Error(error_name::kInternal, fmt::format("{}: {}", what, nlErrorText(error)));
    return NlMsg(request);
}

}  // namespace

int NetlinkRouteTable::ifindex(const std::string& ifname) {
    return int(if_nametoindex(ifname.c_str()));  // 0 when there is no such interface
}

void NetlinkRouteTable::addDefaultRoute(int ifindex, uint32_t metric) {
    std::string what = "cannot add the route " + describe(ifindex, metric);
    Route route = defaultRoute(ifindex, metric);
    rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);  // a point-to-point link: no gateway to name
    // NLM_F_CREATE without NLM_F_REPLACE or NLM_F_EXCL: next to any other default route, and
    // an identical one (EEXIST) is the route we wanted.
    NlMsg request = buildRequest(rtnl_route_build_add_request, route.get(), NLM_F_CREATE, what);
    NlSocket sock = openRouteSocket(what);
    int error = ask(sock.get(), request.get(), what);
    if (error == EEXIST) {
        spdlog::debug("route {} was there already", describe(ifindex, metric));
        return;
    }
    if (error != 0) throw Error(error_name::kInternal, fmt::format("{}: {}", what, std::strerror(error)));
}

bool NetlinkRouteTable::removeDefaultRoute(int ifindex, uint32_t metric) {
    std::string what = "cannot remove the route " + describe(ifindex, metric);
    Route route = defaultRoute(ifindex, metric);
    NlMsg request = buildRequest(rtnl_route_build_del_request, route.get(), 0, what);
    NlSocket sock = openRouteSocket(what);
    int error = ask(sock.get(), request.get(), what);
    if (error == ESRCH || error == ENODEV) return false;  // gone already (with its interface, say)
    if (error != 0) throw Error(error_name::kInternal, fmt::format("{}: {}", what, std::strerror(error)));
    return true;
}

}  // namespace dialupd
