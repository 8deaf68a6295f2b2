// SPDX-License-Identifier: GPL-2.0-or-later
#include "modem_adaptor.h"

#include <algorithm>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include "connect_options.h"
#include "error_translation.h"

namespace dialupd {

// The interface name is written in the introspection XML (which the glue is generated from) and
// in core/bus_names.h (which dialupctl reads too): a rename in one must not pass unnoticed.
static_assert(std::string_view(org::dialupd1::Modem_adaptor::INTERFACE_NAME) == kModemInterface,
              "dbus/org.dialupd1.Modem.xml and core/bus_names.h name the interface differently");

namespace {

const char* propertyName(ModemProperty property) {
    switch (property) {
        case ModemProperty::State:
            return "State";
        case ModemProperty::LastExitReason:
            return "LastExitReason";
        case ModemProperty::Device:
            return "Device";
        case ModemProperty::AtPort:
            return "AtPort";
        case ModemProperty::Interface:
            return "Interface";
        case ModemProperty::IPv4Address:
            return "IPv4Address";
        case ModemProperty::PeerAddress:
            return "PeerAddress";
        case ModemProperty::Dns:
            return "Dns";
        case ModemProperty::ConnectedSince:
            return "ConnectedSince";
        case ModemProperty::LastCallDuration:
            return "LastCallDuration";
        case ModemProperty::LastCallBytesIn:
            return "LastCallBytesIn";
        case ModemProperty::LastCallBytesOut:
            return "LastCallBytesOut";
        case ModemProperty::ReconnectAttempts:
            return "ReconnectAttempts";
        case ModemProperty::NextReconnect:
            return "NextReconnect";
        case ModemProperty::DefaultRoute:
            return "DefaultRoute";
        case ModemProperty::RouteMetric:
            return "RouteMetric";
        case ModemProperty::IPv6Addresses:
            return "IPv6Addresses";
        case ModemProperty::DnsBackend:
            return "DnsBackend";
    }
    return "";
}

// Every string the adaptor hands sd-bus goes through here. The core already holds clean text
// (outside text is sanitized where it enters: core/text.h); this is the last line of defence,
// since sd-bus refuses a string that is not valid UTF-8 or holds a noncharacter, and then a
// Hangup is lost, a reply never sent, or GetManagedObjects fails for every modem at once.
// Idempotent: clean text passes unchanged.
std::string busText(const std::string& text) { return sanitizeText(text); }
std::string busMultilineText(const std::string& text) { return sanitizeMultilineText(text); }
std::vector<std::string> busTextList(const std::vector<std::string>& items) {
    std::vector<std::string> clean;
    clean.reserve(items.size());
    for (const std::string& item : items) clean.push_back(busText(item));
    return clean;
}

sdbus::Struct<uint32_t, std::string, std::string> toStruct(const ExitReason& reason) {
    return {reason.code, busText(reason.name), busText(reason.description)};
}

// Sends what `reply` sends, or, if sd-bus cannot (it refuses a value), a named error: the caller
// must get an answer either way, not wait for its call to time out.
template <typename ResultType, typename Reply>
void answer(const char* method, ResultType& result, Reply reply) {
    try {
        reply();
    } catch (const sdbus::Error& error) {
        spdlog::error("{}: the answer could not be sent: {}", method, error.what());
        result.returnError(sdbus::Error(error_name::kInternal, "the answer could not be sent"));
    }
}

// sdbus::Result is move-only and a Completion must be copyable: share it.
Completion replyWith(const char* method, sdbus::Result<>&& result) {
    auto shared = std::make_shared<sdbus::Result<>>(std::move(result));
    return [method, shared](const Error* error) {
        answer(method, *shared, [&] {
            if (error)
                shared->returnError(toBusError(*error));
            else
                shared->returnResults();
        });
    };
}

}  // namespace

ModemAdaptor::ModemAdaptor(sdbus::IConnection& connection, Modem& modem)
    : AdaptorInterfaces(connection, kModemPathPrefix + modem.id()), modem_(modem) {
    registerAdaptor();  // may throw: then nothing below has happened (the registry drops the modem)
    try {
        emitInterfacesAddedSignal({org::dialupd1::Modem_adaptor::INTERFACE_NAME});
    } catch (const sdbus::Error& error) {
        // The object is registered and GetManagedObjects lists it; only the announcement is lost.
        spdlog::error("[{}] InterfacesAdded not sent: {}", modem_.id(), error.what());
    }
    // Last: a constructor that throws must not leave the modem pointing at a dead observer.
    modem_.setObserver(this);
    if (LiveStatus* live = modem_.liveStatus())
        live->setObserver([this](const std::vector<LiveField>& changed) { livePropertiesChanged(changed); });
}

ModemAdaptor::~ModemAdaptor() {
    modem_.setObserver(nullptr);
    if (LiveStatus* live = modem_.liveStatus()) live->setObserver(nullptr);
    try {
        emitInterfacesRemovedSignal({org::dialupd1::Modem_adaptor::INTERFACE_NAME});
    } catch (const sdbus::Error& error) {
        spdlog::debug("InterfacesRemoved for {} not sent: {}", modem_.id(), error.what());
    }
    unregisterAdaptor();
}

void ModemAdaptor::Connect(sdbus::Result<>&& result, std::map<std::string, sdbus::Variant> options) {
    Completion done = replyWith("Connect", std::move(result));
    completeOnThrow("Connect", done, [&] {
        if (const sdbus::Message* call = getObject().getCurrentlyProcessedMessage()) refuseRepeatedOptions(*call);
        ConnectRequest request = parseConnectOptions(options);
        modem_.connect(request.overrides, request.wait, done);
    });
}

void ModemAdaptor::Disconnect(sdbus::Result<>&& result) {
    Completion done = replyWith("Disconnect", std::move(result));
    completeOnThrow("Disconnect", done, [&] { modem_.disconnect(done); });
}

void ModemAdaptor::Reset(sdbus::Result<std::string, std::string>&& result) {
    auto shared = std::make_shared<sdbus::Result<std::string, std::string>>(std::move(result));
    ResetCompletion done = [shared](const Error* error, const ResetResult& outcome) {
        answer("Reset", *shared, [&] {
            if (error)
                shared->returnError(toBusError(*error));
            else
                shared->returnResults(busText(outcome.recoveredBy), busMultilineText(outcome.log));
        });
    };
    completeOnThrow(
        "Reset", [done](const Error* error) { done(error, {}); }, [&] { modem_.reset(done); });
}

std::vector<sdbus::Struct<uint64_t, uint64_t, sdbus::Struct<uint32_t, std::string, std::string>, uint64_t, uint64_t,
                          bool, std::string>>
ModemAdaptor::GetCallLogs(const uint32_t& last) {
    return translateErrors([&] {
        std::vector<sdbus::Struct<uint64_t, uint64_t, sdbus::Struct<uint32_t, std::string, std::string>, uint64_t,
                                  uint64_t, bool, std::string>>
            calls;
        for (const CallRecord& record : modem_.callLogs(last))
            calls.emplace_back(record.startedAtUsec, record.durationUsec, toStruct(record.reason), record.bytesIn,
                               record.bytesOut, record.requested, busMultilineText(record.text));
        return calls;
    });
}

std::tuple<uint64_t, std::string, uint64_t, uint64_t, uint64_t> ModemAdaptor::SaveDiagnosticLog() {
    return translateErrors([&] {
        DmLogSaved saved = modem_.saveDiagnosticLog();
        return std::make_tuple(saved.startedAtUsec, busText(saved.path), saved.bytes, saved.frames,
                               static_cast<uint64_t>(saved.span.count()));
    });
}

std::tuple<sdbus::UnixFd, uint64_t, uint64_t> ModemAdaptor::OpenDiagnosticLog(const uint64_t& started_usec) {
    return translateErrors([&] {
        OpenedDmLog opened = modem_.openDiagnosticLog(started_usec);
        // UnixFd(int) duplicates: the reply carries its own descriptor, ours closes with `opened`.
        return std::make_tuple(sdbus::UnixFd(opened.file->fd()), opened.startedAtUsec, opened.file->size());
    });
}

std::map<std::string, sdbus::Variant> ModemAdaptor::GetStatistics() {
    return translateErrors([&] {
        const ModemStatistics statistics = modem_.statistics();
        const ModemCounters& counters = statistics.counters;
        std::map<uint32_t, uint64_t> ends(counters.ends.begin(), counters.ends.end());
        std::map<std::string, uint64_t> recoveries;
        for (const auto& [step, count] : counters.recoveries) recoveries[busText(step)] = count;
        std::map<std::string, sdbus::Variant> values = {
            {"calls-started", sdbus::Variant(counters.callsStarted)},
            {"calls-up", sdbus::Variant(counters.callsUp)},
            {"ends", sdbus::Variant(ends)},
            {"recoveries", sdbus::Variant(recoveries)},
            {"watchdog-failures", sdbus::Variant(counters.watchdogFailures)},
            {"bytes-in", sdbus::Variant(counters.bytesIn)},
            {"bytes-out", sdbus::Variant(counters.bytesOut)},
            {"since", sdbus::Variant(counters.sinceUsec)},
            {"data-period", sdbus::Variant(std::string(toString(statistics.plan.period)))},
            {"period-start", sdbus::Variant(statistics.period.startUsec)},
            {"period-end", sdbus::Variant(statistics.period.endUsec)},
            {"period-bytes-in", sdbus::Variant(statistics.periodBytesIn)},
            {"period-bytes-out", sdbus::Variant(statistics.periodBytesOut)},
            {"data-limit", sdbus::Variant(statistics.plan.limitBytes)},
            {"data-limit-reached", sdbus::Variant(statistics.limitReached)},
        };
        if (statistics.live) {
            values["live-bytes-in"] = sdbus::Variant(statistics.live->in);
            values["live-bytes-out"] = sdbus::Variant(statistics.live->out);
        }
        return values;
    });
}

uint64_t ModemAdaptor::BytesIn() {
    return translateErrors([&] { return modem_.liveBytes().value_or(LinkBytes{}).in; });
}

uint64_t ModemAdaptor::BytesOut() {
    return translateErrors([&] { return modem_.liveBytes().value_or(LinkBytes{}).out; });
}

std::string ModemAdaptor::State() {
    return translateErrors([&] { return std::string(toString(modem_.state())); });
}

sdbus::Struct<uint32_t, std::string, std::string> ModemAdaptor::LastExitReason() {
    return translateErrors([&] { return toStruct(modem_.lastExitReason()); });
}

std::string ModemAdaptor::Device() {
    return translateErrors([&] { return busText(modem_.device()); });
}

std::string ModemAdaptor::AtPort() {
    return translateErrors([&] { return busText(modem_.atPort()); });
}

std::string ModemAdaptor::Vendor() {
    return translateErrors([&] { return busText(modem_.usb().vendorId); });
}

std::string ModemAdaptor::Product() {
    return translateErrors([&] { return busText(modem_.usb().productId); });
}

std::string ModemAdaptor::Model() {
    return translateErrors([&] { return busText(modem_.usb().model); });
}

std::string ModemAdaptor::UsbPath() {
    return translateErrors([&] { return busText(modem_.usb().portPath); });
}

std::string ModemAdaptor::UsbSerial() {
    return translateErrors([&] { return busText(modem_.usb().serial); });
}

std::string ModemAdaptor::Interface() {
    return translateErrors([&] { return busText(modem_.ip().interface); });
}

std::string ModemAdaptor::IPv4Address() {
    return translateErrors([&] { return busText(modem_.ip().localAddress); });
}

std::string ModemAdaptor::PeerAddress() {
    return translateErrors([&] { return busText(modem_.ip().peerAddress); });
}

std::vector<std::string> ModemAdaptor::Dns() {
    return translateErrors([&] {
        // LinkOnline's list holds the RA's IPv6 servers too, once the link is up.
        const auto& online = modem_.online().dnsServers;
        return busTextList(online.empty() ? modem_.ip().dns : online);
    });
}

std::string ModemAdaptor::DnsBackend() {
    return translateErrors([&] { return busText(modem_.online().dnsBackend); });
}

bool ModemAdaptor::DefaultRoute() {
    return translateErrors([&] { return modem_.online().defaultRoute; });
}

uint32_t ModemAdaptor::RouteMetric() {
    return translateErrors([&] { return modem_.routeMetric(); });
}

std::vector<std::string> ModemAdaptor::IPv6Addresses() {
    return translateErrors([&] { return busTextList(modem_.online().ipv6Addresses); });
}

uint64_t ModemAdaptor::ConnectedSince() {
    return translateErrors([&] { return modem_.connectedSinceUsec(); });
}

uint64_t ModemAdaptor::LastCallDuration() {
    return translateErrors([&] { return modem_.lastCall().durationUsec; });
}

uint64_t ModemAdaptor::LastCallBytesIn() {
    return translateErrors([&] { return modem_.lastCall().bytesIn; });
}

uint64_t ModemAdaptor::LastCallBytesOut() {
    return translateErrors([&] { return modem_.lastCall().bytesOut; });
}

uint32_t ModemAdaptor::ReconnectAttempts() {
    return translateErrors([&] { return modem_.reconnectAttempts(); });
}

uint64_t ModemAdaptor::NextReconnect() {
    return translateErrors([&] { return modem_.nextReconnectUsec(); });
}

const LiveState& ModemAdaptor::live() const {
    static const LiveState unknown;
    const LiveStatus* live = modem_.liveStatus();
    return live ? live->state() : unknown;
}

std::string ModemAdaptor::SimState() {
    return translateErrors([&] { return std::string(toString(live().sim)); });
}

std::string ModemAdaptor::RegistrationState() {
    return translateErrors([&] { return std::string(toString(live().registration)); });
}

std::string ModemAdaptor::OperatorName() {
    return translateErrors([&] { return busText(live().operatorName); });
}

std::string ModemAdaptor::OperatorCode() {
    return translateErrors([&] { return busText(live().operatorCode); });
}

std::string ModemAdaptor::AccessTechnology() {
    return translateErrors([&] { return busText(live().accessTechnology); });
}

uint32_t ModemAdaptor::SignalQuality() {
    return translateErrors([&] { return live().signalQuality; });
}

std::map<std::string, sdbus::Variant> ModemAdaptor::Signal() {
    return translateErrors([&] {
        std::map<std::string, sdbus::Variant> values;
        const LiveSignal& signal = live().signal;
        if (signal.rssi) values["rssi"] = sdbus::Variant(*signal.rssi);
        if (signal.rsrp) values["rsrp"] = sdbus::Variant(*signal.rsrp);
        if (signal.rsrq) values["rsrq"] = sdbus::Variant(*signal.rsrq);
        if (signal.sinr) values["sinr"] = sdbus::Variant(*signal.sinr);
        return values;
    });
}

std::string ModemAdaptor::Imei() {
    return translateErrors([&] { return busText(live().imei); });
}

std::string ModemAdaptor::Iccid() {
    return translateErrors([&] { return busText(live().iccid); });
}

void ModemAdaptor::livePropertiesChanged(const std::vector<LiveField>& changed) {
    // What belongs together goes together, so that a listener (dialupctl monitor) can show it
    // whole from the signal alone: the network (registration, operator, technology) and the
    // signal (percent and values).
    static const std::vector<std::vector<LiveField>> kGroups = {
        {LiveField::Registration, LiveField::OperatorName, LiveField::OperatorCode, LiveField::AccessTechnology},
        {LiveField::SignalQuality, LiveField::Signal},
    };
    std::vector<LiveField> fields = changed;
    for (const std::vector<LiveField>& group : kGroups) {
        bool touched = std::any_of(group.begin(), group.end(), [&](LiveField field) {
            return std::find(changed.begin(), changed.end(), field) != changed.end();
        });
        if (!touched) continue;
        for (LiveField field : group)
            if (std::find(fields.begin(), fields.end(), field) == fields.end()) fields.push_back(field);
    }
    std::vector<std::string> names;
    for (LiveField field : fields) names.emplace_back(toString(field));
    try {
        emitPropertiesChangedSignal(org::dialupd1::Modem_adaptor::INTERFACE_NAME, names);
    } catch (const sdbus::Error& error) {
        spdlog::error("[{}] PropertiesChanged not sent: {}", modem_.id(), error.what());
    }
}

void ModemAdaptor::modemPropertiesChanged(const std::vector<ModemProperty>& changed) {
    std::vector<std::string> names;
    for (ModemProperty property : changed) names.emplace_back(propertyName(property));
    try {
        emitPropertiesChangedSignal(org::dialupd1::Modem_adaptor::INTERFACE_NAME, names);
    } catch (const sdbus::Error& error) {
        spdlog::error("[{}] PropertiesChanged not sent: {}", modem_.id(), error.what());
    }
}

void ModemAdaptor::modemHangup(const ExitReason& reason, std::chrono::microseconds duration, const std::string& log) {
    try {
        emitHangup(toStruct(reason), static_cast<uint64_t>(duration.count()), busMultilineText(log));
    } catch (const sdbus::Error& error) {
        spdlog::error("[{}] Hangup not sent: {}", modem_.id(), error.what());
    }
}

}  // namespace dialupd
