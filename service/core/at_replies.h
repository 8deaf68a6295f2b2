// SPDX-License-Identifier: GPL-2.0-or-later
// What a module's answers and unsolicited result codes say about its SIM, its registration and
// its radio, read from one trimmed, clean line each (AtResult's lines, AtSession's unsolicited
// lines). Pure functions: no port, no state. A line that is not of the kind asked gives nullopt;
// so does a line of that kind with fields out of range (modules answer garbage at times).
// The formats are 3GPP TS 27.007's and Quectel's EC25/EG25 AT manual's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dialupd {

// +CPIN: READY | SIM PIN | SIM PUK | ...; "+CME ERROR: 10" (SIM not inserted) gives Missing.
enum class SimState { Unknown, Ready, PinRequired, PukRequired, Missing, Error };
std::string_view toString(SimState state);  // "ready", "pin-required", "puk-required", "missing", "error", "unknown"
std::optional<SimState> parseCpin(std::string_view line);

// +QPINC: "SC",<pin retries>,<puk retries>
struct PinRetries {
    unsigned pin = 0;
    unsigned puk = 0;
};
std::optional<PinRetries> parseQpinc(std::string_view line);

// +CREG / +CGREG / +CEREG, both the answer to the read command ("+CEREG: 2,1,\"1A2B\",\"01A2D001\",7",
// n first) and the unsolicited code ("+CEREG: 1,\"1A2B\",\"01A2D001\",7", no n). Which one a
// line is cannot always be told from the field count alone: `solicited` says whether it came as
// a command's answer.
enum class Registration { Unknown, Idle, Home, Searching, Denied, Roaming };
std::string_view toString(Registration state);  // "unknown", "idle", "home", "searching", "denied", "roaming"
enum class RegistrationDomain { Cs /*+CREG*/, Ps /*+CGREG*/, Eps /*+CEREG*/ };
struct RegistrationReport {
    RegistrationDomain domain = RegistrationDomain::Eps;
    Registration state = Registration::Unknown;
    std::string lac;              // tac/lac, hex as given ("" when absent)
    std::string cellId;           // hex as given ("" when absent)
    std::optional<unsigned> act;  // 27.007 <AcT> (0 GSM, 2 UTRAN, 7 E-UTRAN, ...)
};
std::optional<RegistrationReport> parseRegistration(std::string_view line, bool solicited);

// `text` without the whitespace around it, and what follows "<prefix>" in `line` (spaces around
// it dropped; nullopt for another kind of line): the two steps every reply parser starts with
// (radio_replies.cpp too).
std::string_view trimmedReply(std::string_view text);
std::optional<std::string_view> afterPrefix(std::string_view line, std::string_view prefix);

// AT+CIMI's answer: 6 to 15 digits, nothing else.
std::optional<std::string> parseImsi(std::string_view line);

}  // namespace dialupd
