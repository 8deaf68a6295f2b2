# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest scenario: the connectivity watchdog on an IPv6-only call. There is no IPCP, so no DNS
server is known when the link comes online: the check's default targets are the router
advertisement's RDNSS servers, and the checks start once the RA names one. The network's DNS
server (dnsmasq, listening on the RDNSS address) counts the probes by the client's SLAAC address."""

from world import PATIENCE, wait_until
import world as network
from checks import connect
from watchdog import dns_probes

CLIENT6 = network.NETWORK_PREFIX.replace("::/64", "::2")
SETTINGS = (f"ip-family = ipv6\ncheck = dns\ncheck-name = {network.TEST_NAME}\ncheck-interval = 2\n"
            "check-retry-interval = 1\ncheck-failures = 3\ncheck-timeout = 1\n")



def scenario_ipv6_only_checked_against_the_rdnss(world):
    connect(world)
    assert world.modem.get("IPv4Address") == "", "an IPv6-only call"
    # The router advertisements come every 3 to 10 s and count as traffic (a check after one is
    # skipped): with a check every 2 s, some go out between them.
    assert wait_until(lambda: dns_probes(world, CLIENT6) >= 2, PATIENCE), \
        f"no DNS probe from {CLIENT6} to the RDNSS server {network.NETWORK_DNS6}"
    assert world.modem.hangups == [] and world.modem.get("State") == "connected", world.modem.states
    world.modem.disconnect()


def scenarios():
    return [("watchdog-ipv6-only-checks-the-rdnss-server", scenario_ipv6_only_checked_against_the_rdnss,
             {"modem_settings": SETTINGS}, None)]
