// SPDX-License-Identifier: GPL-2.0-or-later
// dialupctl monitor: one match for every signal dialupd sends under /org/dialupd1 (so modems
// that appear later are followed too), one for the daemon's name coming and going, and a poll
// loop over the bus connection and a signalfd for SIGINT/SIGTERM. One thread, no timers.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <utility>

#include "commands.h"

namespace dialupctl {

namespace {

using Properties = std::map<std::string, sdbus::Variant>;
using ReasonStruct = sdbus::Struct<uint32_t, std::string, std::string>;

class Monitor {
public:
    Monitor(DaemonClient& client, const OutputOptions& output, std::optional<std::string> onlyPath, bool withLog)
        : client_(client), output_(output), style_(output.color), onlyPath_(std::move(onlyPath)), withLog_(withLog) {}

    void run();

private:
    void onDaemonSignal(sdbus::Message& message);
    void onNameOwnerChanged(sdbus::Message& message);
    void onPropertiesChanged(sdbus::Message& message);
    void stateChanged(const ModemInfo& modem, const Properties& changed);
    void liveChanged(const ModemInfo& modem, const Properties& changed);
    void onHangup(sdbus::Message& message);
    void onInterfacesAdded(sdbus::Message& message);
    void onInterfacesRemoved(sdbus::Message& message);
    bool wanted(const std::string& path) const { return !onlyPath_ || *onlyPath_ == path; }
    // A "present" event for each modem there is now (at start, and when dialupd comes back:
    // a starting daemon makes its objects before it owns the name, so no InterfacesAdded of
    // them reaches a match on the name).
    void listPresentModems();
    // One event: a JSON line, or "TIME  MODEM  EVENT  details" (and indented lines after it).
    void emit(const std::string& event, const std::string& modemId, nlohmann::json fields, const std::string& details,
              const std::string& more = "");

