// SPDX-License-Identifier: GPL-2.0-or-later
#include "config.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "errors.h"
#include "text.h"

namespace dialupd {
namespace {

struct Entry {
    std::string key;
    std::string value;
    int line;
};

struct Section {
    std::string name;  // "daemon", "defaults" or "modem"
    std::string id;    // modem id
    int line;
    std::vector<Entry> entries;
};

std::string_view trim(std::string_view text) {
    const char* space = " \t\r";
    size_t begin = text.find_first_not_of(space);
    if (begin == std::string_view::npos) return {};
    size_t end = text.find_last_not_of(space);
    return text.substr(begin, end - begin + 1);
}

// A value may be written in double quotes (to keep leading spaces or an inline ';'); no escapes.
std::string unquote(std::string_view value) {
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        return std::string(value.substr(1, value.size() - 2));
    return std::string(value);
}

bool isModemId(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

class Parser {
public:
    Parser(const std::string& fileName) : file_(fileName) {}

    [[noreturn]] void fail(int line, const std::string& what) const { throw ConfigError(file_, line, what); }

    std::vector<Section> split(const std::string& text) {
        std::vector<Section> sections;
        std::istringstream input(text);
        std::string raw;
        int lineNumber = 0;
        while (std::getline(input, raw)) {
            ++lineNumber;
            std::string_view line = trim(raw);
            if (line.empty() || line.front() == '#' || line.front() == ';') continue;
            if (line.find('\0') != std::string_view::npos) fail(lineNumber, "NUL byte in line");
            if (!isValidUtf8(line)) fail(lineNumber, "line is not valid UTF-8");
            if (line.front() == '[') {
                if (line.back() != ']') fail(lineNumber, "section header must end with ']'");
                sections.push_back(parseHeader(trim(line.substr(1, line.size() - 2)), lineNumber, sections));
                continue;
            }
            size_t equals = line.find('=');
            // Not repeated: such a line may be a password written without its key.
            if (equals == std::string_view::npos) fail(lineNumber, "expected 'key = value'");
            if (sections.empty())
                fail(lineNumber, "key outside of a section: start with [daemon], [defaults] or [modem ID]");
            std::string key(trim(line.substr(0, equals)));
            if (key.empty()) fail(lineNumber, "empty key before '='");
            for (const Entry& existing : sections.back().entries)
                if (existing.key == key)
                    fail(lineNumber,
                         fmt::format("'{}' is set twice in this section (first on line {})", key, existing.line));
            std::string value = unquote(trim(line.substr(equals + 1)));
            // Values are published on D-Bus, logged and put in chat scripts: what sd-bus refuses
            // (noncharacters) or a terminal obeys (controls) has no place in them. The value is
            // not repeated: it may be a password.
            if (!isCleanText(key) || !isCleanText(value))
                fail(lineNumber, fmt::format("{} contains a control character or a Unicode noncharacter",
                                             isCleanText(key) ? key : "the key"));
            sections.back().entries.push_back({key, std::move(value), lineNumber});
        }
        return sections;
    }

    uint32_t number(const Entry& entry, uint32_t min, uint32_t max) const {
        uint32_t value = 0;
        const std::string& text = entry.value;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min || value > max)
            fail(entry.line,
                 fmt::format("'{}' must be a whole number from {} to {}, got '{}'", entry.key, min, max, text));
        return value;
    }

    bool boolean(const Entry& entry) const {
        static const std::map<std::string, bool> words = {{"yes", true},  {"true", true}, {"on", true},
                                                          {"1", true},    {"no", false},  {"false", false},
                                                          {"off", false}, {"0", false}};
        auto found = words.find(entry.value);
        if (found == words.end())
            fail(entry.line, fmt::format("'{}' must be yes or no, got '{}'", entry.key, entry.value));
        return found->second;
    }

    // One of a fixed set of words, by `parse` (parseDnsMode, parseIpFamily); `words` lists them
    // for the error.
    template <typename Parse>
    auto oneOf(const Entry& entry, Parse parse, std::string_view words) const {
        auto value = parse(entry.value);
        if (!value) fail(entry.line, fmt::format("'{}' must be one of {}, got '{}'", entry.key, words, entry.value));
        return *value;
    }

    // A byte count with an optional unit (parseDataSize: K, M, G, T decimal; Ki, Mi, Gi, Ti binary).
    uint64_t dataSize(const Entry& entry) const {
        std::optional<uint64_t> size = parseDataSize(entry.value);
        if (!size)
            fail(entry.line, fmt::format("'{}' must be a size like 2G, 500M or 1Gi (K, M, G, T: powers of 1000; Ki, "
                                         "Mi, Gi, Ti: of 1024), or none; got '{}'",
                                         entry.key, entry.value));
        return *size;
    }

    // A size as dataSize(), within [min, max] bytes; `range` names them as the docs do ("64Ki to 64Mi").
    uint64_t dataSizeWithin(const Entry& entry, uint64_t min, uint64_t max, std::string_view range) const {
        uint64_t size = dataSize(entry);
        if (size < min || size > max)
            fail(entry.line, fmt::format("'{}' must be from {} to {} bytes ({}), got '{}'", entry.key, min, max, range,
                                         entry.value));
        return size;
    }

    std::string absolutePath(const Entry& entry) const {
        if (entry.value.empty() || entry.value.front() != '/')
            fail(entry.line, fmt::format("'{}' must be an absolute path, got '{}'", entry.key, entry.value));
        return entry.value;
    }

    // A program dialupd runs itself, without a shell: an absolute path of plain characters (no
    // arguments: a shell's quoting has no place here), never "..".
    std::string commandPath(const Entry& entry) const {
        std::string path = absolutePath(entry);
        if (path.size() > 4096) fail(entry.line, fmt::format("'{}' is longer than 4096 characters", entry.key));
        for (unsigned char c : path)
            if (c <= 0x20 || c == 0x7f)
                fail(entry.line, fmt::format("'{}' must be one absolute path without spaces or control characters "
                                             "(it is run without a shell, with no arguments)",
                                             entry.key));
        if (path.find("/../") != std::string::npos || path.ends_with("/.."))
            fail(entry.line, fmt::format("'{}' must not contain '..'", entry.key));
        return path;
    }

    template <typename Validate>
    std::string validated(const Entry& entry, Validate validate) const {
        try {
            validate(entry.value);
        } catch (const Error& error) {
            fail(entry.line, error.what());
        }
        return entry.value;
    }

    std::string nonEmpty(const Entry& entry) const {
        if (entry.value.empty()) fail(entry.line, fmt::format("'{}' must not be empty", entry.key));
        if (entry.value.size() > 256) fail(entry.line, fmt::format("'{}' is longer than 256 characters", entry.key));
        for (unsigned char c : entry.value)
            if (c < 0x20 || c == 0x7f) fail(entry.line, fmt::format("'{}' holds a control character", entry.key));
        return entry.value;
    }

    // A USB port path as sysfs names the device: "1-1.2" (bus, '-', ports joined by '.').
    std::string usbPortPath(const Entry& entry) const {
        const std::string& path = entry.value;
        size_t dash = path.find('-');
        auto digitsAndDots = [](std::string_view text) {
            if (text.empty() || text.front() == '.' || text.back() == '.' || text.find("..") != std::string_view::npos)
                return false;
            return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
        };
        std::string_view bus = std::string_view(path).substr(0, dash);
        if (dash == std::string::npos || bus.empty() || bus.find('.') != std::string_view::npos ||
            !digitsAndDots(bus) || !digitsAndDots(std::string_view(path).substr(dash + 1)) || path.size() > 64)
            fail(entry.line,
                 fmt::format("'usb-path' must be a USB port path like 1-1.2 (see the UsbPath property), got '{}'",
                             path));
        return path;
    }

private:
    Section parseHeader(std::string_view header, int line, const std::vector<Section>& before) const {
        Section section{std::string(header), {}, line, {}};
        size_t space = header.find_first_of(" \t");
        if (space != std::string_view::npos) {
            section.name = header.substr(0, space);
            section.id = trim(header.substr(space));
        }
        if (section.name == "modem") {
            if (!isModemId(section.id))
                fail(line, fmt::format(
                               "modem id '{}' must be 1 to 64 letters, digits or '_' (it becomes a D-Bus object path)",
                               section.id));
        } else if (section.name == "usb-model") {
            if (!parseVidPid(section.id))
                fail(line,
                     fmt::format("[usb-model {}]: expected VID:PID as four hex digits each, e.g. [usb-model 2c7c:0125]",
                                 section.id));
        } else if (section.name != "daemon" && section.name != "defaults") {
            fail(line,
                 fmt::format("unknown section [{}] (known: [daemon], [defaults], [modem ID], [usb-model VID:PID])",
                             header));
        } else if (!section.id.empty()) {
            fail(line, fmt::format("section [{}] takes no name", section.name));
        }
        for (const Section& other : before)
            if (other.name == section.name && other.id == section.id)
                fail(line, fmt::format("section [{}] appears twice (first on line {})", header, other.line));
        return section;
    }

    std::string file_;
};

// Every key of the file: its name, and how its value is read into its setting (the range with
// it). The parser, the "unknown key ... (known: ...)" message and the check that docs/CONFIG.md
// and dialupd.conf.example name every key (tests/unit/test_config_keys.cpp) all follow from
// these tables; a key is added in one row. A table's order is the order the message lists.
template <typename Target>
struct Key {
    const char* name;
    void (*set)(const Parser&, const Entry&, Target&);
};

using P = const Parser&;
using E = const Entry&;

// [defaults], and [modem ID] after the modem's own keys.
constexpr Key<CallSettings> kCallKeys[] = {
    {"apn",
     [](P p, E e, CallSettings& c) {
         c.apn = p.validated(e, validateApn);
         c.apnGiven = true;
     }},
    {"user", [](P p, E e, CallSettings& c) { c.user = p.validated(e, validateUser); }},
    {"password", [](P p, E e, CallSettings& c) { c.password = p.validated(e, validatePassword); }},
    {"baud", [](P p, E e, CallSettings& c) { c.baud = p.number(e, 300, 4000000); }},
    {"lcp-echo-interval", [](P p, E e, CallSettings& c) { c.lcpEchoInterval = p.number(e, 0, 3600); }},
    {"lcp-echo-failure", [](P p, E e, CallSettings& c) { c.lcpEchoFailure = p.number(e, 0, 100); }},
    {"idle", [](P p, E e, CallSettings& c) { c.idleSeconds = p.number(e, 0, 604800); }},
    {"max-connect", [](P p, E e, CallSettings& c) { c.maxConnectSeconds = p.number(e, 0, 31536000); }},
    {"reconnect", [](P p, E e, CallSettings& c) { c.reconnect.enabled = p.boolean(e); }},
    {"reconnect-delay", [](P p, E e, CallSettings& c) { c.reconnect.delaySeconds = p.number(e, 1, 3600); }},
    {"reconnect-max-delay", [](P p, E e, CallSettings& c) { c.reconnect.maxDelaySeconds = p.number(e, 1, 86400); }},
    {"reconnect-attempts", [](P p, E e, CallSettings& c) { c.reconnect.maxAttempts = p.number(e, 0, 1000000); }},
    {"reset-after-failures", [](P p, E e, CallSettings& c) { c.escalation.resetAfterFailures = p.number(e, 0, 1000); }},
    {"usb-reset-after-failures",
     [](P p, E e, CallSettings& c) { c.escalation.usbResetAfterFailures = p.number(e, 0, 1000); }},
    {"power-cycle-after-failures",
     [](P p, E e, CallSettings& c) { c.escalation.powerCycleAfterFailures = p.number(e, 0, 1000); }},
    {"power-cycle-command", [](P p, E e, CallSettings& c) { c.escalation.powerCycleCommand = p.commandPath(e); }},
    {"max-resets-per-hour", [](P p, E e, CallSettings& c) { c.escalation.maxResetsPerHour = p.number(e, 0, 60); }},
    {"default-route", [](P p, E e, CallSettings& c) { c.defaultRoute = p.boolean(e); }},
    // The kernel's route priority is a u32 (RTA_PRIORITY), as is the RouteMetric property:
    // every value means something, so none is refused.
    {"route-metric", [](P p, E e, CallSettings& c) { c.routeMetric = p.number(e, 0, UINT32_MAX); }},
    {"dns", [](P p, E e, CallSettings& c) { c.dns = p.oneOf(e, parseDnsMode, "auto, resolved, resolvconf, none"); }},
    {"ip-family", [](P p, E e, CallSettings& c) { c.ipFamily = p.oneOf(e, parseIpFamily, "ipv4, ipv6, ipv4v6"); }},
    {"registration-timeout", [](P p, E e, CallSettings& c) { c.registrationTimeoutSeconds = p.number(e, 1, 3600); }},
    {"allow-roaming", [](P p, E e, CallSettings& c) { c.allowRoaming = p.boolean(e); }},
    {"data-period",
     [](P p, E e, CallSettings& c) { c.dataPlan.period = p.oneOf(e, parseDataPeriodKind, "monthly, daily"); }},
    {"data-period-start-day", [](P p, E e, CallSettings& c) { c.dataPlan.startDay = p.number(e, 1, 28); }},
    {"data-limit", [](P p, E e, CallSettings& c) { c.dataPlan.limitBytes = p.dataSize(e); }},
    // The connectivity watchdog (connectivity_check.h); the targets are parsed once the section
    // is read and the kind known (finishCheck).
    {"check", [](P p, E e, CallSettings& c) { c.check.kind = p.oneOf(e, parseCheckKind, "none, icmp, dns, tcp"); }},
    {"check-interval", [](P p, E e, CallSettings& c) { c.check.intervalSeconds = p.number(e, 1, 86400); }},
    {"check-retry-interval", [](P p, E e, CallSettings& c) { c.check.retryIntervalSeconds = p.number(e, 1, 86400); }},
    {"check-failures", [](P p, E e, CallSettings& c) { c.check.failures = p.number(e, 1, 100); }},
    {"check-timeout", [](P p, E e, CallSettings& c) { c.check.timeoutSeconds = p.number(e, 1, 60); }},
    {"check-targets", [](P p, E e, CallSettings& c) { c.check.targetsText = p.nonEmpty(e); }},
    {"check-name",
     [](P p, E e, CallSettings& c) {
         if (!isCheckName(e.value))
             p.fail(e.line, fmt::format("'check-name' must be a DNS name (letters, digits, '-', '_' in labels of 1 to "
                                        "63 separated by '.'), got '{}'",
                                        e.value));
         c.check.name = e.value;
     }},
};

constexpr Key<DaemonSettings> kDaemonKeys[] = {
    {"pppd", [](P p, E e, DaemonSettings& d) { d.pppdPath = p.absolutePath(e); }},
    {"chat", [](P p, E e, DaemonSettings& d) { d.chatPath = p.absolutePath(e); }},
    {"plugin", [](P p, E e, DaemonSettings& d) { d.pluginPath = p.absolutePath(e); }},
    {"runtime-dir", [](P p, E e, DaemonSettings& d) { d.runtimeDir = p.absolutePath(e); }},
    {"lock-dir", [](P p, E e, DaemonSettings& d) { d.lockDir = p.absolutePath(e); }},
    {"stop-timeout", [](P p, E e, DaemonSettings& d) { d.stopTimeout = std::chrono::seconds(p.number(e, 1, 600)); }},
    {"pppd-debug", [](P p, E e, DaemonSettings& d) { d.pppdDebug = p.boolean(e); }},
    {"udev", [](P p, E e, DaemonSettings& d) { d.watchUdev = p.boolean(e); }},
    {"state-dir", [](P p, E e, DaemonSettings& d) { d.stateDir = p.absolutePath(e); }},
    {"call-log-size", [](P p, E e, DaemonSettings& d) { d.callLogBytes = p.number(e, 4096, 16 * 1024 * 1024); }},
    {"call-logs-kept", [](P p, E e, DaemonSettings& d) { d.keptCallLogs = p.number(e, 0, 1000); }},
    {"call-logs-max-size",
     [](P p, E e, DaemonSettings& d) {
         d.callLogsMaxBytes = p.dataSizeWithin(e, 1ull << 20, 1ull << 40, "1Mi to 1Ti");
     }},
    {"diagnostics-timeout",
     [](P p, E e, DaemonSettings& d) { d.diagnosticsTimeout = std::chrono::milliseconds(p.number(e, 100, 30000)); }},
    {"recovery-wait", [](P p, E e, DaemonSettings& d) { d.recoveryWait = std::chrono::seconds(p.number(e, 1, 600)); }},
    {"live-status", [](P p, E e, DaemonSettings& d) { d.liveStatus = p.boolean(e); }},
    {"metrics-dir", [](P p, E e, DaemonSettings& d) { d.metricsDir = p.absolutePath(e); }},
};

// [modem ID]'s own keys; the call keys follow them.
constexpr Key<ModemConfig> kModemKeys[] = {
    {"device", [](P p, E e, ModemConfig& m) { m.device = p.absolutePath(e); }},
    {"at-port", [](P p, E e, ModemConfig& m) { m.atPort = p.absolutePath(e); }},
    {"sim-pin-file", [](P p, E e, ModemConfig& m) { m.simPinFile = p.absolutePath(e); }},
    {"usb-serial", [](P p, E e, ModemConfig& m) { m.matchUsbSerial = p.nonEmpty(e); }},
    {"usb-path", [](P p, E e, ModemConfig& m) { m.matchUsbPath = p.usbPortPath(e); }},
    {"autoconnect", [](P p, E e, ModemConfig& m) { m.autoconnect = p.boolean(e); }},
    {"dm-log", [](P p, E e, ModemConfig& m) { m.dmLog = p.boolean(e); }},
    {"dm-log-size",
     [](P p, E e, ModemConfig& m) { m.dmLogSize = p.dataSizeWithin(e, kMinDmLogSize, kMaxDmLogSize, "64Ki to 64Mi"); }},
    {"dm-port", [](P p, E e, ModemConfig& m) { m.dmPort = p.absolutePath(e); }},
    {"dm-mask-file", [](P p, E e, ModemConfig& m) { m.dmMaskFile = p.absolutePath(e); }},
};

constexpr Key<UsbModel> kUsbModelKeys[] = {
    {"name", [](P p, E e, UsbModel& u) { u.name = p.nonEmpty(e); }},
    {"ppp-interface", [](P p, E e, UsbModel& u) { u.pppInterface = static_cast<uint8_t>(p.number(e, 0, 255)); }},
    {"at-interface", [](P p, E e, UsbModel& u) { u.atInterface = static_cast<uint8_t>(p.number(e, 0, 255)); }},
    {"dm-interface", [](P p, E e, UsbModel& u) { u.dmInterface = static_cast<uint8_t>(p.number(e, 0, 255)); }},
};

template <typename Target>
std::vector<std::string> names(std::span<const Key<Target>> table) {
    std::vector<std::string> result;
    for (const Key<Target>& key : table) result.push_back(key.name);
    return result;
}

// Sets `entry` by its row of `table`; false if no row has its key.
template <typename Target>
bool set(const Parser& parser, std::span<const Key<Target>> table, const Entry& entry, Target& target) {
    for (const Key<Target>& key : table)
        if (entry.key == key.name) {
            key.set(parser, entry, target);
            return true;
        }
    return false;
}

[[noreturn]] void unknownKey(const Parser& parser, const Entry& entry, std::string_view section) {
    parser.fail(entry.line, fmt::format("unknown key '{}' in [{}] (known: {})", entry.key, section,
                                        fmt::join(configKeys(section), ", ")));
}

// The check's keys together, once a section is read ([defaults], then each modem).
void finishCheck(const Parser& parser, const Section& section, CallSettings& call) {
    if (std::optional<std::string> problem = finishCheckSettings(call.check)) {
        int line = section.line;
        for (const Entry& entry : section.entries)
            if (entry.key == "check" || entry.key == "check-targets") line = entry.line;
        parser.fail(line, *problem);
    }
}

void setCallKey(const Parser& parser, const Entry& entry, CallSettings& call, std::string_view section) {
    if (!set<CallSettings>(parser, kCallKeys, entry, call)) unknownKey(parser, entry, section);
}

UsbModel usbModel(const Parser& parser, const Section& section) {
    auto [vendor, product] = *parseVidPid(section.id);
    UsbModel model{vendor, product, {}, 0, std::nullopt, std::nullopt};
    for (const Entry& entry : section.entries)
        if (!set<UsbModel>(parser, kUsbModelKeys, entry, model)) unknownKey(parser, entry, "usb-model");
    bool hasPpp = std::any_of(section.entries.begin(), section.entries.end(),
                              [](const Entry& entry) { return entry.key == "ppp-interface"; });
    if (model.name.empty() || !hasPpp)
        parser.fail(section.line, fmt::format("[usb-model {}] needs 'name' and 'ppp-interface'", section.id));
    if (model.atInterface == model.pppInterface)
        parser.fail(section.line,
                    fmt::format("[usb-model {}]: 'at-interface' must differ from 'ppp-interface'", section.id));
    return model;
}

// A password set (and so validated) in [defaults] or a [modem]: the file holds a secret.
bool holdsPassword(const std::vector<Section>& sections) {
    for (const Section& section : sections)
        if (section.name == "defaults" || section.name == "modem")
            for (const Entry& entry : section.entries)
                if (entry.key == "password" && !entry.value.empty()) return true;
    return false;
}

}  // namespace

std::vector<std::string> configKeys(std::string_view section) {
    if (section == "daemon") return names<DaemonSettings>(kDaemonKeys);
    if (section == "defaults") return names<CallSettings>(kCallKeys);
    if (section == "usb-model") return names<UsbModel>(kUsbModelKeys);
    if (section == "modem") {
        std::vector<std::string> keys = names<ModemConfig>(kModemKeys);
        for (std::string& key : names<CallSettings>(kCallKeys)) keys.push_back(std::move(key));
        return keys;
    }
    return {};
}

ConfigError::ConfigError(const std::string& file, int line, const std::string& what)
    : std::runtime_error(line > 0 ? fmt::format("{}:{}: {}", file, line, what) : fmt::format("{}: {}", file, what)) {}

Config parseConfig(const std::string& text, const std::string& fileName, const Config& base) {
    Parser parser(fileName);
    std::vector<Section> sections = parser.split(text);
    Config config = base;
    config.modems.clear();
    config.usbModels.clear();

    // [defaults] first wherever it stands: a modem's values are its overrides of the defaults.
    for (const Section& section : sections) {
        if (section.name == "daemon") {
            for (const Entry& entry : section.entries)
                if (!set<DaemonSettings>(parser, kDaemonKeys, entry, config.daemon))
                    unknownKey(parser, entry, "daemon");
        } else if (section.name == "defaults") {
            for (const Entry& entry : section.entries) setCallKey(parser, entry, config.defaults, "defaults");
            finishCheck(parser, section, config.defaults);
        }
    }
    for (const Section& section : sections) {
        if (section.name == "usb-model") config.usbModels.push_back(usbModel(parser, section));
        if (section.name != "modem") continue;
        ModemConfig modem;
        modem.id = section.id;
        modem.call = config.defaults;
        for (const Entry& entry : section.entries)
            if (!set<ModemConfig>(parser, kModemKeys, entry, modem)) setCallKey(parser, entry, modem.call, "modem");
        finishCheck(parser, section, modem.call);
        int ways = !modem.device.empty() + !modem.matchUsbSerial.empty() + !modem.matchUsbPath.empty();
        if (ways != 1)
            parser.fail(section.line,
                        fmt::format("[modem {}] needs exactly one of 'device' (a fixed port), 'usb-serial' "
                                    "or 'usb-path' (a USB modem), got {}",
                                    section.id, ways));
        if (!modem.dmPort.empty() && modem.device.empty())
            parser.fail(section.line, fmt::format("[modem {}]: 'dm-port' is for fixed ports; a USB modem's DM port "
                                                  "comes from the model table",
                                                  section.id));
        if (!modem.atPort.empty() && modem.device.empty())
            parser.fail(section.line, fmt::format("[modem {}]: 'at-port' is for fixed ports; a USB modem's AT port "
                                                  "comes from the model table",
                                                  section.id));
        // A device can report any serial it likes: one that copies ours gets this section's
        // password. A port path is where a device is plugged in, which no device chooses.
        bool ownCredentials = std::any_of(section.entries.begin(), section.entries.end(), [](const Entry& entry) {
            return (entry.key == "password" || entry.key == "user") && !entry.value.empty();
        });
        if (ownCredentials && !modem.matchUsbSerial.empty())
            config.warnings.push_back(fmt::format(
                "{}:{}: [modem {}] gives its user and password to any USB modem that reports serial '{}', and a "
                "device can claim any serial: match the section by 'usb-path' (the physical port) instead",
                fileName, section.line, section.id, modem.matchUsbSerial));
        for (const ModemConfig& other : config.modems) {
            auto clash = [&](const std::string& mine, const std::string& theirs, const char* what) {
                if (!mine.empty() && mine == theirs)
                    parser.fail(section.line, fmt::format("[modem {}] uses {} {} of [modem {}] too", section.id, what,
                                                          mine, other.id));
            };
            clash(modem.device, other.device, "device");
            clash(modem.matchUsbSerial, other.matchUsbSerial, "usb-serial");
            clash(modem.matchUsbPath, other.matchUsbPath, "usb-path");
        }
        config.modems.push_back(std::move(modem));
    }
    config.hasPassword = config.hasPassword || holdsPassword(sections);
    return config;
}

Config loadConfigFile(const std::string& path, const Config& base) {
    // An ifstream opens a directory and then reads nothing: that would pass for an empty file.
    std::error_code error;
    if (std::filesystem::is_directory(path, error))
        throw ConfigError(path, 0, "is a directory, not a configuration file");
    std::ifstream file(path, std::ios::binary);
    if (!file) throw ConfigError(path, 0, "cannot be opened: " + std::string(std::strerror(errno)));
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad()) throw ConfigError(path, 0, "cannot be read: " + std::string(std::strerror(errno)));
    return parseConfig(text.str(), path, base);
}

}  // namespace dialupd
