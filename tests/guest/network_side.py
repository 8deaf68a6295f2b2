# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest scenario: the simulated network itself, with plain pppd (no dialupd): IPv6 by SLAAC,
RDNSS, a name only its DNS server knows, through systemd-resolved."""
import os
import pwd
import socket
import subprocess

import dbus

from world import PATIENCE, wait_until
import world as network  # (what the simulated network gives: addresses, the test name)
from nd_useropt import RdnssListener
from checks import assert_ping, command_output, sim_log


def plain_pppd(log_path, pdp_type="IPV4V6"):
    """pppd as a user would run it by hand on the EC25 (no dialupd): IPv4 and IPv6, taking the
    network's interface identifiers."""
    chat = f"chat -v '' AT OK 'AT+CGDCONT=1,\"{pdp_type}\",\"internet\"' OK ATD*99# CONNECT ''"
    return subprocess.Popen(["pppd", "/dev/ttyUSB3", "115200", "nodetach", "noauth", "local", "noipdefault",
                             "+ipv6", "ipv6cp-accept-local", "ipv6cp-accept-remote", "debug", "logfile", log_path,
                             "connect", chat], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def scenario_network_side_ipv6(world):
    """The test world on its own, with plain pppd: what the simulated network gives reaches the
    kernel and systemd-resolved (SLAAC address, RA default route, RDNSS, ping -6, a name only the
    network's DNS server knows), independently of dialupd."""
    rdnss = RdnssListener()
    pppd = plain_pppd(os.path.join(world.log_dir, "plain-pppd.log"))
    try:
        client_address = network.NETWORK_PREFIX.replace("::/64", "::2")
        assert wait_until(lambda: client_address + "/64" in command_output("ip", "-6", "address", "show", "dev", "ppp0",
                                                                          "scope", "global"), PATIENCE), \
            "no SLAAC address on ppp0: " + command_output("ip", "address")
        assert wait_until(lambda: "default via fe80::1 dev ppp0 proto ra" in command_output("ip", "-6", "route"),
                          PATIENCE), "no RA default route: " + command_output("ip", "-6", "route")
        assert_ping(network.NETWORK_IPV6)
        ppp0 = socket.if_nametoindex("ppp0")
        assert wait_until(lambda: network.NETWORK_DNS6 in rdnss.servers(ppp0), PATIENCE), \
            f"no RTM_NEWNDUSEROPT with the RDNSS for ppp0 ({ppp0}): {rdnss.seen}"

        resolved = world.resolved
        with open(f"/proc/{resolved.process.pid}/status") as status:
            uid = next(line.split()[1] for line in status if line.startswith("Uid:"))
        assert int(uid) == pwd.getpwnam("systemd-resolve").pw_uid, f"resolved runs as uid {uid}"
        try:
            resolved.resolve(network.TEST_NAME)
            raise AssertionError(f"{network.TEST_NAME} resolved before the link had DNS servers")
        except dbus.DBusException as error:
            assert error.get_dbus_name() == "org.freedesktop.resolve1.NoNameServers", error
        # As a network manager does it (root passes without polkit):
        resolved.set_link_dns("ppp0", network.NETWORK_DNS + [network.NETWORK_DNS6])
        resolved.set_link_domains("ppp0", [(".", True)])
        resolved.set_link_default_route("ppp0", True)
        assert resolved.link_dns("ppp0") == network.NETWORK_DNS + [network.NETWORK_DNS6], resolved.link_dns("ppp0")
        assert resolved.link_default_route("ppp0") is True
        assert resolved.link_domains("ppp0") == [(".", True)], resolved.link_domains("ppp0")
        answer = resolved.resolve(network.TEST_NAME)
        assert sorted(answer) == sorted(network.INTERNET_HOST), answer
        # Over IPv6 alone: the query crosses the link from the SLAAC address.
        resolved.set_link_dns("ppp0", [network.NETWORK_DNS6])
        answer = resolved.resolve(network.TEST_NAME, socket.AF_INET6)
        assert answer == [network.INTERNET_HOST[1]], answer
        with open(os.path.join(world.log_dir, "network-dnsmasq.log")) as log:
            assert f"from {client_address}" in log.read(), "dnsmasq saw no query from the client's SLAAC address"
        # The guest's libc goes through resolved's stub, and the internet host answers by name.
        assert network.INTERNET_HOST[1] in command_output("getent", "hosts", network.TEST_NAME)
        assert_ping(network.TEST_NAME)
    finally:
        pppd.terminate()
        pppd.wait(PATIENCE)
        rdnss.close()
    assert wait_until(lambda: not os.path.exists("/sys/class/net/ppp0"), PATIENCE), "ppp0 outlived pppd"
    # resolved forgets a link whose interface went (RevertLink would answer NoSuchLink).
    try:
        world.resolved.link_dns(ppp0)
        raise AssertionError("resolved still knows the gone ppp0")
    except dbus.DBusException as error:
        assert error.get_dbus_name() == "org.freedesktop.resolve1.NoSuchLink", error
    assert wait_until(lambda: "radvd on pdn" in sim_log(world) and "stopped" in sim_log(world), PATIENCE), \
        "the call's radvd was not stopped"
