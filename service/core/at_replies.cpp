// SPDX-License-Identifier: GPL-2.0-or-later
#include "at_replies.h"

#include <array>
#include <cctype>
#include <vector>

namespace dialupd {
namespace {

std::string_view trimmed(std::string_view text) { return trimmedReply(text); }

// A decimal number of at most 5 digits (no sign, no spaces inside), or nullopt.
std::optional<unsigned> number(std::string_view text) {
    text = trimmed(text);
    if (text.empty() || text.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value;
}

// The comma-separated fields of an answer; commas inside quotes do not split. Nullopt for an
// unclosed quote. Fields keep their quotes (unquote() takes them off).
std::optional<std::vector<std::string_view>> fields(std::string_view text) {
    std::vector<std::string_view> out;
    size_t start = 0;
    bool quoted = false;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] == '"') quoted = !quoted;
        if (i == text.size() || (text[i] == ',' && !quoted)) {
            out.push_back(trimmed(text.substr(start, i - start)));
            start = i + 1;
        }
    }
    if (quoted) return std::nullopt;
    return out;
}

std::string_view unquote(std::string_view field) {
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') return field.substr(1, field.size() - 2);
    return field;
}

// A hex field (quoted or not, as modules differ) of at most `maxDigits` digits; "" stays "".
std::optional<std::string> hexField(std::string_view field, size_t maxDigits) {
    std::string_view value = unquote(field);
    if (value.size() > maxDigits) return std::nullopt;
    for (char c : value)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    return std::string(value);
}

// "+CME ERROR: <n>" or its verbose text (AT+CMEE=2), for the codes that say something of the SIM.
std::optional<SimState> simStateOfCmeError(std::string_view line) {
    std::optional<std::string_view> rest = afterPrefix(line, "+CME ERROR:");
    if (!rest) return std::nullopt;
    struct Code {
        unsigned number;
        std::string_view text;
        SimState state;
    };
    static constexpr std::array<Code, 5> kCodes = {{
        {10, "SIM not inserted", SimState::Missing},
        {11, "SIM PIN required", SimState::PinRequired},
        {12, "SIM PUK required", SimState::PukRequired},
        {13, "SIM failure", SimState::Error},
        {15, "SIM wrong", SimState::Error},
    }};
    std::optional<unsigned> code = number(*rest);
    for (const Code& known : kCodes)
        if ((code && *code == known.number) || *rest == known.text) return known.state;
    return std::nullopt;
}

}  // namespace

std::string_view trimmedReply(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return text;
}

std::optional<std::string_view> afterPrefix(std::string_view line, std::string_view prefix) {
    line = trimmedReply(line);
    if (!line.starts_with(prefix)) return std::nullopt;
    return trimmedReply(line.substr(prefix.size()));
}

std::string_view toString(SimState state) {
    switch (state) {
        case SimState::Ready:
            return "ready";
        case SimState::PinRequired:
            return "pin-required";
        case SimState::PukRequired:
            return "puk-required";
        case SimState::Missing:
            return "missing";
        case SimState::Error:
            return "error";
        case SimState::Unknown:
            break;
    }
    return "unknown";
}

std::optional<SimState> parseCpin(std::string_view line) {
    if (std::optional<SimState> state = simStateOfCmeError(line)) return state;
    std::optional<std::string_view> code = afterPrefix(line, "+CPIN:");
    if (!code) return std::nullopt;
    struct Code {
        std::string_view text;
        SimState state;
    };
    static constexpr std::array<Code, 6> kCodes = {{
        {"READY", SimState::Ready},
        {"SIM PIN", SimState::PinRequired},
        {"SIM PUK", SimState::PukRequired},
        // PIN2 and PUK2 guard only some SIM files (fixed dialling): the SIM works, as
        // ModemManager counts it too.
        {"SIM PIN2", SimState::Ready},
        {"SIM PUK2", SimState::Ready},
        // Other modules' words for an empty slot.
        {"NOT INSERTED", SimState::Missing},
    }};
    for (const Code& known : kCodes)
        if (*code == known.text) return known.state;
    // The phone locks (PH-SIM PIN, PH-NET PIN, ...): a lock dialupd does not open.
    if (code->starts_with("PH-") || code->starts_with("PH_")) return SimState::Error;
    return std::nullopt;
}