    DaemonClient& client_;
    OutputOptions output_;
    Style style_;
    std::optional<std::string> onlyPath_;
    bool withLog_;
    bool relistPending_ = false;  // set in a signal handler, done from the loop: no call inside a callback
};

void Monitor::emit(const std::string& event, const std::string& modemId, nlohmann::json fields,
                   const std::string& details, const std::string& more) {
    const uint64_t now = realtimeNowUsec();
    if (output_.json) {
        nlohmann::json line = {{"time", formatRfc3339(now)}, {"event", event}};
        if (!modemId.empty()) line["modem"] = modemId;
        line.update(fields);
        printJsonLine(std::cout, line);
        return;
    }
    std::cout << style_.dim(formatLocalTime(now, true)) << "  " << (modemId.empty() ? "dialupd" : modemId) << "  "
              << style_.bold(event) << (details.empty() ? "" : "  " + details) << '\n';
    if (!more.empty()) {
        size_t start = 0;
        while (start < more.size()) {
            size_t end = more.find('\n', start);
            if (end == std::string::npos) end = more.size();
            std::cout << "    " << more.substr(start, end - start) << '\n';
            start = end + 1;
        }
    }
    std::cout.flush();
}

void Monitor::onDaemonSignal(sdbus::Message& message) {
    const std::string interface = message.getInterfaceName();
    const std::string member = message.getMemberName();
    if (interface == "org.freedesktop.DBus.Properties" && member == "PropertiesChanged")
        onPropertiesChanged(message);
    else if (member == "Hangup")
        onHangup(message);
    else if (member == "InterfacesAdded")
        onInterfacesAdded(message);
    else if (member == "InterfacesRemoved")
        onInterfacesRemoved(message);
}

void Monitor::onNameOwnerChanged(sdbus::Message& message) {
    std::string name, oldOwner, newOwner;
    message >> name >> oldOwner >> newOwner;
    if (name != kBusName) return;
    if (newOwner.empty())
        emit("daemon-stopped", "", nlohmann::json::object(), "dialupd left the bus");
    else {
        emit("daemon-started", "", nlohmann::json::object(), "dialupd is on the bus");
        relistPending_ = true;
    }
}

void Monitor::listPresentModems() {
    for (const ModemInfo& modem : client_.modems())
        if (wanted(modem.path))
            emit("present", modem.id, {{"status", toJson(modem)}}, style_.state(modem.state) + "  " + modem.device);
}

void Monitor::onPropertiesChanged(sdbus::Message& message) {
    const std::string path = message.getPath();
    if (!wanted(path)) return;
    std::string interface;
    Properties changed;
    std::vector<std::string> invalidated;
    message >> interface >> changed >> invalidated;
    if (interface != kModemInterface) return;
    const ModemInfo modem = modemFromProperties(path, changed);
    if (changed.count("State")) stateChanged(modem, changed);
    liveChanged(modem, changed);
}

void Monitor::liveChanged(const ModemInfo& modem, const Properties& changed) {
    // The module's live state: one "live" event with what changed (SIM, network, signal, ids).
    nlohmann::json fields = nlohmann::json::object();
    std::vector<std::string> details;
    if (changed.count("SimState")) {
        fields["sim_state"] = modem.simState;
        details.push_back("SIM " + modem.simState);
    }
    const bool network = changed.count("RegistrationState") || changed.count("OperatorName") ||
                         changed.count("OperatorCode") || changed.count("AccessTechnology");
    if (changed.count("RegistrationState")) fields["registration_state"] = modem.registrationState;
    if (changed.count("OperatorName")) fields["operator_name"] = modem.operatorName;
    if (changed.count("OperatorCode")) fields["operator_code"] = modem.operatorCode;
    if (changed.count("AccessTechnology")) fields["access_technology"] = modem.accessTechnology;
    // The daemon sends the network's four properties together, and the signal's two.
    if (network) details.push_back("network " + formatNetwork(modem));
    if (changed.count("SignalQuality")) fields["signal_quality"] = modem.signalQuality;
    if (changed.count("Signal")) fields["signal"] = modem.signal;
    if (changed.count("SignalQuality") || changed.count("Signal")) details.push_back("signal " + formatSignal(modem));
    if (changed.count("Imei")) {
        fields["imei"] = modem.imei;
        details.push_back("IMEI " + (modem.imei.empty() ? std::string("unknown") : modem.imei));
    }
    if (changed.count("Iccid")) {
        fields["iccid"] = modem.iccid;
        details.push_back("ICCID " + (modem.iccid.empty() ? std::string("unknown") : modem.iccid));
    }
    if (fields.empty()) return;
    std::string text;
    for (const std::string& detail : details) text += (text.empty() ? "" : ", ") + detail;
    emit("live", modem.id, fields, text);
}

void Monitor::stateChanged(const ModemInfo& modem, const Properties& changed) {
    // The daemon sends a state with whatever changed along with it: addresses when the link
    // comes up, the exit reason when it ends.
    nlohmann::json fields = {{"state", modem.state}};
    std::string details = style_.state(modem.state);
    if (changed.count("IPv4Address") && !modem.ipv4Address.empty()) {
        fields["interface"] = modem.interface;
        fields["ipv4_address"] = modem.ipv4Address;
        fields["peer_address"] = modem.peerAddress;
        fields["dns"] = modem.dns;
        details += "  " + modem.interface + " " + modem.ipv4Address + " peer " + modem.peerAddress;
    }
    if (changed.count("LastExitReason")) {
        fields["last_exit_reason"] = toJson(modem.lastExitReason);
        details += "  (" + formatReason(modem.lastExitReason) + ")";
    }
    if (changed.count("NextReconnect") && modem.nextReconnectUsec) {
        fields["reconnect_attempts"] = modem.reconnectAttempts;
        fields["next_reconnect_usec"] = modem.nextReconnectUsec;
        details += "  redial " + formatRedial(modem.reconnectAttempts, modem.nextReconnectUsec);
    }
    emit("state", modem.id, fields, details);
}

void Monitor::onHangup(sdbus::Message& message) {
    const std::string path = message.getPath();
    if (!wanted(path)) return;
    ReasonStruct reasonStruct;
    uint64_t durationUsec = 0;
    std::string log;
    message >> reasonStruct >> durationUsec >> log;
    const ExitReason reason = toReason(reasonStruct);
    log = cleanLogText(log);
    emit("hangup", modemIdFromPath(path), {{"reason", toJson(reason)}, {"duration_usec", durationUsec}, {"log", log}},
         style_.red(formatReason(reason)) + " after " + formatDuration(durationUsec), withLog_ ? log : "");
}

void Monitor::onInterfacesAdded(sdbus::Message& message) {
    sdbus::ObjectPath path;
    std::map<std::string, Properties> interfaces;
    message >> path >> interfaces;
    auto modem = interfaces.find(kModemInterface);
    if (modem == interfaces.end() || !wanted(path)) return;
    const ModemInfo info = modemFromProperties(path, modem->second);
    emit("added", info.id, {{"status", toJson(info)}}, style_.state(info.state) + "  " + info.device);
}

void Monitor::onInterfacesRemoved(sdbus::Message& message) {
    sdbus::ObjectPath path;
    std::vector<std::string> interfaces;
    message >> path >> interfaces;
    if (!wanted(path)) return;
    for (const std::string& interface : interfaces)
        if (interface == kModemInterface) emit("removed", modemIdFromPath(path), nlohmann::json::object(), "");
}

// Blocks SIGINT and SIGTERM and returns a signalfd for them, so an interrupt ends the loop
// between two events rather than in the middle of a line.
int interruptFd() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    ::sigprocmask(SIG_BLOCK, &mask, nullptr);
    const int fd = ::signalfd(-1, &mask, SFD_CLOEXEC);
    if (fd < 0) throw ClientError(ExitStatus::Failure, std::string("signalfd: ") + std::strerror(errno));
    return fd;
}

void Monitor::run() {
    sdbus::IConnection& connection = client_.connection();
    const int interrupt = interruptFd();
    // Subscribe first, then read what is there: a change in between is queued, not lost.
    auto daemonSignals =
        connection.addMatch(std::string("type='signal',sender='") + kBusName + "',path_namespace='" + kRootPath + "'",
                            [this](sdbus::Message& message) { onDaemonSignal(message); });
    auto nameChanges =
        connection.addMatch(std::string("type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                                        "member='NameOwnerChanged',arg0='") +
                                kBusName + "'",
                            [this](sdbus::Message& message) { onNameOwnerChanged(message); });
    listPresentModems();

    for (;;) {
        try {
            while (connection.processPendingRequest()) {
            }
            if (std::exchange(relistPending_, false)) {
                try {
                    listPresentModems();
                } catch (const ClientError& error) {  // gone again already: its leaving is the next event
                    std::cerr << "dialupctl: " << error.what() << '\n';
                }
                continue;
            }
        } catch (const sdbus::Error& error) {
            ::close(interrupt);
            throw ClientError(ExitStatus::DaemonNotRunning, error.getName(), "lost the bus: " + error.getMessage());
        }
        const auto pollData = connection.getEventLoopPollData();
        pollfd fds[2] = {{pollData.fd, pollData.events, 0}, {interrupt, POLLIN, 0}};
        if (::poll(fds, 2, pollData.getPollTimeout()) < 0 && errno != EINTR) {
            ::close(interrupt);
            throw ClientError(ExitStatus::Failure, std::string("poll: ") + std::strerror(errno));
        }
        if (fds[1].revents & POLLIN) break;
    }
    ::close(interrupt);
}

}  // namespace

void runMonitor(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem,
                bool withLog) {
    std::optional<std::string> onlyPath;
    if (modem) onlyPath = client.resolve(modem).path;
    Monitor(client, output, onlyPath, withLog).run();
}

}  // namespace dialupctl
