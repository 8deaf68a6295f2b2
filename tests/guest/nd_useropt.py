# SPDX-License-Identifier: GPL-2.0-or-later
"""What the kernel hands user space from router advertisements: RTM_NEWNDUSEROPT messages on the
rtnetlink group RTNLGRP_ND_USEROPT (20), one per option it passes on (RFC 8106 RDNSS among them).
A listener thread collects the RDNSS ones, for scenarios that check the network's RA reached the
kernel as a DNS-aware daemon would see it."""
import socket
import struct
import threading

SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
RTNLGRP_ND_USEROPT = 20
RTM_NEWNDUSEROPT = 68
ND_OPT_RDNSS = 25


class RdnssListener:
    def __init__(self):
        self.seen = []  # (ifindex, lifetime, [server, ...]) in arrival order
        self.socket = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.socket.bind((0, 0))
        self.socket.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, RTNLGRP_ND_USEROPT)
        threading.Thread(target=self._read, daemon=True).start()

    def servers(self, ifindex):
        return {server for index, _lifetime, servers in list(self.seen) if index == ifindex for server in servers}

    def _read(self):
        while True:
            try:
                data = self.socket.recv(65536)
            except OSError:
                return
            offset = 0
            while offset + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if length < 16:
                    break
                if kind == RTM_NEWNDUSEROPT:
                    self._useropt(data[offset + 16:offset + length])
                offset += (length + 3) & ~3

    def _useropt(self, body):
        # struct nduseroptmsg: family, pad, opts_len, ifindex, icmp type, icmp code, pads (16 bytes)
        _family, _pad, options_length, ifindex = struct.unpack_from("=BBHi", body)
        options = body[16:16 + options_length]
        at = 0
        while at + 8 <= len(options):
            kind, size = options[at], options[at + 1] * 8
            if size == 0:
                break
            if kind == ND_OPT_RDNSS:
                lifetime = struct.unpack_from("!I", options, at + 4)[0]
                servers = [socket.inet_ntop(socket.AF_INET6, options[start:start + 16])
                           for start in range(at + 8, at + size, 16)]
                self.seen.append((ifindex, lifetime, servers))
            at += size

    def close(self):
        self.socket.close()
