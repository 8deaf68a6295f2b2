// SPDX-License-Identifier: GPL-2.0-or-later
#include "call_settings.h"

#include <algorithm>

#include <fmt/format.h>

#include "errors.h"

namespace dialupd {
namespace {

// pppd's MAXNAMELEN and MAXSECRETLEN are 256 including the terminating NUL.
constexpr size_t kMaxUserLength = 255;
constexpr size_t kMaxPasswordLength = 255;
// 3GPP TS 23.003 §9.1: an APN is at most 100 octets.
constexpr size_t kMaxApnLength = 100;

bool isApnCharacter(char c) {
    // TS 23.003 labels are letters, digits and '-', joined by '.'. '_' is not in the standard but
    // operators use it. Nothing here is special to chat (quotes, backslash, whitespace, '^').
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
}

std::string describeCharacter(unsigned char c) {
    if (c < 0x20 || c == 0x7f) return fmt::format("control character 0x{:02x}", c);
    if (c >= 0x80) return fmt::format("non-ASCII byte 0x{:02x}", c);
    return fmt::format("character '{}'", static_cast<char>(c));
}

}  // namespace

std::string_view toString(IpFamily family) {
    switch (family) {
        case IpFamily::Ipv4:
            return "ipv4";
        case IpFamily::Ipv6:
            return "ipv6";
        case IpFamily::Ipv4v6:
            return "ipv4v6";
    }
    return "ipv4v6";
}

std::optional<IpFamily> parseIpFamily(std::string_view text) {
    for (IpFamily family : {IpFamily::Ipv4, IpFamily::Ipv6, IpFamily::Ipv4v6})
        if (text == toString(family)) return family;
    return std::nullopt;
}

void validateApn(std::string_view apn) {
    if (apn.size() > kMaxApnLength)
        throw Error(error_name::kInvalidArgument,
                    fmt::format("apn is {} characters long, at most {} are allowed", apn.size(), kMaxApnLength));
    for (char c : apn) {
        if (!isApnCharacter(c))
            throw Error(error_name::kInvalidArgument,
                        fmt::format("apn contains {}: only letters, digits, '-', '_' and '.' are allowed",
                                    describeCharacter(static_cast<unsigned char>(c))));
    }
    if (!apn.empty() && (apn.front() == '.' || apn.back() == '.' || apn.find("..") != std::string_view::npos))
        throw Error(error_name::kInvalidArgument, "apn has an empty label (leading, trailing or doubled '.')");
}

void validateUser(std::string_view user) {
    if (user.size() > kMaxUserLength)
        throw Error(error_name::kInvalidArgument,
                    fmt::format("user is {} characters long, at most {} are allowed", user.size(), kMaxUserLength));
    for (char c : user) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f)
            throw Error(error_name::kInvalidArgument, "user contains " + describeCharacter(byte));
    }
}

void validatePassword(std::string_view password) {
    if (password.size() > kMaxPasswordLength)
        throw Error(error_name::kInvalidArgument,
                    fmt::format("password is too long: at most {} characters are allowed", kMaxPasswordLength));
    // pppd reads the secret up to its end; a NUL would silently cut it short.
    if (password.find('\0') != std::string_view::npos)
        throw Error(error_name::kInvalidArgument, "password contains a NUL character");
}

void validatePin(std::string_view pin) {
    bool digits = std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (pin.size() < 4 || pin.size() > 8 || !digits)
        throw Error(error_name::kInvalidArgument, "pin must be 4 to 8 digits");
}

CallSettings applyOverrides(CallSettings base, const CallOverrides& overrides) {
    if (overrides.apn) {
        base.apn = *overrides.apn;
        base.apnGiven = true;
    }
    if (overrides.user) base.user = *overrides.user;
    if (overrides.password) base.password = *overrides.password;
    if (overrides.reconnect) base.reconnect.enabled = *overrides.reconnect;
    // Every uint32 is a metric the kernel takes (RTA_PRIORITY is a u32) and the enums are whole
    // already: the bus layer parsed them by name. Nothing further to check for these four.
    if (overrides.defaultRoute) base.defaultRoute = *overrides.defaultRoute;
    if (overrides.routeMetric) base.routeMetric = *overrides.routeMetric;
    if (overrides.dns) base.dns = *overrides.dns;
    if (overrides.ipFamily) base.ipFamily = *overrides.ipFamily;
    if (overrides.pin) {
        validatePin(overrides.pin->value());
        base.pin = *overrides.pin;
    }
    validateApn(base.apn);
    validateUser(base.user);
    validatePassword(base.password);
    return base;
}

}  // namespace dialupd