std::optional<PinRetries> parseQpinc(std::string_view line) {
    std::optional<std::string_view> rest = afterPrefix(line, "+QPINC:");
    if (!rest) return std::nullopt;
    std::optional<std::vector<std::string_view>> parts = fields(*rest);
    if (!parts || parts->size() != 3 || (*parts)[0] != "\"SC\"") return std::nullopt;
    std::optional<unsigned> pin = number((*parts)[1]);
    std::optional<unsigned> puk = number((*parts)[2]);
    // A SIM's retry counters are 4-bit (ETSI TS 102 221's "63CX"): more is garbage.
    constexpr unsigned kMaxRetries = 15;
    if (!pin || !puk || *pin > kMaxRetries || *puk > kMaxRetries) return std::nullopt;
    return PinRetries{*pin, *puk};
}

std::string_view toString(Registration state) {
    switch (state) {
        case Registration::Idle:
            return "idle";
        case Registration::Home:
            return "home";
        case Registration::Searching:
            return "searching";
        case Registration::Denied:
            return "denied";
        case Registration::Roaming:
            return "roaming";
        case Registration::Unknown:
            break;
    }
    return "unknown";
}

std::optional<RegistrationReport> parseRegistration(std::string_view line, bool solicited) {
    struct Kind {
        std::string_view prefix;
        RegistrationDomain domain;
    };
    static constexpr std::array<Kind, 3> kKinds = {{
        {"+CREG:", RegistrationDomain::Cs},
        {"+CGREG:", RegistrationDomain::Ps},
        {"+CEREG:", RegistrationDomain::Eps},
    }};
    RegistrationReport report;
    std::optional<std::string_view> rest;
    for (const Kind& kind : kKinds) {
        if ((rest = afterPrefix(line, kind.prefix))) {
            report.domain = kind.domain;
            break;
        }
    }
    if (!rest) return std::nullopt;
    std::optional<std::vector<std::string_view>> parts = fields(*rest);
    if (!parts) return std::nullopt;
    size_t at = 0;
    if (solicited) {
        // <n>: 0..5 (27.007's highest, +CEREG=5).
        std::optional<unsigned> n = number((*parts)[0]);
        if (!n || *n > 5) return std::nullopt;
        at = 1;
    }
    if (parts->size() <= at) return std::nullopt;
    // 27.007 <stat>, 0..10; as ModemManager does, "SMS only" and "CSFB not preferred" count as
    // registered, "emergency only" (8) as not yet (the module keeps looking).
    std::optional<unsigned> stat = number((*parts)[at]);
    if (!stat) return std::nullopt;
    switch (*stat) {
        case 0:
            report.state = Registration::Idle;
            break;
        case 1:
        case 6:
        case 9:
            report.state = Registration::Home;
            break;
        case 2:
        case 8:
            report.state = Registration::Searching;
            break;
        case 3:
            report.state = Registration::Denied;
            break;
        case 4:
            report.state = Registration::Unknown;
            break;
        case 5:
        case 7:
        case 10:
            report.state = Registration::Roaming;
            break;
        default:
            return std::nullopt;
    }
    // [<lac>,<ci>[,<AcT>,...]]: LAC/TAC up to 24 bits (5G's TAC), cell id up to 36 bits (NR).
    // The two come together: one alone is a line misread (or garbage).
    if (parts->size() == at + 2) return std::nullopt;
    if (parts->size() > at + 1) {
        std::optional<std::string> lac = hexField((*parts)[at + 1], 6);
        if (!lac) return std::nullopt;
        report.lac = std::move(*lac);
    }
    if (parts->size() > at + 2) {
        std::optional<std::string> cellId = hexField((*parts)[at + 2], 9);
        if (!cellId) return std::nullopt;
        report.cellId = std::move(*cellId);
    }
    if (parts->size() > at + 3 && !(*parts)[at + 3].empty()) {
        // <AcT>: 0 GSM ... 7 E-UTRAN ... 13 E-UTRA-NR dual connectivity.
        std::optional<unsigned> act = number((*parts)[at + 3]);
        if (!act || *act > 13) return std::nullopt;
        report.act = act;
    }
    return report;
}

std::optional<std::string> parseImsi(std::string_view line) {
    line = trimmed(line);
    if (line.size() < 6 || line.size() > 15) return std::nullopt;
    for (char c : line)
        if (c < '0' || c > '9') return std::nullopt;
    return std::string(line);
}

}  // namespace dialupd
