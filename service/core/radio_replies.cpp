// SPDX-License-Identifier: GPL-2.0-or-later
#include "radio_replies.h"

#include <array>
#include <cctype>
#include <vector>

#include "at_replies.h"
#include "text.h"

namespace dialupd {
namespace {

std::string_view trimmed(std::string_view text) { return trimmedReply(text); }

// A decimal number with an optional '-', at most 6 digits, within [low, high].
std::optional<int32_t> integer(std::string_view text, int32_t low, int32_t high) {
    text = trimmed(text);
    bool negative = !text.empty() && text.front() == '-';
    if (negative) text.remove_prefix(1);
    if (text.empty() || text.size() > 6) return std::nullopt;
    int32_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    if (negative) value = -value;
    if (value < low || value > high) return std::nullopt;
    return value;
}

std::optional<unsigned> unsignedNumber(std::string_view text, unsigned high) {
    text = trimmed(text);
    if (!text.empty() && text.front() == '-') return std::nullopt;
    std::optional<int32_t> value = integer(text, 0, static_cast<int32_t>(high));
    if (!value) return std::nullopt;
    return static_cast<unsigned>(*value);
}

// Comma-separated fields; commas inside quotes do not split; nullopt for an unclosed quote.
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

std::optional<std::string_view> quoted(std::string_view field) {
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') return field.substr(1, field.size() - 2);
    return std::nullopt;
}

bool allDigits(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text)
        if (c < '0' || c > '9') return false;
    return true;
}

// MCC (3 digits) + MNC (2 or 3).
bool isOperatorCode(std::string_view text) { return (text.size() == 5 || text.size() == 6) && allDigits(text); }

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<CsqReport> parseCsq(std::string_view line) {
    std::optional<std::string_view> rest = afterPrefix(line, "+CSQ:");
    if (!rest) return std::nullopt;
    std::optional<std::vector<std::string_view>> parts = fields(*rest);
    if (!parts || parts->size() != 2) return std::nullopt;
    std::optional<unsigned> rssi = unsignedNumber((*parts)[0], 99);
    std::optional<unsigned> ber = unsignedNumber((*parts)[1], 99);
    if (!rssi || !ber || (*rssi > 31 && *rssi != 99) || (*ber > 7 && *ber != 99)) return std::nullopt;
    return CsqReport{*rssi, *ber};
}

std::optional<uint32_t> signalQualityFromCsq(unsigned rssi) {
    if (rssi == 99 || rssi > 31) return std::nullopt;
    return rssi * 100 / 31;
}

std::optional<int32_t> rssiDbmFromCsq(unsigned rssi) {
    if (rssi == 99 || rssi > 31) return std::nullopt;
    return -113 + 2 * static_cast<int32_t>(rssi);
}

std::optional<QcsqReport> parseQcsq(std::string_view line) {
    std::optional<std::string_view> rest = afterPrefix(line, "+QCSQ:");
    if (!rest) return std::nullopt;
    std::optional<std::vector<std::string_view>> parts = fields(*rest);
    if (!parts || parts->empty()) return std::nullopt;
    std::optional<std::string_view> sysmode = quoted((*parts)[0]);
    if (!sysmode || sysmode->empty() || sysmode->size() > 16) return std::nullopt;
    QcsqReport report;
    report.sysmode = std::string(*sysmode);
    // Each value as the manual bounds it, with room: dBm and dB within -200..200, Quectel's
    // LTE SINR scale 0..250.
    auto value = [&](size_t index, std::optional<int32_t>& into, int32_t low, int32_t high) {
        if (parts->size() <= index) return false;
        into = integer((*parts)[index], low, high);
        return into.has_value();
    };
    if (report.sysmode == "NOSERVICE") return parts->size() == 1 ? std::optional(report) : std::nullopt;
    if (!value(1, report.rssi, -200, 0)) return std::nullopt;
    if (report.sysmode == "LTE" || report.sysmode == "CAT-M" || report.sysmode == "CAT-NB") {
        if (parts->size() != 5 || !value(2, report.rsrp, -200, 0) || !value(3, report.sinr, -50, 250) ||
            !value(4, report.rsrq, -50, 0))
            return std::nullopt;
    }
    return report;
}

std::optional<CopsReport> parseCops(std::string_view line) {
    std::optional<std::string_view> rest = afterPrefix(line, "+COPS:");
    if (!rest) return std::nullopt;
    // The test command's answer ("+COPS: (2,"...),...") is not a current operator.
    if (rest->starts_with("(")) return std::nullopt;
    std::optional<std::vector<std::string_view>> parts = fields(*rest);
    if (!parts || parts->empty() || parts->size() == 2 || parts->size() > 4) return std::nullopt;
    CopsReport report;
    std::optional<unsigned> mode = unsignedNumber((*parts)[0], 4);
    if (!mode) return std::nullopt;
    report.mode = *mode;
    if (parts->size() == 1) return report;
    report.format = unsignedNumber((*parts)[1], 2);
    std::optional<std::string_view> oper = quoted((*parts)[2]);
    if (!report.format || !oper) return std::nullopt;
    if (*report.format == 2) {
        if (!isOperatorCode(*oper)) return std::nullopt;
        report.oper = std::string(*oper);
    } else {
        report.oper = shortened(sanitizeText(*oper), kMaxOperatorName - 3);  // with its "..."
    }
    if (parts->size() == 4) {
        report.act = unsignedNumber((*parts)[3], 13);
        if (!report.act) return std::nullopt;
    }
    return report;
}

std::optional<QnwinfoReport> parseQnwinfo(std::string_view line) {
    std::optional<std::string_view> rest = afterPrefix(line, "+QNWINFO:");
    if (!rest) return std::nullopt;
    QnwinfoReport report;
    if (*rest == "No Service" || *rest == "\"No Service\"") return report;
    std::optional<std::vector<std::string_view>> parts = fields(*rest);
    if (!parts || parts->size() != 4) return std::nullopt;
    std::optional<std::string_view> act = quoted((*parts)[0]);
    std::optional<std::string_view> oper = quoted((*parts)[1]);
    std::optional<std::string_view> band = quoted((*parts)[2]);
    if (!act || !oper || !band || act->empty() || act->size() > 32 || band->size() > 32) return std::nullopt;
    report.act = std::string(*act);
    if (isOperatorCode(*oper)) report.oper = std::string(*oper);
    report.band = sanitizeText(*band);
    report.channel = unsignedNumber((*parts)[3], 999999);
    if (!report.channel) return std::nullopt;
    return report;
}

std::optional<std::variant<QindCsq, QindAct>> parseQind(std::string_view line) {
    std::optional<std::string_view> rest = afterPrefix(line, "+QIND:");
    if (!rest) return std::nullopt;
    std::optional<std::vector<std::string_view>> parts = fields(*rest);
    if (!parts || parts->empty()) return std::nullopt;
    std::optional<std::string_view> kind = quoted((*parts)[0]);
    if (!kind) return std::nullopt;
    if (*kind == "csq") {
        if (parts->size() != 3) return std::nullopt;
        std::optional<unsigned> rssi = unsignedNumber((*parts)[1], 199);
        std::optional<unsigned> ber = unsignedNumber((*parts)[2], 99);
        if (!rssi) return std::nullopt;
        bool rssiKnownScale = *rssi <= 31 || *rssi == 99 || (*rssi >= 100 && *rssi <= 191);
        if (!rssi || !ber || !rssiKnownScale || (*ber > 7 && *ber != 99)) return std::nullopt;
        unsigned scaled = *rssi;
        if (scaled >= 100) {
            // TD-SCDMA: 100 is -116 dBm, each step 1 dB; on the 27.007 scale (-113 + 2n), clamped.
            int dbm = -116 + static_cast<int>(scaled - 100);
            scaled = dbm <= -113 ? 0 : dbm >= -51 ? 31 : static_cast<unsigned>((dbm + 113) / 2);
        }
        return QindCsq{CsqReport{scaled, *ber}};
    }
    if (*kind == "act") {
        if (parts->size() != 2) return std::nullopt;
        std::optional<std::string_view> act = quoted((*parts)[1]);
        if (!act || act->empty() || act->size() > 32) return std::nullopt;
        return QindAct{sanitizeText(*act)};
    }
    return std::nullopt;
}

std::string_view accessTechnologyFromAct(unsigned act) {
    switch (act) {
        case 0:
        case 1:
        case 8:
            return "gsm";  // GSM, GSM compact, EC-GSM-IoT
        case 2:
            return "umts";
        case 3:
            return "edge";
        case 4:
            return "hsdpa";
        case 5:
            return "hsupa";
        case 6:
            return "hspa";
        case 7:
        case 10:
            return "lte";  // E-UTRAN, E-UTRA connected to a 5G core
        case 9:
            return "lte-nb-iot";  // E-UTRAN NB-S1
        case 11:
        case 12:
        case 13:
            return "5gnr";
        default:
            return "";
    }
}

std::string_view accessTechnologyFromQuectel(std::string_view act) {
    struct Name {
        std::string_view quectel;
        std::string_view ours;
    };
    static constexpr std::array<Name, 19> kNames = {{
        {"GSM", "gsm"},           {"GPRS", "gprs"},        {"EDGE", "edge"},       {"WCDMA", "umts"},
        {"TDSCDMA", "umts"},      {"TD-SCDMA", "umts"},    {"HSDPA", "hsdpa"},     {"HSUPA", "hsupa"},
        {"HSDPA&HSUPA", "hspa"},  {"HSPA", "hspa"},        {"HSPA+", "hspa-plus"}, {"LTE", "lte"},
        {"FDD LTE", "lte"},       {"TDD LTE", "lte"},      {"CAT-M", "lte-cat-m"}, {"EMTC", "lte-cat-m"},
        {"CAT-NB", "lte-nb-iot"}, {"NBIOT", "lte-nb-iot"}, {"NR5G", "5gnr"},
    }};
    std::string key = upper(trimmed(act));
    for (const Name& name : kNames)
        if (key == name.quectel) return name.ours;
    if (key.starts_with("NR5G")) return "5gnr";  // "NR5G-SA", "NR5G-NSA"
    return "";
}

std::optional<std::string> parseImei(std::string_view line) {
    std::string_view value = trimmed(line);
    if (std::optional<std::string_view> rest = afterPrefix(value, "+CGSN:")) value = *rest;
    if (std::optional<std::string_view> inner = quoted(value)) value = *inner;
    if (value.size() < 14 || value.size() > 17 || !allDigits(value)) return std::nullopt;
    return std::string(value);
}

std::optional<std::string> parseIccid(std::string_view line) {
    std::optional<std::string_view> value;
    for (std::string_view prefix : {"+QCCID:", "+ICCID:", "+CCID:"})
        if ((value = afterPrefix(line, prefix))) break;
    if (!value) return std::nullopt;
    if (std::optional<std::string_view> inner = quoted(*value)) value = *inner;
    std::string_view digits = *value;
    if (!digits.empty() && (digits.back() == 'F' || digits.back() == 'f')) digits.remove_suffix(1);
    if (digits.size() < 18 || digits.size() > 22 || !allDigits(digits)) return std::nullopt;
    return std::string(digits);
}

}  // namespace dialupd
