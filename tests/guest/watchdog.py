# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest scenarios: the connectivity watchdog (config key `check`) against the simulated network.
A network that keeps answering LCP echo while its data path is dead: a blackhole rule in the
network's namespace drops every packet it sends to the client (pppd's LCP is no IP packet and
goes on), the watchdog ends the call with 65 connectivity-lost after check-failures failed
checks, its Hangup log lists each probe, and the redial comes up once the path is back. With
traffic flowing over the link no probe is sent: the network's DNS server counts the probes.
The same with `check = tcp` against a listener on the network's side, which counts the
watchdog's connects while the path works."""
import os
import re
import subprocess

from world import PATIENCE, wait_until
import world as network
from checks import RESULT, assert_evidence, assert_ping, connect, keep_log, wait_for_hangup

# Short intervals: a check every 2 s, 1 s between retries and for an answer; IPv4 only, so no
# router advertisement comes in to count as traffic.
FAST_CHECKS = ("ip-family = ipv4\ncheck-interval = 2\ncheck-retry-interval = 1\ncheck-failures = 3\n"
               "check-timeout = 1\n")
CLIENT = "10.64.0.2"
BLACKHOLE = ["ip", "-n", "network", "rule", "add", "to", CLIENT + "/32", "blackhole", "priority", "10"]


def _blackhole(on):
    command = list(BLACKHOLE)
    command[4] = "add" if on else "del"
    subprocess.run(command, check=True)


TCP_PORT = 8080
TCP_TARGET = f"{network.INTERNET_HOST[0]}:{TCP_PORT}"
# A server on the network's side: accepts, writes one line per connection to its log, and waits
# for the client to send or close before it closes (as a server that expects a request does).
LISTENER = """
import socket, sys, time
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", int(sys.argv[1])))
server.listen(16)
open(sys.argv[2] + ".ready", "w").close()
while True:
    connection, peer = server.accept()
    with open(sys.argv[2], "a") as log:
        log.write(f"{time.monotonic():.3f} accepted from {peer[0]}:{peer[1]}\\n")
    connection.settimeout(30)
    try:
        connection.recv(1)
    except OSError:
        pass
    connection.close()
"""


class Listener:
    """LISTENER in the network's namespace, on TCP_PORT of every address there (INTERNET_HOST's
    among them, reachable over the link only)."""

    def __init__(self, world):
        self.log = os.path.join(world.log_dir, "network-tcp-listener.log")
        self.process = subprocess.Popen(["ip", "netns", "exec", "network", "/usr/bin/python3", "-c", LISTENER,
                                         str(TCP_PORT), self.log])
        assert wait_until(lambda: os.path.exists(self.log + ".ready"), PATIENCE), "the TCP listener did not start"

    def accepted(self):
        """Connections from the client's address so far."""
        try:
            with open(self.log) as log:
                return sum(1 for line in log if f"accepted from {CLIENT}:" in line)
        except FileNotFoundError:
            return 0

    def stop(self):
        self.process.terminate()
        self.process.wait(PATIENCE)


# What each kind's failed probe says in the Hangup log, and to which targets (in order).
FAILED_PROBE = {
    "icmp": (r"connectivity check (\d)/3: icmp to (10\.64\.0\.5[34]) over ppp0, sent ICMP echo request seq \d+, "
             r"24 bytes[^:]*: no answer within 1 s", network.NETWORK_DNS),
    "tcp": (r"connectivity check (\d)/3: tcp to (10\.64\.0\.80:8080) over ppp0, sent TCP connect \(SYN\) to port "
            r"8080: no answer within 1 s", [TCP_TARGET]),
}


