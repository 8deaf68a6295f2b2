// SPDX-License-Identifier: GPL-2.0-or-later
// The configuration file (service/core/config.cpp). Written by root, but read at every start:
// no input may crash the daemon or throw anything but a ConfigError naming file and line, and
// what it accepts must hold what the rest of the daemon relies on.
#include <algorithm>
#include <set>

#include "core/config.h"
#include "core/errors.h"
#include "fuzz.h"

using namespace dialupd;

namespace {

void checkString(const std::string& value, const char* what) {
    // Paths, APN, serials: published on D-Bus or handed to pppd and chat.
    FUZZ_CHECK(value.find('\0') == std::string::npos, "{} holds a NUL", what);
    FUZZ_CHECK(fuzz::isValidUtf8Oracle(value), "{} is not valid UTF-8", what);
    if (fuzz::kStrictConfigText) {
        std::string problem = fuzz::textProblem(value, false);
        FUZZ_CHECK(problem.empty(), "{}: {}", what, problem);
    }
}

bool isModemId(const std::string& id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

void checkCall(const CallSettings& call, const char* where) {
    try {
        validateApn(call.apn);
        validateUser(call.user);
        validatePassword(call.password);
    } catch (const Error& error) {
        FUZZ_CHECK(false, "{}: accepted settings fail validation: {}", where, error.what());
    }
    FUZZ_CHECK(call.baud >= 300 && call.baud <= 4000000, "{}: baud {}", where, call.baud);
    FUZZ_CHECK(call.lcpEchoFailure <= 100, "{}: lcp-echo-failure {}", where, call.lcpEchoFailure);
    FUZZ_CHECK(call.reconnect.delaySeconds >= 1 && call.reconnect.maxDelaySeconds >= 1, "{}: reconnect delay 0", where);
    checkString(call.user, "user");
    // Only the named choices: each reads back as itself (the chat script and pppd's argv switch on them).
    FUZZ_CHECK(parseDnsMode(toString(call.dns)) == call.dns, "{}: dns mode {}", where, static_cast<int>(call.dns));
    FUZZ_CHECK(parseIpFamily(toString(call.ipFamily)) == call.ipFamily, "{}: ip family {}", where,
               static_cast<int>(call.ipFamily));
}

void checkConfig(const Config& config, const Config& base) {
    FUZZ_CHECK(config.daemon.pluginPath.starts_with('/'), "plugin path '{}'", config.daemon.pluginPath);
    for (const std::string* path :
         {&config.daemon.pppdPath, &config.daemon.chatPath, &config.daemon.runtimeDir, &config.daemon.stateDir}) {
        FUZZ_CHECK(path->starts_with('/'), "daemon path '{}' is not absolute", *path);
        checkString(*path, "daemon path");
    }
    FUZZ_CHECK(config.daemon.callLogBytes >= 4096 && config.daemon.callLogBytes <= 16u << 20, "call-log-size {}",
               config.daemon.callLogBytes);
    FUZZ_CHECK(config.daemon.stopTimeout.count() >= 1, "stop-timeout {}", config.daemon.stopTimeout.count());
    checkCall(config.defaults, "[defaults]");

    std::set<std::string> ids;
    bool anyPassword = config.defaults.password != base.defaults.password && !config.defaults.password.empty();
    for (const ModemConfig& modem : config.modems) {
        FUZZ_CHECK(isModemId(modem.id), "modem id '{}' (it becomes an object path element)", modem.id);
        FUZZ_CHECK(ids.insert(modem.id).second, "modem id '{}' twice", modem.id);
        int ways = !modem.device.empty() + !modem.matchUsbSerial.empty() + !modem.matchUsbPath.empty();
        FUZZ_CHECK(ways == 1, "[modem {}] names its modem {} ways", modem.id, ways);
        if (!modem.device.empty()) FUZZ_CHECK(modem.device.starts_with('/'), "device '{}'", modem.device);
        if (!modem.atPort.empty())
            FUZZ_CHECK(modem.atPort.starts_with('/') && !modem.device.empty(), "at-port '{}'", modem.atPort);
        for (const std::string* value : {&modem.device, &modem.atPort, &modem.matchUsbSerial, &modem.matchUsbPath})
            checkString(*value, "modem value");
        for (unsigned char c : modem.matchUsbSerial) FUZZ_CHECK(c >= 0x20 && c != 0x7f, "usb-serial holds a control");
        FUZZ_CHECK(modem.matchUsbPath.size() <= 64 &&
                       std::all_of(modem.matchUsbPath.begin(), modem.matchUsbPath.end(),
                                   [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '-'; }),
                   "usb-path '{}'", modem.matchUsbPath);
        checkCall(modem.call, "[modem]");
        anyPassword = anyPassword || !modem.call.password.empty();
    }
    // The start-up warning about a world-readable secret depends on this.
    if (anyPassword) FUZZ_CHECK(config.hasPassword, "a password was read but hasPassword is false");
    for (const UsbModel& model : config.usbModels) {
        FUZZ_CHECK(!model.name.empty() && model.name.size() <= 256, "usb-model name of {} bytes", model.name.size());
        checkString(model.name, "usb-model name");
        FUZZ_CHECK(!model.atInterface || *model.atInterface != model.pppInterface, "AT and PPP on one interface");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    Config base;
    base.daemon.pluginPath = "/usr/lib/pppd/2.4.9/dialupd-pppd-plugin.so";
    try {
        Config config = parseConfig(text, "fuzz.conf", base);
        checkConfig(config, base);
    } catch (const ConfigError& error) {
        std::string_view what = error.what();
        FUZZ_CHECK(what.starts_with("fuzz.conf:"), "error names no file: {}", what);
        // Printed on the terminal and in the journal when the daemon refuses to start.
        FUZZ_CHECK(fuzz::isValidUtf8Oracle(what) && what.find('\0') == std::string_view::npos,
                   "error message is not valid UTF-8 text");
    } catch (const std::exception& error) {
        FUZZ_CHECK(false, "parseConfig threw something other than a ConfigError: {}", error.what());
    }
    return 0;
}
