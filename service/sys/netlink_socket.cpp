// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink_socket.h"

#include <netlink/errno.h>

#include <fmt/format.h>

#include "core/errors.h"

namespace dialupd {

std::string nlErrorText(int error) { return nl_geterror(error); }

NlSocket openRouteSocket(const std::string& what) {
    NlSocket sock(nl_socket_alloc());
    if (!sock) throw Error(error_name::kInternal, fmt::format("{}: out of memory for a netlink socket", what));
    if (int error = nl_connect(sock.get(), NETLINK_ROUTE); error < 0)
        throw Error(error_name::kInternal,
                    fmt::format("{}: cannot open an rtnetlink socket: {}", what, nlErrorText(error)));
    return sock;
}

}  // namespace dialupd
