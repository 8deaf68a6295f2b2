// SPDX-License-Identifier: GPL-2.0-or-later
#include "commands.h"

#include <iostream>

#include "dm_log_file.h"

namespace dialupctl {

namespace {

uint64_t usecSince(std::chrono::steady_clock::time_point start) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
}

// connect and disconnect answer alike: the modem's state afterwards and how long it took.
void printOutcome(const OutputOptions& output, const ModemInfo& modem, uint64_t elapsedUsec) {
    if (output.json) {
        printJsonLine(std::cout, {{"modem", modem.id}, {"elapsed_usec", elapsedUsec}, {"status", toJson(modem)}});
        return;
    }
    Style style(output.color);
    std::cout << modem.id << ": " << style.state(modem.state);
    if (modem.state == "connected") {
        std::cout << " in " << formatDuration(elapsedUsec) << ", " << modem.interface << " " << modem.ipv4Address
                  << " (peer " << modem.peerAddress << ")";
        if (modem.defaultRoute) std::cout << ", default route (metric " << modem.routeMetric << ")";
        if (!modem.dns.empty()) {
            std::cout << ", DNS";
            for (const std::string& server : modem.dns) std::cout << ' ' << server;
            if (modem.dnsBackend == "resolved" || modem.dnsBackend == "resolvconf")
                std::cout << " (in " << modem.dnsBackend << ")";
        }
    } else if (modem.state == "disconnected" && modem.lastExitReason.code != 0) {
        std::cout << " (" << formatReason(modem.lastExitReason) << ")";
    }
    std::cout << '\n';
}

}  // namespace

std::optional<ClientError> connectOutcomeError(const ModemInfo& modem) {
    if (modem.state == "connecting" || modem.state == "connected" || modem.state == "resetting") return std::nullopt;
    std::string message = "connecting " + modem.id + ": ";
    if (modem.state == "disconnected" && modem.lastExitReason.code != 0)
        message += "the call already ended: " + formatReason(modem.lastExitReason);
    else
        message += "the call is not under way (state " + modem.state + ")";
    if (modem.nextReconnectUsec != 0) message += "; a redial is pending";
    return ClientError(ExitStatus::CallFailed, message);
}

void runList(DaemonClient& client, const OutputOptions& output, bool idsOnly) {
    const std::vector<ModemInfo> modems = client.modems();
    if (output.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const ModemInfo& modem : modems) list.push_back(toJson(modem));
        printJsonLine(std::cout, {{"modems", list}});
    } else if (idsOnly) {
        for (const ModemInfo& modem : modems) std::cout << modem.id << '\n';
    } else {
        printModemTable(std::cout, modems, Style(output.color));
    }
}

void runStatus(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem) {
    const ModemInfo info = client.resolve(modem);
    if (output.json)
        printJsonLine(std::cout, toJson(info));
    else
        printModemStatus(std::cout, info, Style(output.color), realtimeNowUsec());
}

void runConnect(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem,
                const ConnectRequest& request, std::chrono::seconds timeout) {
    const ModemInfo info = client.resolve(modem);
    const auto started = std::chrono::steady_clock::now();
    client.connect(info, request, timeout);
    const uint64_t elapsed = usecSince(started);
    const ModemInfo after = client.refresh(info);
    // With wait the daemon answers an error for a failed call; without it, the state tells.
    if (!request.wait)
        if (std::optional<ClientError> failed = connectOutcomeError(after)) throw *failed;
    printOutcome(output, after, elapsed);
}

void runDisconnect(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem,
                   std::chrono::seconds timeout) {
    const ModemInfo info = client.resolve(modem);
    const auto started = std::chrono::steady_clock::now();
    client.disconnect(info, timeout);
    const uint64_t elapsed = usecSince(started);
    printOutcome(output, client.refresh(info), elapsed);
}

void runReset(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem,
              std::chrono::seconds timeout) {
    const ModemInfo info = client.resolve(modem);
    const auto started = std::chrono::steady_clock::now();
    const auto [recoveredBy, log] = client.reset(info, timeout);
    const uint64_t elapsed = usecSince(started);
    if (output.json) {
        printJsonLine(std::cout,
                      {{"modem", info.id}, {"recovered_by", recoveredBy}, {"elapsed_usec", elapsed}, {"log", log}});
        return;
    }
    if (recoveredBy == "probe")
        std::cout << info.id << ": the module answers: nothing to recover\n";
    else
        std::cout << info.id << ": recovered by " << recoveredBy << " in " << formatDuration(elapsed) << '\n';
    std::cout << log;
}

namespace {

// --call N: the Nth newest kept call's start, or N itself when it is a start in µs.
uint64_t callStart(DaemonClient& client, const ModemInfo& info, uint64_t call) {
    if (call > kMaxCallIndex) return call;
    const std::vector<CallLog> calls = client.callLogs(info, static_cast<uint32_t>(call));
    if (calls.size() < call)
        throw ClientError(ExitStatus::NoDiagnosticLog, info.id + " keeps " + std::to_string(calls.size()) +
                                                           " calls, so no call number " + std::to_string(call));
    return calls[call - 1].startedUsec;
}

void runDmLog(DaemonClient& client, const OutputOptions& output, const ModemInfo& info, const LogRequest& request) {
    nlohmann::json document = {{"modem", info.id}};
    uint64_t start = 0;
    if (request.saveDm) {
        const SavedDmLog saved = client.saveDiagnosticLog(info);
        start = saved.startedUsec;
        document["started_usec"] = saved.startedUsec;
        document["saved_as"] = saved.file;
        document["size"] = saved.size;
        document["frames"] = saved.frames;
        document["span_usec"] = saved.spanUsec;
        if (!output.json)
            std::cout << info.id << ": DM log of the call of " << formatLocalTime(saved.startedUsec) << " saved as "
                      << saved.file << " (" << saved.frames << " frames, " << formatBytes(saved.size) << ", "
                      << formatDuration(saved.spanUsec) << ")\n";
    }
    if (request.qmdlFile) {
        if (request.call) start = callStart(client, info, *request.call);
        const OpenedDmLog opened = client.openDiagnosticLog(info, start);
        const uint64_t bytes = writeQmdlFile(opened.fd.get(), *request.qmdlFile, request.force);
        document["call_usec"] = opened.callUsec;
        document["qmdl"] = *request.qmdlFile;
        document["bytes"] = bytes;
        if (!output.json)
            std::cout << info.id << ": wrote " << bytes << " bytes to " << *request.qmdlFile
                      << " (the DM log of the call of " << formatLocalTime(opened.callUsec) << ")\n";
    }
    if (output.json) printJsonLine(std::cout, document);
}

}  // namespace

void runLog(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem,
            const LogRequest& request) {
    const ModemInfo info = client.resolve(modem);
    if (request.saveDm || request.qmdlFile) return runDmLog(client, output, info, request);
    const std::vector<CallLog> calls = client.callLogs(info, request.last);
    if (output.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const CallLog& call : calls) list.push_back(toJson(call));
        printJsonLine(std::cout, {{"modem", info.id}, {"calls", list}});
    } else {
        printCallLogs(std::cout, info.id, calls, Style(output.color));
    }
}

void runStats(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem) {
    const ModemInfo info = client.resolve(modem);
    const ModemStats stats = client.statistics(info);
    if (output.json) {
        nlohmann::json document = toJson(stats);
        document["modem"] = info.id;
        printJsonLine(std::cout, document);
    } else {
        printStatistics(std::cout, info.id, stats, Style(output.color));
    }
}

}  // namespace dialupctl
