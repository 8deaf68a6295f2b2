# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 18 in the guest: a Connect puts the machine online over the modem (default route next to
any other, DNS in the real systemd-resolved, IPv6 from the network's router advertisement), and
the call's end takes it all away again. The network side (tools/modem-sim) is what a cellular
network gives: IPCP and IPV6CP, radvd with a /64 and RDNSS, dnsmasq knowing a name only it
knows; systemd-resolved runs for real on the test's bus (tests/guest/resolved.py)."""
import json
import os
import subprocess

import dbus

from world import (INTERNET_HOST, NETWORK_DNS, NETWORK_DNS6, NETWORK_IPV6, PATIENCE, TEST_NAME,  # noqa: F401
                   wait_until)

UPLINK = "uplink0"


def routes(family="-4", table="main", kind="default"):
    """The kernel's routes of `kind` as `ip -j` gives them."""
    out = subprocess.run(["ip", "-j", family, "route", "show", "table", table, kind], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out or "[]")


def default_via(dev, family="-4"):
    """The default routes through `dev` as (dev, metric) pairs."""
    return [(r.get("dev"), r.get("metric", 0)) for r in routes(family) if r.get("dev") == dev]


def route_get(address):
    out = subprocess.run(["ip", "-j", "route", "get", address], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return json.loads(out.stdout)[0].get("dev")


def resolved_link_gone(world, link="ppp0"):
    """resolved keeps no state for the link (it has forgotten it, or it holds no servers)."""
    try:
        index = int(open(f"/sys/class/net/{link}/ifindex").read())
    except OSError:
        index = None
    if index is None:
        return True
    try:
        return world.resolved.link_dns(index) == []
    except dbus.DBusException as error:
        return error.get_dbus_name() == "org.freedesktop.resolve1.NoSuchLink"


def strs(value):
    return [str(item) for item in value]


def assert_online(world, metric=700):
    """What a Connect(wait) that returned must have left: route at `metric`, DNS in resolved."""
    assert world.modem.get("State") == "connected"
    assert default_via("ppp0") == [("ppp0", metric)], routes()
    assert world.modem.get("DefaultRoute") is True or world.modem.get("DefaultRoute") == 1
    assert int(world.modem.get("RouteMetric")) == metric
    assert str(world.modem.get("DnsBackend")) == "resolved", world.modem.get("DnsBackend")
    # No waiting here: Connected means resolved already holds the servers.
    held = world.resolved.link_dns("ppp0")
    assert held[:2] == NETWORK_DNS, f"resolved holds {held} for ppp0"
    assert world.resolved.link_default_route("ppp0") is True
    assert ("", True) in world.resolved.link_domains("ppp0") or (".", True) in world.resolved.link_domains("ppp0"), \
        world.resolved.link_domains("ppp0")


def assert_offline(world):
    assert wait_until(lambda: default_via("ppp0") == [] and resolved_link_gone(world), PATIENCE), \
        f"after the call: routes {routes()}"
    assert route_get("1.1.1.1") is None, route_get("1.1.1.1")
    assert strs(world.modem.get("IPv6Addresses")) == [] and str(world.modem.get("DnsBackend")) == ""
    assert not world.modem.get("DefaultRoute")


def scenario_online_route_resolved_ipv6(world):
    """The whole of it on one link: IPv4 default route at 700, the network's DNS in resolved as
    the default for every domain, a name only the network knows resolved through resolved and
    pinged by name, the advertised global IPv6 address, ping -6 across, RDNSS in resolved; then
    Disconnect and a carrier drop each take it all away, and the next Connect brings it back."""
    assert route_get("1.1.1.1") is None, "the guest has a default route before any call"
    world.modem.connect()
    assert_online(world)
    assert route_get("1.1.1.1") == "ppp0"
    assert INTERNET_HOST[0] in world.resolved.resolve(TEST_NAME), world.resolved.resolve(TEST_NAME)
    ping = subprocess.run(["ping", "-c", "1", "-W", "10", TEST_NAME], capture_output=True, text=True)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    # IPv6 follows the router advertisement, with PropertiesChanged.
    assert wait_until(lambda: strs(world.modem.get("IPv6Addresses")), PATIENCE), "no global IPv6 address"
    address = strs(world.modem.get("IPv6Addresses"))[0]
    assert address.startswith("2001:db8:64:"), address
    assert wait_until(lambda: NETWORK_DNS6 in strs(world.modem.get("Dns")), PATIENCE), world.modem.get("Dns")
    assert strs(world.modem.get("Dns"))[:2] == NETWORK_DNS
    assert wait_until(lambda: NETWORK_DNS6 in world.resolved.link_dns("ppp0"), PATIENCE), \
        world.resolved.link_dns("ppp0")
    ping6 = subprocess.run(["ping", "-6", "-c", "1", "-W", "10", NETWORK_IPV6], capture_output=True, text=True)
    assert ping6.returncode == 0, ping6.stdout + ping6.stderr
    with open(os.path.join(world.log_dir, "online.txt"), "w") as out:
        out.write(subprocess.run(["ip", "route"], capture_output=True, text=True).stdout)
        out.write(subprocess.run(["ip", "-6", "route"], capture_output=True, text=True).stdout)
        out.write(f"ppp0 IPv6 {address}; resolved DNS {world.resolved.link_dns('ppp0')}\n")
    world.modem.disconnect()
    assert_offline(world)
    # Again, then the network drops it.
    world.modem.connect()
    assert_online(world)
    world.sim.command("fault carrier-drop")
    assert wait_until(lambda: world.modem.hangups, PATIENCE), "no Hangup after the carrier drop"
    assert_offline(world)
    log = world.modem.hangups[-1]["log"]
    for line in ("default route via ppp0 added at metric 700", "DNS: servers 10.64.0.53 10.64.0.54 to resolved",
                 "default route via ppp0: gone with the interface",
                 "DNS: resolved forgot ppp0's servers with the interface"):
        assert line in log, f"'{line}' missing from the Hangup log:\n{log}"


def add_uplink(metric=100):
    """A wired uplink that was there first: a dummy interface with a default route at `metric`."""
    subprocess.run(["ip", "link", "add", UPLINK, "type", "dummy"], check=True)
    subprocess.run(["ip", "link", "set", UPLINK, "up"], check=True)
    subprocess.run(["ip", "addr", "add", "192.0.2.2/24", "dev", UPLINK], check=True)
    subprocess.run(["ip", "route", "add", "default", "via", "192.0.2.1", "dev", UPLINK, "metric", str(metric)],
                   check=True)


def scenario_online_next_to_an_existing_default_route(world):
    """A default route on another interface at metric 100 stays, and stays first, while ppp0's is
    added next to it at 700 (pppd 2.4.9's own defaultroute would add nothing here); a Connect with
    route-metric 50 puts ppp0 first; at the end the uplink's route is untouched."""
    add_uplink()
    try:
        world.modem.connect()
        assert default_via(UPLINK) == [(UPLINK, 100)] and default_via("ppp0") == [("ppp0", 700)], routes()
        assert route_get("1.1.1.1") == UPLINK, route_get("1.1.1.1")
        world.modem.disconnect()
        assert wait_until(lambda: default_via("ppp0") == [], PATIENCE), routes()
        world.modem.connect(**{"route-metric": dbus.UInt32(50)})
        assert default_via("ppp0") == [("ppp0", 50)], routes()
        assert route_get("1.1.1.1") == "ppp0", route_get("1.1.1.1")
        assert int(world.modem.get("RouteMetric")) == 50
        world.modem.disconnect()
        assert wait_until(lambda: default_via("ppp0") == [], PATIENCE), routes()
        assert default_via(UPLINK) == [(UPLINK, 100)], routes()
    finally:
        subprocess.run(["ip", "link", "del", UPLINK])


def scenario_online_left_alone(world):
    """dns = none, default-route = no, ip-family = ipv4: no route, nothing in resolved, no IPV6CP."""
    world.modem.connect()
    assert world.modem.get("IPv4Address") == "10.64.0.2"
    assert default_via("ppp0") == [] and route_get("1.1.1.1") is None, routes()
    assert str(world.modem.get("DnsBackend")) == "none"
    assert not world.modem.get("DefaultRoute")
    assert resolved_link_gone(world), world.resolved.link_dns("ppp0")
    # No IPV6CP: the link is up, and IPV6CP would have run alongside IPCP.
    network_log = open(os.path.join(world.log_dir, "network-pppd.log")).read()
    assert "IPV6CP ConfAck" not in network_log, "IPV6CP was negotiated"
    assert strs(world.modem.get("IPv6Addresses")) == []
    world.modem.disconnect()


def scenario_online_no_default_route_keeps_the_ra_route_off(world):
    """default-route = no with IPv6: the global address comes, the RA's default route does not."""
    world.modem.connect()
    assert wait_until(lambda: strs(world.modem.get("IPv6Addresses")), PATIENCE), "no global IPv6 address"
    assert default_via("ppp0", "-6") == [], routes("-6")
    assert default_via("ppp0") == [], routes()
    assert world.resolved.link_default_route("ppp0") is False
    world.modem.disconnect()


def scenario_online_ipv4v6_refused_falls_back(world):
    """The network refuses the IPV4V6 context (the activation fails right after ATD): the same
    Connect dials again as IPv4 and comes up."""
    world.modem.connect()
    assert world.modem.get("IPv4Address") == "10.64.0.2"
    assert "dialing again as IPv4 only" in world.daemon.log_text(), world.daemon.log_text()[-3000:]
    assert world.modem.hangups == []
    world.modem.disconnect()
    kept = world.modem.iface.GetCallLogs(dbus.UInt32(1))
    assert "dialing again as IPv4 only" in str(kept[0][6]), str(kept[0][6])


def scenario_online_under_the_units_sandbox(world):
    """dialupd under the unit's sandbox (tests/guest/unit-sandbox): the route and resolved's DNS
    still get set, and a name only the network knows is reached by name over ppp0."""
    world.modem.connect()
    assert_online(world)
    ping = subprocess.run(["ping", "-c", "1", "-W", "10", TEST_NAME], capture_output=True, text=True)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert wait_until(lambda: strs(world.modem.get("IPv6Addresses")), PATIENCE), "no global IPv6 address"
    world.modem.disconnect()
    assert_offline(world)


def scenario_online_ipv6_only(world):
    """ip-family = ipv6: no IPCP; the call is connected once IPV6CP is up, the address, the RA's
    default route (at the route metric) and the RDNSS server follow, and resolved answers a name
    only the network knows over IPv6."""
    world.modem.connect()
    assert world.modem.get("State") == "connected"
    assert world.modem.get("Interface") == "ppp0" and world.modem.get("IPv4Address") == ""
    assert wait_until(lambda: strs(world.modem.get("IPv6Addresses")), PATIENCE), "no global IPv6 address"
    assert wait_until(lambda: default_via("ppp0", "-6") == [("ppp0", 700)], PATIENCE), routes("-6")
    assert wait_until(lambda: world.resolved.link_dns("ppp0") == [NETWORK_DNS6], PATIENCE), \
        world.resolved.link_dns("ppp0")
    assert world.modem.get("DefaultRoute")
    assert INTERNET_HOST[1] in world.resolved.resolve(TEST_NAME), world.resolved.resolve(TEST_NAME)
    ping6 = subprocess.run(["ping", "-6", "-c", "1", "-W", "10", INTERNET_HOST[1]], capture_output=True, text=True)
    assert ping6.returncode == 0, ping6.stdout + ping6.stderr
    world.modem.disconnect()
    assert_offline(world)


RECORD = "ppp0.dialupd"  # dialupd's resolvconf record for ppp0: <interface>.<program>, as Debian names them


def record_servers(world):
    """The nameservers of dialupd's record in /run/resolvconf/interface (None: no record)."""
    record = world.resolvconf.record(RECORD)
    return None if record is None else [line.split()[1] for line in record.splitlines()
                                        if line.startswith("nameserver ")]


def lookup_v4(name):
    """The IPv4 addresses the guest's libc finds for `name` (/etc/resolv.conf's servers)."""
    out = subprocess.run(["getent", "ahostsv4", name], capture_output=True, text=True)
    return sorted({line.split()[0] for line in out.stdout.splitlines() if line.strip()})


def assert_resolvconf_online(world):
    """What a Connect(wait) that returned must have left with resolvconf: the record written and
    the generated resolv.conf listing its servers (resolvconf -a regenerates it before exiting)."""
    assert world.modem.get("State") == "connected"
    assert str(world.modem.get("DnsBackend")) == "resolvconf", world.modem.get("DnsBackend")
    assert (record_servers(world) or [])[:2] == NETWORK_DNS, world.resolvconf.record(RECORD)
    assert world.resolvconf.records() == [RECORD], world.resolvconf.records()
    assert world.resolvconf.nameservers()[:2] == NETWORK_DNS, world.resolvconf.resolv_conf()


def assert_resolvconf_offline(world):
    assert wait_until(lambda: record_servers(world) is None and world.resolvconf.nameservers() == [], PATIENCE), \
        f"after the call: record {world.resolvconf.record(RECORD)!r}, resolv.conf {world.resolvconf.resolv_conf()!r}"
    assert world.resolvconf.records() == []
    assert str(world.modem.get("DnsBackend")) == ""


def scenario_online_resolvconf(world):
    """dns = resolvconf with Debian's resolvconf 1.91 (tests/guest/resolvconf.py), no resolved:
    Connected means the record ppp0.dialupd holds the network's servers and the resolv.conf it
    generates lists them, so the guest's libc finds a name only the network knows; the RA's
    RDNSS server joins them; Disconnect, and a carrier drop, take the record and the servers
    out of resolv.conf again."""
    assert os.readlink("/etc/resolv.conf") == "../run/resolvconf/resolv.conf"
    assert world.resolvconf.nameservers() == [] and lookup_v4(TEST_NAME) == [], world.resolvconf.resolv_conf()
    world.modem.connect()
    assert_resolvconf_online(world)
    assert lookup_v4(TEST_NAME) == [INTERNET_HOST[0]], lookup_v4(TEST_NAME)
    # The router advertisement's RDNSS server: resolvconf -a again, the record rewritten, then
    # resolv.conf (by the same resolvconf process, after the record: both are waited for).
    assert wait_until(lambda: record_servers(world) == NETWORK_DNS + [NETWORK_DNS6] and
                      world.resolvconf.nameservers() == NETWORK_DNS + [NETWORK_DNS6], PATIENCE), \
        (world.resolvconf.record(RECORD), world.resolvconf.resolv_conf())
    with open(os.path.join(world.log_dir, "resolv.conf"), "w") as out:
        out.write(world.resolvconf.resolv_conf())
    world.modem.disconnect()
    assert_resolvconf_offline(world)
    assert lookup_v4(TEST_NAME) == [], lookup_v4(TEST_NAME)
    # Again, then the network drops it: the interface is gone, the record is taken out all the same.
    world.modem.connect()
    assert_resolvconf_online(world)
    world.sim.command("fault carrier-drop")
    assert wait_until(lambda: world.modem.hangups, PATIENCE), "no Hangup after the carrier drop"
    assert_resolvconf_offline(world)
    log = world.modem.hangups[-1]["log"]
    for line in ("DNS: servers 10.64.0.53 10.64.0.54 to resolvconf for ppp0",
                 "DNS: taking ppp0's servers from resolvconf"):
        assert line in log, f"'{line}' missing from the Hangup log:\n{log}"


def scenario_online_auto_picks_resolvconf(world):
    """dns = auto (as a Connect option, over the config's dns = none) with no systemd-resolved on
    the bus and resolvconf installed: resolvconf gets the servers."""
    world.modem.connect(dns="auto")
    assert_resolvconf_online(world)
    assert lookup_v4(TEST_NAME) == [INTERNET_HOST[0]], lookup_v4(TEST_NAME)
    world.modem.disconnect()
    assert_resolvconf_offline(world)


def scenario_online_resolvconf_under_the_units_sandbox(world):
    """dialupd under the unit's sandbox (tests/guest/unit-sandbox) with dns = resolvconf:
    resolvconf, its child, writes its record and resolv.conf in /run/resolvconf (ReadWritePaths
    has /run) and takes them out again."""
    world.modem.connect()
    assert_resolvconf_online(world)
    assert lookup_v4(TEST_NAME) == [INTERNET_HOST[0]], lookup_v4(TEST_NAME)
    world.modem.disconnect()
    assert_resolvconf_offline(world)


def scenarios(unit_sandbox, make_run_trees):
    return [
        ("online-route-resolved-ipv6", scenario_online_route_resolved_ipv6, {"resolved": True}, None),
        ("online-next-to-an-existing-default-route", scenario_online_next_to_an_existing_default_route,
         {"resolved": True}, None),
        ("online-left-alone", scenario_online_left_alone,
         {"resolved": True, "modem_settings": "dns = none\ndefault-route = no\nip-family = ipv4"}, None),
        ("online-no-default-route-keeps-the-ra-route-off", scenario_online_no_default_route_keeps_the_ra_route_off,
         {"resolved": True, "modem_settings": "default-route = no"}, None),
        ("online-ipv6-only", scenario_online_ipv6_only, {"resolved": True, "modem_settings": "ip-family = ipv6"},
         None),
        ("online-ipv4v6-refused-falls-back", scenario_online_ipv4v6_refused_falls_back,
         {"faults": ["ipv4v6-rejected"]}, None),
        ("online-resolvconf", scenario_online_resolvconf, {"resolvconf": True, "modem_settings": "dns = resolvconf"},
         None),
        ("online-auto-picks-resolvconf", scenario_online_auto_picks_resolvconf,
         {"resolvconf": True, "modem_settings": "dns = none"}, None),
        ("online-resolvconf-under-the-units-sandbox", scenario_online_resolvconf_under_the_units_sandbox,
         {"resolvconf": True, "modem_settings": "dns = resolvconf", "daemon_wrapper": unit_sandbox,
          "prepare": make_run_trees}, None),
        ("online-under-the-units-sandbox", scenario_online_under_the_units_sandbox,
         {"resolved": True, "daemon_wrapper": unit_sandbox, "prepare": make_run_trees}, None),
    ]
