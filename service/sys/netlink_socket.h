// SPDX-License-Identifier: GPL-2.0-or-later
// Owning handles for libnl's objects, and the one way dialupd opens an rtnetlink socket.
#pragma once

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <memory>
#include <string>

namespace dialupd {

struct NlSocketFree {
    void operator()(nl_sock* sock) const { nl_socket_free(sock); }
};
struct NlMsgFree {
    void operator()(nl_msg* msg) const { nlmsg_free(msg); }
};
using NlSocket = std::unique_ptr<nl_sock, NlSocketFree>;
using NlMsg = std::unique_ptr<nl_msg, NlMsgFree>;

// A NETLINK_ROUTE socket, connected (close-on-exec, as libnl opens every socket). Throws
// dialupd::Error(kInternal) saying `what` could not be done and why.
NlSocket openRouteSocket(const std::string& what);

// libnl's error text for a libnl error code (negative NLE_*).
std::string nlErrorText(int error);

}  // namespace dialupd
