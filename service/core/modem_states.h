// SPDX-License-Identifier: GPL-2.0-or-later
// A modem's published state, the transitions between states (each with why it happens), and
// how each request is answered in each state. A transition setState is asked for that is not
// in the table is a bug: it is logged as an error (tests/unit/test_modem.cpp fails on it).
#pragma once

#include <string>
#include <string_view>

#include "errors.h"

namespace dialupd {

enum class ModemState { Unavailable, Disconnected, Connecting, Connected, Disconnecting, Resetting };
std::string_view toString(ModemState state);

// The published properties, so the observer knows which changed.
enum class ModemProperty {
    State,
    LastExitReason,
    Device,
    AtPort,
    Interface,
    IPv4Address,
    PeerAddress,
    Dns,
    ConnectedSince,
    LastCallDuration,
    LastCallBytesIn,
    LastCallBytesOut,
    ReconnectAttempts,
    NextReconnect,
    DefaultRoute,
    RouteMetric,
    IPv6Addresses,
    DnsBackend
};

// What a call's link publishes: what changes when it comes online, and when a call ends.
inline constexpr ModemProperty kLinkProperties[] = {ModemProperty::Interface,      ModemProperty::IPv4Address,
                                                    ModemProperty::PeerAddress,    ModemProperty::Dns,
                                                    ModemProperty::ConnectedSince, ModemProperty::DefaultRoute,
                                                    ModemProperty::DnsBackend,     ModemProperty::IPv6Addresses};
inline constexpr ModemProperty kCallEndProperties[] = {ModemProperty::LastExitReason,
                                                       ModemProperty::Interface,
                                                       ModemProperty::IPv4Address,
                                                       ModemProperty::PeerAddress,
                                                       ModemProperty::Dns,
                                                       ModemProperty::ConnectedSince,
                                                       ModemProperty::LastCallDuration,
                                                       ModemProperty::LastCallBytesIn,
                                                       ModemProperty::LastCallBytesOut,
                                                       ModemProperty::DefaultRoute,
                                                       ModemProperty::IPv6Addresses,
                                                       ModemProperty::DnsBackend};

struct ModemTransition {
    ModemState from;
    ModemState to;
    std::string_view why;
};

// Every transition a modem makes. "Unavailable" is "disconnected" without its device: wherever a
// modem returns to "disconnected" it returns to "unavailable" when the device is gone.
inline constexpr ModemTransition kModemTransitions[] = {
    {ModemState::Unavailable, ModemState::Disconnected, "the device is there (again)"},
    {ModemState::Disconnected, ModemState::Unavailable, "the device is gone (removed, or its node vanished)"},
    {ModemState::Disconnected, ModemState::Connecting,
     "a call attempt starts: the readiness check, or pppd (Connect, autoconnect, redial)"},
    {ModemState::Unavailable, ModemState::Connecting, "a call starts on a device that is back before anyone said so"},
    {ModemState::Disconnected, ModemState::Resetting, "module recovery: Reset, or a dial after an abnormal end"},
    {ModemState::Unavailable, ModemState::Resetting, "module recovery on a device that is back before anyone said so"},
    {ModemState::Resetting, ModemState::Connecting,
     "the module answers again: the attempt it preceded goes on (check, dial)"},
    {ModemState::Resetting, ModemState::Disconnected, "the recovery ended (Reset answered, no rung helped, cancelled)"},
    {ModemState::Resetting, ModemState::Unavailable, "the recovery ended and the device is gone"},
    {ModemState::Connecting, ModemState::Connected, "the link is online: IPCP (or IPV6CP) up, route and DNS in place"},
    {ModemState::Connecting, ModemState::Disconnecting,
     "the call is being ended (Disconnect, shutdown, unplug, connectivity lost)"},
    {ModemState::Connected, ModemState::Disconnecting,
     "the call is being ended (Disconnect, shutdown, unplug, connectivity lost)"},
    {ModemState::Connecting, ModemState::Disconnected,
     "the attempt ended before the link was online (pppd exited; the check failed or was cancelled)"},
    {ModemState::Connected, ModemState::Disconnected, "pppd exited: the link went down"},
    {ModemState::Disconnecting, ModemState::Disconnected, "pppd exited as asked"},
    {ModemState::Connecting, ModemState::Unavailable, "pppd exited and the device is gone"},
    {ModemState::Connected, ModemState::Unavailable, "pppd exited and the device is gone"},
    {ModemState::Disconnecting, ModemState::Unavailable, "pppd exited and the device is gone"},
};

// The table's entry for from -> to, or nullptr when the modem never makes that transition.
const ModemTransition* findTransition(ModemState from, ModemState to);

// The requests whose answer depends on the state alone.
enum class ModemRequest { Connect, Reset, Disconnect };

struct ModemRefusal {
    ModemRequest request;
    ModemState state;
    const char* error;         // error_name::*
    std::string_view message;  // {id}: the modem's id, {state}: the state's name
};

// Where a request is refused, and with what; in every other state it is taken. Disconnect
// outside a call still cancels a pending redial (Modem::disconnect says so first).
inline constexpr ModemRefusal kModemRefusals[] = {
    {ModemRequest::Connect, ModemState::Connecting, error_name::kAlreadyConnected, "modem {id} is already {state}"},
    {ModemRequest::Connect, ModemState::Connected, error_name::kAlreadyConnected, "modem {id} is already {state}"},
    {ModemRequest::Connect, ModemState::Disconnecting, error_name::kBusy,
     "modem {id} is still ending its previous call"},
    {ModemRequest::Connect, ModemState::Resetting, error_name::kBusy, "modem {id} is resetting its module"},
    {ModemRequest::Reset, ModemState::Resetting, error_name::kBusy, "modem {id} is already resetting"},
    {ModemRequest::Reset, ModemState::Connecting, error_name::kBusy,
     "modem {id} has a call ({state}): Disconnect it first"},
    {ModemRequest::Reset, ModemState::Connected, error_name::kBusy,
     "modem {id} has a call ({state}): Disconnect it first"},
    {ModemRequest::Reset, ModemState::Disconnecting, error_name::kBusy,
     "modem {id} has a call ({state}): Disconnect it first"},
    {ModemRequest::Disconnect, ModemState::Disconnected, error_name::kNotConnected,
     "modem {id} has no call to end (state {state})"},
    {ModemRequest::Disconnect, ModemState::Unavailable, error_name::kNotConnected,
     "modem {id} has no call to end (state {state})"},
};

// Throws the Error the table names for `request` in `state`; returns when the state takes it.
void refuseIfTheStateSaysSo(ModemRequest request, ModemState state, std::string_view modemId);

}  // namespace dialupd
