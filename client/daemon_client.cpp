// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon_client.h"

#include <algorithm>

#include "core/text.h"
#include "modem-proxy.h"

namespace dialupctl {

namespace {

// What the daemon sends is clean text already (it sanitizes what it takes from modems, pppd and
// udev); dialupctl checks again before anything reaches a terminal: no escape sequence, no
// C0/C1 control, nothing that is not UTF-8, whoever owns the bus name.
std::string clean(const std::string& text) { return dialupd::sanitizeText(text); }
std::string cleanLines(const std::string& text) { return dialupd::sanitizeMultilineText(text); }

constexpr std::chrono::seconds kQueryTimeout{25};

// The generated proxy, used for single calls: no registerProxy(), so no signal match is added.
class ModemProxy final : public sdbus::ProxyInterfaces<org::dialupd1::Modem_proxy> {
public:
    ModemProxy(sdbus::IConnection& connection, const std::string& path) : ProxyInterfaces(connection, kBusName, path) {}

private:
    void onHangup(const sdbus::Struct<uint32_t, std::string, std::string>&, const uint64_t&,
                  const std::string&) override {}
};

template <typename T>
T valueOr(const std::map<std::string, sdbus::Variant>& properties, const char* name, T fallback = {}) {
    auto found = properties.find(name);
    if (found == properties.end()) return fallback;
    return found->second.get<T>();
}

std::string textOr(const std::map<std::string, sdbus::Variant>& properties, const char* name) {
    return clean(valueOr<std::string>(properties, name));
}

// A longer method call timeout for one call (Connect with wait, Disconnect's stop window).
class CallTimeout {
public:
    CallTimeout(sdbus::IConnection& connection, std::chrono::seconds timeout) : connection_(connection) {
        connection_.setMethodCallTimeout(timeout);
    }
    ~CallTimeout() { connection_.setMethodCallTimeout(kQueryTimeout); }
    CallTimeout(const CallTimeout&) = delete;
    CallTimeout& operator=(const CallTimeout&) = delete;

private:
    sdbus::IConnection& connection_;
};

}  // namespace

ExitReason toReason(const sdbus::Struct<uint32_t, std::string, std::string>& reason) {
    return {std::get<0>(reason), clean(std::get<1>(reason)), clean(std::get<2>(reason))};
}

std::string cleanLogText(const std::string& text) { return cleanLines(text); }

ClientError toClientError(const sdbus::Error& error, const std::string& what) {
    const ExitStatus status = exitStatusForError(error.getName());
    std::string message = clean(error.getMessage());
    if (status == ExitStatus::DaemonNotRunning) message = "dialupd is not running (" + message + ")";
    if (error.getName() == "org.freedesktop.DBus.Error.NoReply" ||
        error.getName() == "org.freedesktop.DBus.Error.Timeout")
        message = "no answer in time: " + message;
    return ClientError(status, error.getName(), what + ": " + message);
}

ClientError privilegedCallError(const sdbus::Error& error, const std::string& what, const std::string& method) {
    // The bus policy's own text ("Rejected send message, ...") says nothing about who may.
    if (exitStatusForError(error.getName()) == ExitStatus::AccessDenied)
        return ClientError(ExitStatus::AccessDenied, error.getName(),
                           what + ": " + method + " needs root or membership in group " DIALUPD_PRIVILEGED_GROUP);
    return toClientError(error, what);
}

ModemInfo modemFromProperties(const std::string& path, const std::map<std::string, sdbus::Variant>& properties) {
    ModemInfo modem;
    modem.path = path;
    modem.id = modemIdFromPath(path);
    modem.state = textOr(properties, "State");
    modem.device = textOr(properties, "Device");
    modem.atPort = textOr(properties, "AtPort");
    modem.vendor = textOr(properties, "Vendor");
    modem.product = textOr(properties, "Product");
    modem.model = textOr(properties, "Model");
    modem.usbPath = textOr(properties, "UsbPath");
    modem.usbSerial = textOr(properties, "UsbSerial");
    modem.interface = textOr(properties, "Interface");
    modem.ipv4Address = textOr(properties, "IPv4Address");
    modem.peerAddress = textOr(properties, "PeerAddress");
    for (const std::string& server : valueOr<std::vector<std::string>>(properties, "Dns"))
        modem.dns.push_back(clean(server));
    modem.dnsBackend = textOr(properties, "DnsBackend");
    modem.defaultRoute = valueOr<bool>(properties, "DefaultRoute");
    modem.routeMetric = valueOr<uint32_t>(properties, "RouteMetric");
    for (const std::string& address : valueOr<std::vector<std::string>>(properties, "IPv6Addresses"))
        modem.ipv6Addresses.push_back(clean(address));
    modem.connectedSinceUsec = valueOr<uint64_t>(properties, "ConnectedSince");
    modem.lastExitReason =
        toReason(valueOr<sdbus::Struct<uint32_t, std::string, std::string>>(properties, "LastExitReason"));
    modem.lastCallDurationUsec = valueOr<uint64_t>(properties, "LastCallDuration");
    modem.lastCallBytesIn = valueOr<uint64_t>(properties, "LastCallBytesIn");
    modem.lastCallBytesOut = valueOr<uint64_t>(properties, "LastCallBytesOut");
    modem.reconnectAttempts = valueOr<uint32_t>(properties, "ReconnectAttempts");
    modem.nextReconnectUsec = valueOr<uint64_t>(properties, "NextReconnect");
    modem.simState = textOr(properties, "SimState");
    modem.registrationState = textOr(properties, "RegistrationState");
    modem.operatorName = textOr(properties, "OperatorName");
    modem.operatorCode = textOr(properties, "OperatorCode");
    modem.accessTechnology = textOr(properties, "AccessTechnology");
    modem.signalQuality = valueOr<uint32_t>(properties, "SignalQuality");
    for (const auto& [name, value] : valueOr<std::map<std::string, sdbus::Variant>>(properties, "Signal"))
        if (value.containsValueOfType<int32_t>()) modem.signal[clean(name)] = value.get<int32_t>();
    modem.imei = textOr(properties, "Imei");
    modem.iccid = textOr(properties, "Iccid");
    return modem;
}

DaemonClient::DaemonClient() {
    try {
        connection_ = sdbus::createSystemBusConnection();
    } catch (const sdbus::Error& error) {
        throw ClientError(ExitStatus::DaemonNotRunning, error.getName(),
                          "cannot reach the system bus, so dialupd is not running: " + error.getMessage());
    }
    connection_->setMethodCallTimeout(kQueryTimeout);
}

std::vector<ModemInfo> DaemonClient::modems() {
    using Objects = std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>>;
    Objects objects;
    try {
        auto manager = sdbus::createProxy(*connection_, kBusName, kRootPath);
        manager->callMethod("GetManagedObjects")
            .onInterface("org.freedesktop.DBus.ObjectManager")
            .storeResultsTo(objects);
    } catch (const sdbus::Error& error) {
        throw toClientError(error, "listing modems");
    }
    std::vector<ModemInfo> modems;
    for (const auto& [path, interfaces] : objects) {
        auto modem = interfaces.find(kModemInterface);
        if (modem != interfaces.end()) modems.push_back(modemFromProperties(path, modem->second));
    }
    std::sort(modems.begin(), modems.end(), [](const ModemInfo& a, const ModemInfo& b) { return a.id < b.id; });
    return modems;
}

ModemInfo DaemonClient::resolve(const std::optional<std::string>& argument) {
    std::vector<ModemInfo> all = modems();
    if (argument) {
        const std::string path = modemPathFromArgument(*argument);
        for (const ModemInfo& modem : all)
            if (modem.path == path) return modem;
        std::string known;
        for (const ModemInfo& modem : all) known += (known.empty() ? "" : ", ") + modem.id;
        throw ClientError(ExitStatus::NoSuchModem, "no modem '" + *argument + "'" +
                                                       (known.empty() ? " (there are none)" : "; there are: " + known));
    }
    if (all.size() == 1) return all.front();
    if (all.empty()) throw ClientError(ExitStatus::NoSuchModem, "no modems: dialupd has found none");
    std::string known;
    for (const ModemInfo& modem : all) known += "\n  " + modem.id;
    throw ClientError(ExitStatus::Usage, "there are " + std::to_string(all.size()) + " modems; name one:" + known);
}

ModemInfo DaemonClient::refresh(const ModemInfo& modem) {
    std::map<std::string, sdbus::Variant> properties;
    try {
        auto proxy = sdbus::createProxy(*connection_, kBusName, modem.path);
        proxy->callMethod("GetAll")
            .onInterface("org.freedesktop.DBus.Properties")
            .withArguments(std::string(kModemInterface))
            .storeResultsTo(properties);
    } catch (const sdbus::Error& error) {
        throw toClientError(error, "reading " + modem.id);
    }
    return modemFromProperties(modem.path, properties);
}

void DaemonClient::connect(const ModemInfo& modem, const ConnectRequest& request, std::chrono::seconds timeout) {
    std::map<std::string, sdbus::Variant> options;
    if (request.apn) options["apn"] = sdbus::Variant(*request.apn);
    if (request.user) options["user"] = sdbus::Variant(*request.user);
    if (request.password) options["password"] = sdbus::Variant(*request.password);
    if (request.pin) options["pin"] = sdbus::Variant(*request.pin);
    if (request.reconnect) options["reconnect"] = sdbus::Variant(*request.reconnect);
    if (request.defaultRoute) options["default-route"] = sdbus::Variant(*request.defaultRoute);
    if (request.routeMetric) options["route-metric"] = sdbus::Variant(*request.routeMetric);
    if (request.dns) options["dns"] = sdbus::Variant(*request.dns);
    if (request.ipFamily) options["ip-family"] = sdbus::Variant(*request.ipFamily);
    if (request.wait) options["wait"] = sdbus::Variant(true);
    CallTimeout longer(*connection_, timeout);
    try {
        ModemProxy(*connection_, modem.path).Connect(options);
    } catch (const sdbus::Error& error) {
        throw privilegedCallError(error, "connecting " + modem.id, "Connect");
    }
}

void DaemonClient::disconnect(const ModemInfo& modem, std::chrono::seconds timeout) {
    CallTimeout longer(*connection_, timeout);
    try {
        ModemProxy(*connection_, modem.path).Disconnect();
    } catch (const sdbus::Error& error) {
        throw privilegedCallError(error, "disconnecting " + modem.id, "Disconnect");
    }
}

std::pair<std::string, std::string> DaemonClient::reset(const ModemInfo& modem, std::chrono::seconds timeout) {
    CallTimeout longer(*connection_, timeout);
    try {
        auto [recoveredBy, log] = ModemProxy(*connection_, modem.path).Reset();
        return {clean(recoveredBy), cleanLines(log)};
    } catch (const sdbus::Error& error) {
        throw privilegedCallError(error, "resetting " + modem.id, "Reset");
    }
}

std::vector<CallLog> DaemonClient::callLogs(const ModemInfo& modem, uint32_t last) {
    std::vector<CallLog> calls;
    try {
        for (const auto& kept : ModemProxy(*connection_, modem.path).GetCallLogs(last)) {
            CallLog call;
            call.startedUsec = std::get<0>(kept);
            call.durationUsec = std::get<1>(kept);
            call.reason = toReason(std::get<2>(kept));
            call.bytesIn = std::get<3>(kept);
            call.bytesOut = std::get<4>(kept);
            call.requested = std::get<5>(kept);
            call.text = cleanLines(std::get<6>(kept));
            calls.push_back(std::move(call));
        }
    } catch (const sdbus::Error& error) {
        throw toClientError(error, "reading the call logs of " + modem.id);
    }
    return calls;
}

SavedDmLog DaemonClient::saveDiagnosticLog(const ModemInfo& modem) {
    try {
        auto [started, file, size, frames, span] = ModemProxy(*connection_, modem.path).SaveDiagnosticLog();
        return {started, clean(file), size, frames, span};
    } catch (const sdbus::Error& error) {
        throw privilegedCallError(error, "saving the DM log of " + modem.id, "SaveDiagnosticLog");
    }
}

OpenedDmLog DaemonClient::openDiagnosticLog(const ModemInfo& modem, uint64_t startedUsec) {
    try {
        auto [fd, call, size] = ModemProxy(*connection_, modem.path).OpenDiagnosticLog(startedUsec);
        return {std::move(fd), call, size};
    } catch (const sdbus::Error& error) {
        throw privilegedCallError(error, "fetching the DM log of " + modem.id, "OpenDiagnosticLog");
    }
}

namespace {

template <typename T>
void take(const std::map<std::string, sdbus::Variant>& values, const char* key, T& into) {
    auto found = values.find(key);
    if (found != values.end() && found->second.containsValueOfType<T>()) into = found->second.get<T>();
}

}  // namespace

ModemStats statsFromValues(const std::map<std::string, sdbus::Variant>& values) {
    ModemStats stats;
    take(values, "calls-started", stats.callsStarted);
    take(values, "calls-up", stats.callsUp);
    take(values, "ends", stats.ends);
    std::map<std::string, uint64_t> recoveries;
    take(values, "recoveries", recoveries);
    for (const auto& [step, count] : recoveries) stats.recoveries[clean(step)] = count;
    take(values, "watchdog-failures", stats.watchdogFailures);
    take(values, "bytes-in", stats.bytesIn);
    take(values, "bytes-out", stats.bytesOut);
    take(values, "since", stats.sinceUsec);
    take(values, "data-period", stats.dataPeriod);
    stats.dataPeriod = clean(stats.dataPeriod);
    take(values, "period-start", stats.periodStartUsec);
    take(values, "period-end", stats.periodEndUsec);
    take(values, "period-bytes-in", stats.periodBytesIn);
    take(values, "period-bytes-out", stats.periodBytesOut);
    take(values, "data-limit", stats.dataLimit);
    take(values, "data-limit-reached", stats.dataLimitReached);
    stats.live = values.count("live-bytes-in") != 0;
    take(values, "live-bytes-in", stats.liveBytesIn);
    take(values, "live-bytes-out", stats.liveBytesOut);
    return stats;
}

ModemStats DaemonClient::statistics(const ModemInfo& modem) {
    try {
        return statsFromValues(ModemProxy(*connection_, modem.path).GetStatistics());
    } catch (const sdbus::Error& error) {
        throw toClientError(error, "reading the statistics of " + modem.id);
    }
}

}  // namespace dialupctl
