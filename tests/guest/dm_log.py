# SPDX-License-Identifier: GPL-2.0-or-later
"""The DM log's flight recorder (dm-log = yes) against the simulator's DM port (tools/modem-sim
--dm-link): a carrier drop preceded by the network's ESM deactivation (cause #36) gives a Hangup
that names the cause and a saved .qmdl whose every frame passes its CRC; a DM port that never
answers DIAG still gives the Hangup, which says why there is no DM log. The .qmdl is read back
with an unframer of this file's own (not dialupd's, not the simulator's). The cause scenario also
fetches the .qmdl over the bus with `dialupctl log --qmdl` and has Wireshark's NAS-EPS dissector
(tshark) decode the NAS PDUs in it: it must name the message and the cause the Hangup named."""
import os
import re
import stat
import struct
import subprocess

import dbus

from checks import DIALUPCTL, RESULT, assert_reason, connect, keep_log, pppd_processes, sim_log, wait_for_hangup
from qmdl import fcs, qmdl_frames
from world import PATIENCE, wait_until

DM_PORT = "/dev/ttyUSB0"
# The World options of both scenarios: the simulator's DM port, and the recorder on.
DM_WORLD = {"sim_args": ["--dm-link", DM_PORT], "modem_settings": f"dm-log = yes\ndm-port = {DM_PORT}"}



def scenario_dm_log_names_the_networks_cause(world):
    connect(world)
    world.sim.command("fault carrier-drop")
    hangup = wait_for_hangup(world)
    keep_log("dm-log-carrier-drop", hangup, world)
    log = hangup["log"]
    assert (hangup["code"], hangup["name"]) == (16, "hangup"), hangup
    assert "== DM log ==" in log, log
    assert re.search(r"network: ESM cause #36 regular deactivation \(NAS, \d+\.\d s before the end\)", log), log
    assert "Deactivate EPS bearer context request (network to UE): ESM cause #36 regular deactivation" in log, log
    # The RRC connection release after it is listed with its time, and does not hide the NAS cause.
    assert re.search(r"DM log: \d+\.\d s before the end: RRC connection release \(network to UE\): RRC release "
                     r"cause other\n", log), log
    assert "ended: 16 hangup: " in log and "; network: ESM cause #36 regular deactivation" in log, log
    reason = world.modem.get("LastExitReason")
    assert "network: ESM cause #36 regular deactivation" in str(reason[2]), reason
    assert_reason(world, 16, "hangup")
    found = re.search(r"DM log: (\d+) frames, (\d+) bytes, (\d+\.\d) s, saved as (\S+)\n", log)
    assert found, log
    frames, size, path = int(found.group(1)), int(found.group(2)), found.group(4)
    assert path.startswith(world.scratch + "/state/calls/ec25/") and path.endswith(".qmdl"), path
    info = os.lstat(path)
    assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600, oct(info.st_mode)
    with open(path, "rb") as qmdl:
        content = qmdl.read()
    assert len(content) == size, (len(content), size)
    payloads = qmdl_frames(content)
    assert len(payloads) == frames, (len(payloads), frames)
    # The log-config answer and the ESM deactivation (LOG_F 0x10, code 0xB0E2, its PDU ... cd 24) are among them.
    assert any(p[0] == 0x73 for p in payloads), "no log-config answer kept"
    assert any(p[0] == 0x10 and p[6:8] == b"\xe2\xb0" and b"\xcd\x24" in p for p in payloads), "no ESM #36 kept"
    # GetCallLogs, which anyone may call, gives the text only, naming the file.
    assert world.modem.get("State") == "disconnected"
    kept = str(world.modem.iface.GetCallLogs(dbus.UInt32(1))[0][6])
    assert f"saved as {path}\n" in kept, kept
    # The file over the real bus (OpenDiagnosticLog's descriptor), as a person fetches it.
    fetched = os.path.join(world.scratch, "drop.qmdl")
    env = {"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": world.bus.address, "TZ": "UTC"}
    ctl = subprocess.run([DIALUPCTL, "log", "--qmdl", fetched], capture_output=True, text=True, env=env, timeout=120)
    assert ctl.returncode == 0, f"dialupctl log --qmdl: exit {ctl.returncode}\n{ctl.stdout}{ctl.stderr}"
    assert f"wrote {size} bytes to {fetched}" in ctl.stdout, ctl.stdout
    with open(fetched, "rb") as qmdl:
        assert qmdl.read() == content, "dialupctl log --qmdl wrote other bytes than the kept file"
    assert stat.S_IMODE(os.stat(fetched).st_mode) == 0o600, oct(os.stat(fetched).st_mode)
    # Wireshark's decoding of the same file, independent of dialupd's NAS parser.
    decoded = tshark_nas(qmdl_frames(content), os.path.join(world.scratch, "drop-nas.pcap"))
    # The message the Hangup named, with ESM cause 36 (tshark's field nas_eps.esm.cause).
    assert "Deactivate EPS bearer context request (Regular deactivation)\t36" in decoded, decoded
    with open(os.path.join(RESULT, "dm-log-carrier-drop.tshark.txt"), "w") as out:
        out.write(f"$ dialupctl log --qmdl drop.qmdl\n{ctl.stdout}"
                  f"dialupd's Hangup: {re.search(r'^network: .*', log, re.M).group(0)}\n"
                  "tshark (nas-eps on the file's NAS PDUs; Info, ESM cause): "
                  + "; ".join(line.replace("\t", ", ESM cause ") for line in decoded) + "\n")


