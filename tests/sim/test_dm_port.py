#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tools/modem-sim's DM port (Qualcomm DIAG) on the host: log-config commands answered, the
enabled log codes streamed, the NAS messages of a fault sent as framed LOG_F packets. The
framing is read back here with a minimal unframer of its own (not dialupd's, not the
simulator's), so the three are checked against each other. Prints TAP for meson."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_modem_sim import SimulatorTestCase, Terminal, hung_up  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import PATIENCE, run_tap  # noqa: E402


def fcs(data):
    """CRC-16/X.25, bit by bit: the HDLC frame check sequence."""
    value = 0xFFFF
    for byte in data:
        for bit in range(8):
            if (value ^ (byte >> bit)) & 1:
                value = (value >> 1) ^ 0x8408
            else:
                value >>= 1
    return value ^ 0xFFFF


def frame(payload):
    body = payload + struct.pack("<H", fcs(payload))
    return body.replace(b"\x7d", b"\x7d\x5d").replace(b"\x7e", b"\x7d\x5e") + b"\x7e"


def unframe(stream):
    """(whole payloads, bytes after the last 0x7E); a frame whose CRC fails raises."""
    *frames, rest = stream.split(b"\x7e")
    payloads = []
    for framed in frames:
        if not framed:
            continue
        body = framed.replace(b"\x7d\x5e", b"\x7e").replace(b"\x7d\x5d", b"\x7d")
        assert len(body) >= 3 and struct.unpack("<H", body[-2:])[0] == fcs(body[:-2]), f"bad frame {framed.hex()}"
        payloads.append(body[:-2])
    return payloads, rest


def set_mask(equipment, *items):
    count = max(items) + 1
    mask = bytearray((count + 7) // 8)
    for item in items:
        mask[item // 8] |= 1 << (item % 8)
    return struct.pack("<BxxxIII", 0x73, 3, equipment, count) + bytes(mask)


DISABLE = struct.pack("<BxxxI", 0x73, 0)
LTE = 0xB
# LTE RRC OTA, NAS ESM in, NAS EMM in
LTE_MASK = set_mask(LTE, 0x0C0, 0x0E2, 0x0EC)


class DmPort:
    def __init__(self, path):
        self.terminal = Terminal(path)
        self.rest = b""
        self.frames = []

    def send(self, payload):
        self.terminal.send(frame(payload))

    def read_until(self, condition, seconds=PATIENCE):
        """Frames as they come until `condition(frame)` holds for one; returns it (or None)."""
        deadline = time.monotonic() + seconds
        while True:
            while self.frames:
                payload = self.frames.pop(0)
                if condition(payload):
                    return payload
            if time.monotonic() >= deadline:
                return None
            try:
                data = os.read(self.terminal.fd, 65536)
            except BlockingIOError:
                time.sleep(0.02)
                continue
            payloads, self.rest = unframe(self.rest + data)
            self.frames += payloads

    def log_packets(self, code, count):
        """The next `count` LOG_F packets of `code`: (timestamp, body) each."""
        packets = []
        while len(packets) < count:
            payload = self.read_until(lambda p: is_log(p, code))
            if payload is None:
                break
            packets.append(log_fields(payload))
        return packets


def is_log(payload, code):
    return len(payload) >= 16 and payload[0] == 0x10 and struct.unpack("<H", payload[6:8])[0] == code


def log_fields(payload):
    _, _, outer, inner, _, timestamp = struct.unpack("<BBHHHQ", payload[:16])
    assert outer == inner == len(payload) - 4, "both lengths say the frame's size"
    return timestamp, payload[16:]


def is_config_answer(payload):
    return payload[:1] == b"\x73"


class DmTestCase(SimulatorTestCase):
    rate = "20000"

    @property
    def extra(self):
        return ("--dm-link", os.path.join(self.dir, "ttyUSB0"), "--dm-rate", self.rate, "--network-cmd", "cat")

    def open_dm(self):
        dm = DmPort(os.path.join(self.dir, "ttyUSB0"))
        self.terminals.append(dm.terminal)
        return dm

    def enable(self, dm, request=LTE_MASK):
        dm.send(request)
        answer = dm.read_until(is_config_answer)
        self.assertIsNotNone(answer, "no answer to SET_MASK")
        return answer


class LogConfig(DmTestCase):
    def test_set_mask_answered_and_the_code_streamed(self):
        dm = self.open_dm()
        answer = self.enable(dm)
        # command, padding, operation 3, status 0, then the equipment id, item count and mask echoed
        self.assertEqual(answer[:12], struct.pack("<BxxxII", 0x73, 3, 0))
        self.assertEqual(answer[12:], LTE_MASK[8:])
        state = self.ask("dm-state")
        self.assertIn("logging=on", state)
        self.assertIn("codes=0xb0c0,0xb0e2,0xb0ec", state)
        packets = dm.log_packets(0xB0C0, 20)
        self.assertEqual(len(packets), 20, "the background stream of RRC OTA packets")
        stamps = [timestamp for timestamp, _ in packets]
        self.assertEqual(stamps, sorted(stamps), "DIAG timestamps in order")
        # 1.25 ms ticks since 1980-01-06 in bits 63..16: now, give or take a day.
        seconds = (stamps[0] >> 16) * 0.00125 + 315964800
        self.assertLess(abs(seconds - time.time()), 86400)

    def test_disable_stops_the_stream(self):
        dm = self.open_dm()
        self.enable(dm)
        self.assertEqual(len(dm.log_packets(0xB0C0, 3)), 3)
        dm.send(DISABLE)
        answer = dm.read_until(is_config_answer)
        self.assertEqual(answer, struct.pack("<BxxxII", 0x73, 0, 0))
        # Whatever was sent before the answer came before it; after it, nothing.
        self.assertIsNone(dm.read_until(lambda p: True, seconds=1.0))
        self.assertIn("logging=off", self.ask("dm-state"))

    def test_other_commands_refused_and_bad_crc_ignored(self):
        dm = self.open_dm()
        bad = bytearray(frame(LTE_MASK))
        bad[0] ^= 0x01
        dm.terminal.send(bytes(bad))
        dm.send(b"\x00")  # version request
        answer = dm.read_until(lambda p: True)
        self.assertEqual(answer, b"\x13\x00", "the first answer is the refusal: the bad frame got none")
        self.assertIn("logging=off", self.ask("dm-state"))

    def test_dm_received_keeps_the_clients_bytes_in_order(self):
        """What a test of dialupd's mask file reads back: every byte as written, bad frames too."""
        self.assertEqual(self.ask("dm-received"), "OK -")
        dm = self.open_dm()
        bad = bytearray(frame(LTE_MASK))
        bad[0] ^= 0x01
        written = bytes(bad) + frame(set_mask(LTE, 0x0E2)) + frame(DISABLE)
        dm.terminal.send(written)
        self.assertIsNotNone(dm.read_until(lambda p: p == struct.pack("<BxxxII", 0x73, 0, 0)), "DISABLE answered")
        self.assertEqual(self.ask("dm-received"), "OK " + written.hex())

    def test_no_nas_packet_unless_its_code_is_enabled(self):
        dm = self.open_dm()
        self.assertEqual(self.ask("dm-send esm-deactivate"), "ERROR not logged")
        self.enable(dm, set_mask(LTE, 0x0E2))
        self.assertEqual(self.ask("dm-send emm-detach"), "ERROR not logged")
        self.assertEqual(self.ask("dm-send esm-deactivate"), "OK")
        payload = dm.read_until(lambda p: is_log(p, 0xB0E2))
        self.assertEqual(log_fields(payload)[1], bytes([1, 9, 5, 0, 0x52, 0x00, 0xCD, 0x24]))

    @unittest.skipUnless(shutil.which("tshark"), "tshark is not installed")
    def test_wireshark_reads_the_nas_messages(self):
        """The NAS PDUs the simulator logs, decoded by Wireshark's NAS-EPS dissector: a pcap of
        them with link type USER0 (147) mapped to nas-eps. dissect_plain: these are plain
        messages, as the module's plain OTA packets hold them."""
        dm = self.open_dm()
        self.enable(dm)
        pdus = []
        for name, code in (("esm-deactivate", 0xB0E2), ("emm-detach", 0xB0EC), ("service-reject", 0xB0EC)):
            self.assertEqual(self.ask("dm-send " + name), "OK")
            pdus.append(log_fields(dm.read_until(lambda p, code=code: is_log(p, code)))[1][4:])
        with tempfile.NamedTemporaryFile(suffix=".pcap", dir=self.dir, delete=False) as pcap:
            pcap.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 147))
            for second, pdu in enumerate(pdus):
                pcap.write(struct.pack("<IIII", second, 0, len(pdu), len(pdu)) + pdu)
        user_dlt = 'uat:user_dlts:"User 0 (DLT=147)","nas-eps","0","","0",""'
        decoded = subprocess.run(["tshark", "-r", pcap.name, "-o", user_dlt, "-o", "nas-eps.dissect_plain:TRUE",
                                  "-T", "fields", "-e", "_ws.col.Info"],
                                 capture_output=True, text=True, timeout=PATIENCE)
        self.assertEqual(decoded.returncode, 0, decoded.stderr)
        self.assertEqual(decoded.stdout.splitlines(), [
            "Deactivate EPS bearer context request (Regular deactivation)",
            "Detach request (Re-attach not required) (EPS services not allowed)",
            "Service reject (UE identity cannot be derived by the network)"])


class Faults(DmTestCase):
    rate = "0"

    def dial_with_logging(self):
        dm = self.open_dm()
        self.enable(dm)
        modem = self.open(self.modem_link)
        self.assertIn("CONNECT", modem.command("ATD*99#"))
        return dm, modem

    def test_carrier_drop_sends_esm_deactivation_36_first(self):
        dm, modem = self.dial_with_logging()
        self.assertEqual(self.ask("fault carrier-drop"), "OK")
        payload = dm.read_until(lambda p: is_log(p, 0xB0E2))
        self.assertIsNotNone(payload)
        # NAS plain OTA: version 1, release 9.5.0; EPS bearer 5 | ESM, PTI 0, 0xCD, ESM cause #36
        self.assertEqual(log_fields(payload)[1], bytes([1, 9, 5, 0, 0x52, 0x00, 0xCD, 0x24]))
        self.assertTrue(hung_up(modem)[0], "the carrier dropped")

    @unittest.skipUnless(shutil.which("tshark"), "tshark is not installed")
    def test_carrier_drop_then_an_rrc_release_wireshark_reads(self):
        """After the ESM deactivation, the RRC connection release: an LTE RRC OTA packet
        (0xB0C0) of version 20, its 19-byte header read here (PDU number 7: DL-DCCH), the PDU
        decoded by Wireshark's lte-rrc.dl.dcch dissector, the independent check of the bits
        dialupd's decoder reads (service/core/lte_rrc.cpp)."""
        dm, modem = self.dial_with_logging()
        self.assertEqual(self.ask("fault carrier-drop"), "OK")
        self.assertIsNotNone(dm.read_until(lambda p: is_log(p, 0xB0E2)), "the ESM deactivation first")
        body = log_fields(dm.read_until(lambda p: is_log(p, 0xB0C0)))[1]
        version, _, _, _, _, _, pdu_number, _, length = struct.unpack("<BHBHIHBIH", body[:19])
        self.assertEqual((version, pdu_number), (20, 7))
        pdu = body[19:]
        self.assertEqual(len(pdu), length)
        with tempfile.NamedTemporaryFile(suffix=".pcap", dir=self.dir, delete=False) as pcap:
            pcap.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 147))
            pcap.write(struct.pack("<IIII", 0, 0, len(pdu), len(pdu)) + pdu)
        user_dlt = 'uat:user_dlts:"User 0 (DLT=147)","lte-rrc.dl.dcch","0","","0",""'
        decoded = subprocess.run(["tshark", "-r", pcap.name, "-o", user_dlt, "-T", "fields", "-e", "_ws.col.Info",
                                  "-e", "lte-rrc.releaseCause"], capture_output=True, text=True, timeout=PATIENCE)
        self.assertEqual(decoded.returncode, 0, decoded.stderr)
        self.assertEqual(decoded.stdout.splitlines(), ["RRCConnectionRelease [cause=other]\t1"])
        self.assertTrue(hung_up(modem)[0])

    def test_network_detach_sends_emm_detach_7_and_denies_registration(self):
        dm, modem = self.dial_with_logging()
        self.assertEqual(self.ask("fault network-detach"), "OK")
        payload = dm.read_until(lambda p: is_log(p, 0xB0EC))
        self.assertEqual(log_fields(payload)[1], bytes([1, 9, 5, 0, 0x07, 0x45, 0x02, 0x53, 0x07]))
        self.assertTrue(hung_up(modem)[0])
        self.assertIn("registration=3", self.ask("state"))

    def test_network_detach_deregisters_until_register(self):
        """The AT port says the module is no longer registered (URC and read) until the network
        takes it back ("register home"), which its URC says too."""
        at = self.open(self.at_link)
        self.assertIn("OK", at.command("AT+CEREG=2"))
        self.assertIn("+CEREG: 2,1,", at.command("AT+CEREG?"))
        dm, modem = self.dial_with_logging()
        self.assertEqual(self.ask("fault network-detach"), "OK")
        self.assertIn("+CEREG: 3\r\n", at.read_until("+CEREG: 3"))
        self.assertTrue(hung_up(modem)[0])
        self.assertIn("+CEREG: 2,3\r\n", at.command("AT+CEREG?"))
        self.assertEqual(at.read_for(1.0), "", "nothing changes by itself")
        self.assertIn("+CEREG: 2,3\r\n", at.command("AT+CEREG?"))
        self.assertEqual(self.ask("register home"), "OK")
        self.assertIn('+CEREG: 1,"9E7A","1A2D001",7\r\n', at.read_until('+CEREG: 1,"9E7A","1A2D001",7'))

    def test_service_reject(self):
        dm, modem = self.dial_with_logging()
        self.assertEqual(self.ask("fault service-reject"), "OK")
        payload = dm.read_until(lambda p: is_log(p, 0xB0EC))
        self.assertEqual(log_fields(payload)[1], bytes([1, 9, 5, 0, 0x07, 0x4E, 0x09]))
        self.assertTrue(hung_up(modem)[0])

    def test_faults_need_a_call(self):
        self.assertEqual(self.ask("fault network-detach"), "ERROR no call")


class Silent(DmTestCase):
    faults = ("dm-silent",)

    def test_a_dead_diag_answers_nothing(self):
        dm = self.open_dm()
        dm.send(LTE_MASK)
        self.assertIsNone(dm.read_until(lambda p: True, seconds=1.5))
        self.assertIn("logging=off", self.ask("dm-state"))


if __name__ == "__main__":
    sys.exit(run_tap(LogConfig, Faults, Silent))
