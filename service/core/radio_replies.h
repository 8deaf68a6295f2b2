// SPDX-License-Identifier: GPL-2.0-or-later
// What a module's answers and unsolicited result codes say about its radio and its identity:
// signal (+CSQ, Quectel's +QCSQ and +QIND: "csq"), operator (+COPS, +QNWINFO), access
// technology (+QIND: "act"), IMEI (AT+CGSN) and ICCID (AT+QCCID). Pure functions over one
// trimmed, clean line each (AtResult's lines, AtSession's unsolicited lines), like at_replies.h
// (SIM and registration): a line of another kind, or of this kind with fields out of range,
// gives nullopt. Formats: 3GPP TS 27.007 and Quectel's EC25/EG25 AT manual.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace dialupd {

// +CSQ: <rssi>,<ber>; <rssi> 0..31, or 99 "not known". Quectel's +QIND: "csq" also gives
// 100..191 (TD-SCDMA: -116..-25 dBm), taken here as the same dBm on the 0..31 scale.
struct CsqReport {
    unsigned rssi = 99;  // 0..31 or 99
    unsigned ber = 99;
};
std::optional<CsqReport> parseCsq(std::string_view line);
// Percent as ModemManager computes it from <rssi>: min(rssi, 31) * 100 / 31; nullopt for 99.
std::optional<uint32_t> signalQualityFromCsq(unsigned rssi);
// <rssi> in dBm: -113 + 2 * rssi (0 is "-113 or less", 31 "-51 or more"); nullopt for 99.
std::optional<int32_t> rssiDbmFromCsq(unsigned rssi);

// +QCSQ: "LTE",<rssi>,<rsrp>,<sinr>,<rsrq> | "WCDMA",<rssi>,<rscp>,<ecio> | "GSM",<rssi> |
// "TDSCDMA",<rssi>,<rscp>,<ecio> | "NOSERVICE". Values as the module gives them (dBm, dB, and
// Quectel's SINR scale); only those the system mode has are set.
struct QcsqReport {
    std::string sysmode;  // "LTE", "WCDMA", "GSM", "TDSCDMA", "NOSERVICE", ...
    std::optional<int32_t> rssi, rsrp, sinr, rsrq;
};
std::optional<QcsqReport> parseQcsq(std::string_view line);

// +COPS: <mode>[,<format>,"<oper>"[,<AcT>]]; no operator: only <mode>.
struct CopsReport {
    unsigned mode = 0;
    std::optional<unsigned> format;  // 0 long name, 1 short name, 2 numeric (MCC+MNC)
    std::string oper;                // "" when none; a name at most kMaxOperatorName bytes
    std::optional<unsigned> act;     // 27.007 <AcT>
};
std::optional<CopsReport> parseCops(std::string_view line);
// A name shown to people: what fits in this many bytes (cut on a character, with "...").
constexpr size_t kMaxOperatorName = 64;

// +QNWINFO: "<act>","<oper>","<band>",<channel> | "No Service".
struct QnwinfoReport {
    std::string act;   // "FDD LTE", "WCDMA", ...; "" for No Service
    std::string oper;  // MCC+MNC digits ("" when not numeric or absent)
    std::string band;  // "LTE BAND 3"
    std::optional<unsigned> channel;
};
std::optional<QnwinfoReport> parseQnwinfo(std::string_view line);

// Quectel's URCs after AT+QINDCFG="csq",1 and "act",1.
struct QindCsq {
    CsqReport csq;
};
struct QindAct {
    std::string act;  // "LTE", "WCDMA", "HSDPA&HSUPA", ...
};
std::optional<std::variant<QindCsq, QindAct>> parseQind(std::string_view line);

// The access technology's name as the property shows it (ModemManager's words: "gsm", "gprs",
// "edge", "umts", "hsdpa", "hsupa", "hspa", "hspa-plus", "lte", "5gnr", ...), "" when none/unknown.
std::string_view accessTechnologyFromAct(unsigned act);              // 27.007 <AcT>
std::string_view accessTechnologyFromQuectel(std::string_view act);  // +QNWINFO / +QIND: "act"

// AT+CGSN's answer: the IMEI's 15 digits (14..17 taken: IMEISV, modules without the check
// digit); "+CGSN: " before it and quotes around it are allowed.
std::optional<std::string> parseImei(std::string_view line);
// +QCCID: <iccid> (also +ICCID:/+CCID:): 18..22 digits, the last may be a padding "F".
std::optional<std::string> parseIccid(std::string_view line);

}  // namespace dialupd
