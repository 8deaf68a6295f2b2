// SPDX-License-Identifier: GPL-2.0-or-later
// RouteTable on rtnetlink through libnl-route. Each request opens its own socket, waits for the
// kernel's answer (rtnetlink answers a route change before sendmsg returns, so this never waits
// on anything slow) and closes it: routes change twice a call, and an idle daemon holds nothing.
#pragma once

#include "core/link_services.h"

namespace dialupd {

class NetlinkRouteTable final : public RouteTable {
public:
    int ifindex(const std::string& ifname) override;
    void addDefaultRoute(int ifindex, uint32_t metric) override;
    bool removeDefaultRoute(int ifindex, uint32_t metric) override;
};

}  // namespace dialupd
