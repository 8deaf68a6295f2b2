// SPDX-License-Identifier: GPL-2.0-or-later
// What one call is dialled with: config defaults, per-modem values and per-call overrides,
// and the validation every one of them passes through before it reaches pppd or chat.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "connectivity_check.h"
#include "escalation.h"
#include "link_services.h"
#include "modem_counters.h"
#include "reconnect.h"
#include "secret.h"

namespace dialupd {

// What the PDP context and pppd negotiate: "IP", "IPV6" or "IPV4V6" (AT+CGDCONT), IPCP and/or
// IPV6CP.
enum class IpFamily { Ipv4, Ipv6, Ipv4v6 };
std::string_view toString(IpFamily family);  // "ipv4", "ipv6", "ipv4v6"
std::optional<IpFamily> parseIpFamily(std::string_view text);

struct CallSettings {
    std::string apn = "internet";
    // The config or Connect named the APN (even empty: the module's stored context). Without it,
    // the readiness checks look one up in the provider database; "internet" is the fallback
    // for a modem that cannot be asked (no AT port).
    bool apnGiven = false;
    std::string user;
    std::string password;
    uint32_t baud = 115200;
    uint32_t lcpEchoInterval = 10;   // seconds between LCP echo requests, 0 = off
    uint32_t lcpEchoFailure = 3;     // unanswered echoes before pppd declares the peer dead
    uint32_t idleSeconds = 0;        // hang up after this long without traffic, 0 = never
    uint32_t maxConnectSeconds = 0;  // hang up after this long connected, 0 = no limit
    ReconnectSettings reconnect;
    // Module restarts, USB resets and power cycles after failed dials in a row (escalation.h).
    EscalationSettings escalation;
    // Putting the machine online over the link (docs/CONFIG.md).
    bool defaultRoute = true;     // add a default route via the link (IPv4; IPv6 from the RA)
    uint32_t routeMetric = 700;   // NetworkManager's WWAN metric: wired and Wi-Fi stay preferred
    DnsMode dns = DnsMode::Auto;  // where the network's DNS servers go
    IpFamily ipFamily = IpFamily::Ipv4v6;
    // Before the dial (core/readiness.h).
    uint32_t registrationTimeoutSeconds = 60;  // Quectel's application note: 60 s for registration
    bool allowRoaming = true;
    // The modem's data plan: its period and limit (core/modem_counters.h). Set in [defaults] or
    // [modem ID]; no Connect option changes it.
    DataPlan dataPlan;
    // The connectivity watchdog while connected (connectivity_check.h); not a Connect option.
    ConnectivityCheckSettings check;
    Secret pin;  // Connect's `pin` (empty: none; the modem's sim-pin-file is read when the SIM asks)
};

// The subset a caller may change for one call (Connect's options).
struct CallOverrides {
    std::optional<std::string> apn;
    std::optional<std::string> user;
    std::optional<std::string> password;
    std::optional<bool> reconnect;  // redial after an end nobody asked for (ReconnectSettings::enabled)
    std::optional<bool> defaultRoute;
    std::optional<uint32_t> routeMetric;
    std::optional<DnsMode> dns;
    std::optional<IpFamily> ipFamily;
    std::optional<Secret> pin;  // the SIM's PIN: never logged, never in argv
};

// Each throws dialupd::Error(InvalidArgument) naming the field and the offending character;
// the message never repeats a password.
void validateApn(std::string_view apn);
void validateUser(std::string_view user);
void validatePassword(std::string_view password);
// 4 to 8 digits (3GPP TS 31.101); the message never repeats it.
void validatePin(std::string_view pin);

// `base` with `overrides` applied, every field validated.
CallSettings applyOverrides(CallSettings base, const CallOverrides& overrides);

}  // namespace dialupd
