# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal reader of .qmdl files for the tests: the file's DIAG frames unescaped and their
CRC-16/X.25 checked. The tests' own, on purpose: neither dialupd's parser nor the simulator's
framer, so a fault shared by those two cannot pass unseen."""
import struct


def fcs(data):
    """CRC-16/X.25, bit by bit."""
    value = 0xFFFF
    for byte in data:
        for bit in range(8):
            value = (value >> 1) ^ 0x8408 if (value ^ (byte >> bit)) & 1 else value >> 1
    return value ^ 0xFFFF


def qmdl_frames(content):
    """The payloads of a .qmdl file; every frame must end in 0x7E and pass its CRC."""
    assert content.endswith(b"\x7e"), "the file does not end at a frame's end"
    payloads = []
    for framed in content[:-1].split(b"\x7e"):
        assert framed, "an empty frame"
        assert not framed.endswith(b"\x7d"), f"a dangling escape: {framed.hex()}"
        body = framed.replace(b"\x7d\x5e", b"\x7e").replace(b"\x7d\x5d", b"\x7d")
        assert len(body) >= 3, f"a frame shorter than its CRC: {framed.hex()}"
        assert struct.unpack("<H", body[-2:])[0] == fcs(body[:-2]), f"a frame whose CRC fails: {framed.hex()}"
        payloads.append(body[:-2])
    return payloads
