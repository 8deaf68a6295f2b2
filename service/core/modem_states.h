// A modem's published state and properties.
#pragma once

#include <string_view>

namespace dialupd {

enum class ModemState { Unavailable, Disconnected, Connecting, Connected, Disconnecting, Resetting };
std::string_view toString(ModemState state);

// The published properties, so the observer knows which changed.
enum class ModemProperty {
    State, LastExitReason, Device, AtPort, Interface, IPv4Address, PeerAddress, Dns, ConnectedSince,
    LastCallDuration, LastCallBytesIn, LastCallBytesOut, ReconnectAttempts, NextReconnect, DefaultRoute,
    RouteMetric, IPv6Addresses, DnsBackend
};

}  // namespace dialupd
