# SPDX-License-Identifier: GPL-2.0-or-later
"""A D-Bus client on a plain socket, for messages libdbus refuses to build: the wire format
marshalled by hand (strings may be bytes that are not UTF-8, lengths may lie, headers may hold
unknown fields), EXTERNAL authentication, and replies read back by serial."""
import os
import socket
import struct
import time

from testbed import PATIENCE

def split_types(signature):
    """'a{sv}(ii)s' -> ['a{sv}', '(ii)', 's']."""
    types, at = [], 0
    while at < len(signature):
        end = _type_end(signature, at)
        types.append(signature[at:end])
        at = end
    return types


def _type_end(signature, at):
    code = signature[at]
    if code == "a":
        return _type_end(signature, at + 1)
    if code in "({":
        close = ")" if code == "(" else "}"
        at += 1
        while signature[at] != close:
            at = _type_end(signature, at)
        return at + 1
    return at + 1


def _pad(buffer, alignment):
    buffer.extend(b"\0" * (-len(buffer) % alignment))


_FIXED = {"y": ("B", 1), "b": ("I", 4), "n": ("h", 2), "q": ("H", 2), "i": ("i", 4), "u": ("I", 4),
          "x": ("q", 8), "t": ("Q", 8), "d": ("d", 8), "h": ("I", 4)}


def _alignment(signature):
    code = signature[0]
    if code in _FIXED:
        return _FIXED[code][1]
    return {"s": 4, "o": 4, "g": 1, "v": 1, "a": 4, "(": 8, "{": 8}[code]


def marshal(buffer, signature, value, endian="<"):
    """Appends one complete type. Strings, paths and signatures may be bytes: sent as they are."""
    code = signature[0]
    if code in _FIXED:
        form, size = _FIXED[code]
        _pad(buffer, size)
        buffer.extend(struct.pack(endian + form, value))
    elif code in "so":
        data = value if isinstance(value, bytes) else value.encode()
        _pad(buffer, 4)
        buffer.extend(struct.pack(endian + "I", len(data)) + data + b"\0")
    elif code == "g":
        data = value if isinstance(value, bytes) else value.encode()
        buffer.extend(bytes([len(data)]) + data + b"\0")
    elif code == "v":
        inner, inner_value = value
        marshal(buffer, "g", inner, endian)
        marshal(buffer, inner if isinstance(inner, str) else inner.decode(), inner_value, endian)
    elif code == "(":
        _pad(buffer, 8)
        for part, part_value in zip(split_types(signature[1:-1]), value):
            marshal(buffer, part, part_value, endian)
    elif code == "a":
        element = signature[1:]
        _pad(buffer, 4)
        at = len(buffer)
        buffer.extend(b"\0\0\0\0")
        _pad(buffer, _alignment(element))
        start = len(buffer)
        for item in value:
            if element[0] == "{":
                _pad(buffer, 8)
                key, item_type = split_types(element[1:-1])
                marshal(buffer, key, item[0], endian)
                marshal(buffer, item_type, item[1], endian)
            else:
                marshal(buffer, element, item, endian)
        buffer[at:at + 4] = struct.pack(endian + "I", len(buffer) - start)
    else:
        raise ValueError(signature)


METHOD_CALL, METHOD_RETURN, ERROR_MESSAGE, SIGNAL = 1, 2, 3, 4
NO_REPLY_EXPECTED = 1


