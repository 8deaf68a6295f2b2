# SPDX-License-Identifier: GPL-2.0-or-later
"""Connect's options, with an oracle: random option dicts and what the daemon must answer an idle
modem for each. The rules copy what the daemon checks (service/core: the APN's characters and
length, the user's and password's length and control characters): a change there changes this."""
import dbus

from target import ERROR, INCONSISTENT_MESSAGE, INVALID_ARGUMENT, has_noncharacter

APN_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")
OPTION_TYPES = {"apn": "s", "user": "s", "password": "s", "wait": "b", "reconnect": "b"}


def apn_ok(apn):
    return (len(apn.encode()) <= 100 and set(apn) <= APN_CHARACTERS
            and not (apn and (apn[0] == "." or apn[-1] == "." or ".." in apn)))


def user_ok(user):
    data = user.encode()
    return len(data) <= 255 and all(byte >= 0x20 and byte != 0x7f for byte in data)


def password_ok(password):
    return len(password.encode()) <= 255  # a D-Bus string holds no NUL


VALUE_RULES = {"apn": apn_ok, "user": user_ok, "password": password_ok}


def random_options(junk):
    """(options, verdict): verdict is 'refused' (unknown key or wrong type: InvalidArgument even
    from a busy modem), 'invalid' (a bad value: InvalidArgument from an idle modem) or 'valid'."""
    rng = junk.rng
    options = {}
    for _ in range(rng.choice([0, 1, 1, 2, 3, 4, 6])):
        roll = rng.random()
        if roll < 0.12:  # unknown key
            key = junk.string()
            if key not in OPTION_TYPES:
                options[key] = junk.value("v")
            continue
        key = rng.choice(sorted(OPTION_TYPES))
        if roll < 0.30:  # a known key with the wrong type, or the right type one variant too deep
            wrong = junk.type()
            if wrong == OPTION_TYPES[key] and rng.random() < 0.5:
                options[key] = junk.value(wrong, variant_level=2)
            else:
                while wrong in (OPTION_TYPES[key], "v"):
                    wrong = junk.type()
                options[key] = junk.value(wrong)
            continue
        if OPTION_TYPES[key] == "b":
            options[key] = dbus.Boolean(rng.random() < (0.3 if key == "wait" else 0.5))
            continue
        text = junk.apn_like() if key == "apn" and rng.random() < 0.6 else junk.string()
        if key != "apn" and rng.random() < 0.4:
            text = rng.choice(["alice", "", "p@ss w0rd!", "x" * 255])
        options[key] = dbus.String(text)
    return dbus.Dictionary(options, signature="sv"), judge(options)


OPTION_CLASSES = {"s": dbus.String, "b": dbus.Boolean}


def judge(options):
    """The verdict on what is sent (a later entry for a key has replaced an earlier one)."""
    for key, value in options.items():
        # The value sits in the dict's variant: variant_level 0 or 1 is that one variant.
        if (key not in OPTION_TYPES or type(value) is not OPTION_CLASSES[OPTION_TYPES[key]]
                or value.variant_level > 1):
            return "refused"
    if all(VALUE_RULES[key](str(value)) for key, value in options.items() if key in VALUE_RULES):
        return "valid"
    return "invalid"


def expected_for_idle_modem(modem, options, verdict):
    if has_noncharacter(options):
        return {INCONSISTENT_MESSAGE}
    if verdict in ("refused", "invalid"):
        return {INVALID_ARGUMENT}
    if modem == "gone":
        return {ERROR + "Unavailable"}
    if bool(options.get("wait", False)):
        # The stand-in never brings the link up: our Disconnect ends the wait, or on m1 the
        # stand-in's own hangup does.
        return {ERROR + "Cancelled", ERROR + "CallFailed"} if modem == "m1" else {ERROR + "Cancelled"}
    return {"ok"}