# The LTE NAS log codes whose packets hold a plain NAS PDU after a 4-byte header: ESM and EMM,
# network to UE and back (0xB0E2/0xB0E3, 0xB0EC/0xB0ED).
NAS_LOG_CODES = (0xB0E2, 0xB0E3, 0xB0EC, 0xB0ED)


def tshark_nas(payloads, pcap_path):
    """The NAS PDUs of the log packets among `payloads`, as Wireshark's NAS-EPS dissector names
    them ("Info<TAB>ESM cause", the cause empty for a message without one): a pcap with link type
    USER0 (147) mapped to nas-eps (tests/sim/test_dm_port.py's way)."""
    pdus = []
    for payload in payloads:
        if len(payload) < 20 or payload[0] != 0x10:
            continue
        _, _, outer, inner, code, _ = struct.unpack("<BBHHHQ", payload[:16])
        assert outer == inner == len(payload) - 4, f"a log packet whose lengths disagree: {payload.hex()}"
        if code in NAS_LOG_CODES:
            pdus.append(payload[20:])
    assert pdus, "no NAS log packet in the file"
    with open(pcap_path, "wb") as pcap:
        pcap.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 147))
        for second, pdu in enumerate(pdus):
            pcap.write(struct.pack("<IIII", second, 0, len(pdu), len(pdu)) + pdu)
    user_dlt = 'uat:user_dlts:"User 0 (DLT=147)","nas-eps","0","","0",""'
    result = subprocess.run(["tshark", "-r", pcap_path, "-o", user_dlt, "-o", "nas-eps.dissect_plain:TRUE",
                             "-T", "fields", "-e", "_ws.col.Info", "-e", "nas_eps.esm.cause"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def scenario_dm_log_silent_port(world):
    connect(world)
    world.sim.command("fault carrier-drop")
    hangup = wait_for_hangup(world)
    keep_log("dm-log-silent", hangup, world)
    log = hangup["log"]
    assert (hangup["code"], hangup["name"]) == (16, "hangup"), hangup
    assert "== DM log ==" in log, log
    # Given up after 5 s, or the call ended before that: either way the log says why.
    assert re.search(r"no DM log: the module (did not answer|had not answered) DIAG's log-config command on "
                     + re.escape(DM_PORT), log), log
    assert "network:" not in log, log


# --- an EMM detach #7: the redial waits for the next registration --------------------------

# reconnect-delay 1: a redial on the backoff would come 0.8-1.2 s after the end.
DETACH_WORLD = dict(DM_WORLD, modem_settings=DM_WORLD["modem_settings"] + "\nreconnect = yes\nreconnect-delay = 1")
AWAITS_EVENT = 2**64 - 1  # NextReconnect while the redial waits for an event, not a time
WAITS = "redial waits for the network to register the module again (EMM cause #7 EPS services not allowed)"


def scenario_dm_log_detach_waits_for_registration(world):
    """The network detaches the module with EMM cause #7 (the simulator's network-detach: the
    NAS Detach request on the DM port, the carrier dropped, +CEREG: 3 on the AT port): the Hangup
    names the cause and says the redial waits for a registration; no dial comes while the module
    is unregistered, well past the backoff; "register home" brings the redial, which connects."""
    connect(world)
    world.sim.command("fault network-detach")
    hangup = wait_for_hangup(world)
    keep_log("dm-log-detach-7", hangup, world)
    log = hangup["log"]
    assert (hangup["code"], hangup["name"]) == (16, "hangup"), hangup
    assert re.search(r"network: EMM cause #7 EPS services not allowed \(NAS, \d+\.\d s before the end\)", log), log
    assert "dialupd: " + WAITS in log, log
    assert "redial 1 in" not in log, log
    assert "; network: EMM cause #7 EPS services not allowed; " + WAITS in log, log  # the summary line
    assert WAITS in str(world.modem.get("LastExitReason")[2]), world.modem.get("LastExitReason")
    assert int(world.modem.get("NextReconnect")) == AWAITS_EVENT, world.modem.get("NextReconnect")
    # The live status has read the registration again after the Hangup's snapshot (the sim logs
    # the read), and the module is still denied.
    assert "registration=3" in world.sim.command("state")

    def reads_since_the_fault():
        log = sim_log(world)
        return log[log.index("fault: network-detach"):].count("at -> 'AT+CEREG?'")
    assert wait_until(lambda: reads_since_the_fault() >= 2, PATIENCE), sim_log(world)[-3000:]  # snapshot, live status
    # Four times the longest first backoff (1.2 s): no pppd, no ATD, the redial still waiting.
    dialled = lambda: (pppd_processes() or world.modem.get("State") != "disconnected"  # noqa: E731
                       or sim_log(world).count("modem -> 'ATD") > 1)
    assert wait_until(dialled, 5.0) is False, (world.modem.states, sim_log(world)[-3000:])
    assert int(world.modem.get("NextReconnect")) == AWAITS_EVENT
    assert world.modem.states == ["connecting", "connected", "disconnected"], world.modem.states
    # The network takes the module back: its URC, then the redial at once.
    assert world.sim.command("register home") == "OK"
    assert wait_until(lambda: world.modem.states[-2:] == ["connecting", "connected"] and len(world.modem.states) > 3,
                      PATIENCE), (world.modem.states, world.daemon.log_text()[-3000:])
    assert world.modem.states == ["connecting", "connected", "disconnected", "connecting", "connected"], \
        world.modem.states
    sim = sim_log(world)
    assert sim.index("control: 'register home'") < sim.rindex("modem -> 'ATD"), sim[-3000:]
    assert int(world.modem.get("NextReconnect")) == 0
    assert "the module is registered again (home): redialing" in world.daemon.log_text()
    assert len(world.modem.hangups) == 1


# --- a user's mask file is sent as it is -----------------------------------------------------

MASK_FILE = "/run/dialupd-test-mask.cfg"


def framed(payload):
    body = payload + struct.pack("<H", fcs(payload))
    return body.replace(b"\x7d", b"\x7d\x5d").replace(b"\x7e", b"\x7d\x5e") + b"\x7e"


def set_mask(equipment, count, *items):
    mask = bytearray((count + 7) // 8)
    for item in items:
        mask[item // 8] |= 1 << (item % 8)
    return struct.pack("<BxxxIII", 0x73, 3, equipment, count) + bytes(mask)


# Not the built-in mask: LTE NAS EMM in and out only (0xB0EC, 0xB0ED), and for equipment 4 item
# 0x7D of 0x7E: that count is a flag byte, escaped in the frame, so a frame decoded and framed
# again on the way could show.
USER_MASK = framed(set_mask(0xB, 0xEE, 0xEC, 0xED)) + framed(set_mask(4, 0x7E, 0x7D))
DISABLE = framed(struct.pack("<BxxxI", 0x73, 0))


def write_mask_file():
    fd = os.open(MASK_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(USER_MASK)


MASK_WORLD = dict(DM_WORLD, modem_settings=DM_WORLD["modem_settings"] + f"\ndm-mask-file = {MASK_FILE}",
                  prepare=write_mask_file)


def received(world):
    answer = world.sim.command("dm-received")
    assert answer.startswith("OK "), answer
    return b"" if answer == "OK -" else bytes.fromhex(answer[3:])


def scenario_dm_log_mask_file_sent_verbatim(world):
    """dm-mask-file: the module's DM port receives exactly the file's bytes, in order, when the
    dial starts (the built-in mask never), and DISABLE when the call is over."""
    assert b"\x7d\x5e" in USER_MASK, USER_MASK.hex()
    connect(world)
    assert wait_until(lambda: len(received(world)) >= len(USER_MASK), PATIENCE), received(world).hex()
    assert received(world) == USER_MASK, (received(world).hex(), USER_MASK.hex())
    # The module took it: the codes of the file, and no other.
    state = world.sim.command("dm-state")
    assert "codes=0x407d,0xb0ec,0xb0ed " in state, state
    world.modem.disconnect()
    assert wait_until(lambda: len(received(world)) > len(USER_MASK), PATIENCE), received(world).hex()
    assert received(world) == USER_MASK + DISABLE, (received(world).hex(), (USER_MASK + DISABLE).hex())
