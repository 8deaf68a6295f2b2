# SPDX-License-Identifier: GPL-2.0-or-later
"""The DM log's flight recorder (dm-log = yes) against the simulator's DM port (tools/modem-sim
--dm-link): a carrier drop preceded by the network's ESM deactivation (cause #36) gives a Hangup
that names the cause and a saved .qmdl whose every frame passes its CRC; a DM port that never
answers DIAG still gives the Hangup, which says why there is no DM log. The .qmdl is read back
with an unframer of this file's own (not dialupd's, not the simulator's)."""
import os
import re
import stat

from checks import assert_reason, connect, keep_log, wait_for_hangup
from qmdl import qmdl_frames

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
    # GetCallLogs, which anyone may call, gives the text only.
    assert world.modem.get("State") == "disconnected"


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