def raw_message(serial, path=None, interface=None, member=None, destination=None, signature="", body=(),
                raw_body=None, kind=METHOD_CALL, flags=0, endian="<", extra_fields=(), body_length=None):
    """A whole message. `raw_body` (bytes) replaces the marshalled `body`; `body_length` may lie."""
    if raw_body is None:
        encoded = bytearray()
        for part, part_value in zip(split_types(signature), body):
            marshal(encoded, part, part_value, endian)
        raw_body = bytes(encoded)
    fields = []
    for code, field_type, value in ((1, "o", path), (2, "s", interface), (3, "s", member), (6, "s", destination)):
        if value is not None:
            fields.append((code, (field_type, value)))
    if signature:
        fields.append((8, ("g", signature)))
    fields.extend(extra_fields)
    header = bytearray((b"l" if endian == "<" else b"B") + bytes([kind, flags, 1]))
    header.extend(struct.pack(endian + "II", len(raw_body) if body_length is None else body_length, serial))
    marshal(header, "a(yv)", fields, endian)
    _pad(header, 8)
    return bytes(header) + raw_body


class RawClient:
    """Authenticates (EXTERNAL), says Hello, then sends bytes; reads what comes back."""

    def __init__(self, socket_path):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.settimeout(PATIENCE)
        self.socket.connect(socket_path)
        self.socket.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
        answer = b""
        while not answer.endswith(b"\r\n"):
            chunk = self.socket.recv(256)
            if not chunk:
                raise RuntimeError("the bus closed the connection during authentication")
            answer += chunk
        if not answer.startswith(b"OK "):
            raise RuntimeError(f"authentication refused: {answer!r}")
        self.socket.sendall(b"BEGIN\r\n")
        self.received = b""
        self.serial = 1
        self.closed = False
        hello = self.exchange(raw_message(self.next_serial(), "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                          "Hello", "org.freedesktop.DBus"))
        if hello != "ok":
            raise RuntimeError(f"Hello failed: {hello}")

    def next_serial(self):
        self.serial += 1
        return self.serial

    def close(self):
        self.socket.close()

    def exchange(self, message, timeout=PATIENCE):
        """Sends a message whose serial is self.serial and waits for its reply: 'ok', an error
        name, 'closed' (the bus dropped us) or 'silence' (no reply within `timeout`)."""
        serial = self.serial
        try:
            self.socket.sendall(message)
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True
            return "closed"
        return self.wait_reply(serial, timeout)

    def wait_reply(self, serial, timeout):
        deadline = time.monotonic() + timeout
        while True:
            for kind, fields in self._messages():
                if fields.get(5) == serial and kind in (METHOD_RETURN, ERROR_MESSAGE):
                    return "ok" if kind == METHOD_RETURN else fields.get(4, "?")
            left = deadline - time.monotonic()
            if left <= 0:
                return "silence"
            self.socket.settimeout(left)
            try:
                chunk = self.socket.recv(1 << 16)
            except socket.timeout:
                return "silence"
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
                return "closed"
            self.received += chunk

    def _messages(self):
        """Complete messages in the buffer, taken off it: (type, {field code: value})."""
        while len(self.received) >= 16:
            endian = "<" if self.received[0:1] == b"l" else ">"
            body_length, _, fields_length = struct.unpack(endian + "III", self.received[4:16])
            header_end = 16 + fields_length + (-(16 + fields_length) % 8)
            if len(self.received) < header_end + body_length:
                return
            data = self.received[:header_end + body_length]
            self.received = self.received[header_end + body_length:]
            yield data[1], self._fields(data, endian, 16 + fields_length)

    @staticmethod
    def _fields(data, endian, end):
        fields, at = {}, 16
        while at < end:
            at += -at % 8
            code, length = data[at], data[at + 1]
            field_type = data[at + 2:at + 2 + length].decode()
            at += 3 + length
            if field_type in ("s", "o"):
                at += -at % 4
                (size,) = struct.unpack(endian + "I", data[at:at + 4])
                fields[code] = data[at + 4:at + 4 + size].decode(errors="replace")
                at += 5 + size
            elif field_type == "g":
                fields[code] = data[at + 1:at + 1 + data[at]].decode(errors="replace")
                at += 2 + data[at]
            elif field_type == "u":
                at += -at % 4
                (fields[code],) = struct.unpack(endian + "I", data[at:at + 4])
                at += 4
            else:
                break  # a field we do not read; the ones we need come first from the bus
        return fields
