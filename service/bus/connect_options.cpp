// SPDX-License-Identifier: GPL-2.0-or-later
#include "connect_options.h"

#include <set>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/secret.h"
#include "core/text.h"

namespace dialupd {
namespace {

template <typename T>
T valueOf(const std::string& key, const sdbus::Variant& value, const char* expected) {
    if (!value.containsValueOfType<T>())
        throw Error(error_name::kInvalidArgument,
                    fmt::format("option '{}' must be of type '{}', got '{}'", key, expected, value.peekValueType()));
    return value.get<T>();
}

// sdbus::Message's copy constructor is protected. A copy refers to the same sd_bus_message,
// whose read position it may rewind: the handler has already read its arguments.
class RereadMessage final : public sdbus::Message {
public:
    explicit RereadMessage(const sdbus::Message& message) : sdbus::Message(message) { rewind(true); }
};

// A word of a fixed set (dns, ip-family): parsed here, where the caller's text is still at hand
// for the error, so the core only ever sees a valid choice.
template <typename Parse>
auto wordOf(const std::string& key, const sdbus::Variant& value, Parse parse, const char* words) {
    std::string text = valueOf<std::string>(key, value, "s");
    auto parsed = parse(text);
    if (!parsed)
        throw Error(error_name::kInvalidArgument,
                    fmt::format("option '{}' must be one of {}, got '{}'", key, words, shortened(text, 64)));
    return *parsed;
}

// A secret option (pin): its text wiped once it is a Secret.
Secret secretOf(const std::string& key, const sdbus::Variant& value) {
    std::string text = valueOf<std::string>(key, value, "s");
    WipeOnExit wipe(text);
    return Secret(text);
}

}  // namespace

void refuseRepeatedOptions(const sdbus::Message& call) {
    RereadMessage message(call);
    if (!message.enterContainer("{sv}")) return;  // not Connect's signature: the bus layer refused it already
    std::set<std::string> seen;
    while (message.enterDictEntry("sv")) {
        std::string key;
        sdbus::Variant value;
        message >> key >> value;
        message.exitDictEntry();
        if (!seen.insert(key).second)
            throw Error(error_name::kInvalidArgument,
                        fmt::format("option '{}' is given more than once", shortened(key, 64)));
    }
    message.clearFlags();
    message.exitContainer();
}

ConnectRequest parseConnectOptions(const std::map<std::string, sdbus::Variant>& options) {
    ConnectRequest request;
    for (const auto& [key, value] : options) {
        if (key == "apn")
            request.overrides.apn = valueOf<std::string>(key, value, "s");
        else if (key == "user")
            request.overrides.user = valueOf<std::string>(key, value, "s");
        else if (key == "password")
            request.overrides.password = valueOf<std::string>(key, value, "s");
        else if (key == "pin")
            request.overrides.pin = secretOf(key, value);
        else if (key == "wait")
            request.wait = valueOf<bool>(key, value, "b");
        else if (key == "reconnect")
            request.overrides.reconnect = valueOf<bool>(key, value, "b");
        else if (key == "default-route")
            request.overrides.defaultRoute = valueOf<bool>(key, value, "b");
        else if (key == "route-metric")
            request.overrides.routeMetric = valueOf<uint32_t>(key, value, "u");
        else if (key == "dns")
            request.overrides.dns = wordOf(key, value, parseDnsMode, "auto, resolved, resolvconf, none");
        else if (key == "ip-family")
            request.overrides.ipFamily = wordOf(key, value, parseIpFamily, "ipv4, ipv6, ipv4v6");
        else
            throw Error(error_name::kInvalidArgument,
                        fmt::format("unknown option '{}' (known: apn, user, password, pin, wait, reconnect, "
                                    "default-route, route-metric, dns, ip-family)",
                                    shortened(key, 64)));
    }
    return request;
}

}  // namespace dialupd