def connectivity_lost(kind):
    """check = `kind`: the path works, then the network blackholes it (LCP still answered): the
    call ends with 65 after 3 failed checks, each probe in the Hangup log; once the path is back
    the redial comes up. For tcp, the network's listener counts the watchdog's connects: they
    arrive while the path is up, and again after the redial."""
    def scenario(world):
        listener = Listener(world) if kind == "tcp" else None
        try:
            connect(world)
            assert_ping(network.NETWORK_DNS[0])  # the path works before the blackhole
            if listener:
                # The probes succeed: the network sees the watchdog's connects. On the idle link
                # each check probes: the connection's end brings nothing back that the next check
                # would take for traffic and skip its probe for (the ping above may, before).
                assert wait_until(lambda: listener.accepted() >= 3, PATIENCE), "no TCP probe reached the network"
                log = world.daemon.log_text()
                since = log[log.index(f"tcp to {TCP_TARGET} over ppp0, sent TCP connect (SYN) to port {TCP_PORT}: "
                                      "connected"):]
                assert "connectivity check on ppp0 skipped" not in since, since
            _blackhole(True)
            try:
                hangup = wait_for_hangup(world)
            finally:
                _blackhole(False)
            assert (hangup["code"], hangup["name"]) == (65, "connectivity-lost"), hangup
            keep_log(f"watchdog-{kind}-connectivity-lost", hangup, world)
            log = hangup["log"]
            pattern, targets = FAILED_PROBE[kind]
            probes = re.findall(pattern, log)
            # Every check asks each target in turn (one answer would be enough).
            assert [p[0] for p in probes] == [str(n) for n in (1, 2, 3) for _ in targets], log
            assert [p[1] for p in probes] == targets * 3, log
            assert_evidence(hangup,
                            f"3 connectivity checks in a row failed ({3 * len(targets)} probes, each above): "
                            "ending the call", "dialupd ended the call: the connectivity checks failed",
                            "dialupd: redial 1 in")
            # The path is back: the redial comes up, and the link carries data again.
            assert wait_until(lambda: world.modem.states[-2:] == ["connecting", "connected"] and
                              len(world.modem.states) > 4, PATIENCE), world.modem.states
            assert world.modem.states[:4] == ["connecting", "connected", "disconnecting", "disconnected"], \
                world.modem.states
            assert_ping(network.NETWORK_DNS[0])
            if listener:
                before = listener.accepted()
                assert wait_until(lambda: listener.accepted() > before, PATIENCE), "no TCP probe after the redial"
            world.modem.disconnect()
        finally:
            if listener:
                listener.stop()
    return scenario


def dns_probes(world, client=CLIENT):
    """The watchdog's DNS probes from `client` the network's server has seen."""
    try:
        with open(os.path.join(world.log_dir, "network-dnsmasq.log")) as log:
            return sum(1 for line in log if f"query[A] {network.TEST_NAME} from {client}" in line)
    except FileNotFoundError:
        return 0


def scenario_no_probe_while_traffic_flows(world):
    connect(world)
    # Idle: the probes come, one per check-interval.
    assert wait_until(lambda: dns_probes(world) >= 2, PATIENCE), "no DNS probe on an idle link"
    pinger = subprocess.Popen(["ping", "-n", "-q", "-i", "0.2", "-I", "ppp0", network.NETWORK_DNS[1]],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: int(open("/sys/class/net/ppp0/statistics/rx_packets").read()) > 5, PATIENCE)
        wait_until(lambda: False, 3)  # a probe already on its way when the traffic began
        before = dns_probes(world)
        wait_until(lambda: False, 8)  # four check-intervals with traffic
        during = dns_probes(world) - before
    finally:
        pinger.terminate()
        pinger.wait(PATIENCE)
    with open(os.path.join(RESULT, "watchdog-probes-while-traffic-flows.txt"), "w") as out:
        out.write(f"DNS probes seen by the network during 8 s of pings every 0.2 s (check-interval 2 s): {during}\n")
    assert during == 0, f"{during} probes went out while traffic flowed"
    # Idle again: the probes come back.
    assert wait_until(lambda: dns_probes(world) > before, PATIENCE), "no probe once the traffic stopped"
    assert world.modem.hangups == [] and world.modem.get("State") == "connected", world.modem.states
    world.modem.disconnect()


def scenarios():
    return [
        ("watchdog-connectivity-lost-65", connectivity_lost("icmp"),
         {"modem_settings": FAST_CHECKS + "check = icmp\nreconnect = yes\nreconnect-delay = 1"}, None),
        ("watchdog-tcp-connectivity-lost-65", connectivity_lost("tcp"),
         {"modem_settings": FAST_CHECKS + f"check = tcp\ncheck-targets = {TCP_TARGET}\nreconnect = yes\n"
                                          "reconnect-delay = 1"}, None),
        ("watchdog-no-probe-while-traffic-flows", scenario_no_probe_while_traffic_flows,
         {"modem_settings": FAST_CHECKS + f"check = dns\ncheck-name = {network.TEST_NAME}"}, None),
    ]
