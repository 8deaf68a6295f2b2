// SPDX-License-Identifier: GPL-2.0-or-later
#include "chat_script.h"

#include "errors.h"

namespace dialupd {
namespace {

// chat takes a single-quoted string verbatim (double quotes included) except for its backslash
// and '^' escapes, so a string is safe to single-quote when it has no single quote, backslash,
// caret or control character.
std::string singleQuotedForChat(const std::string& text) {
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '\'' || c == '\\' || c == '^' || byte < 0x20 || byte == 0x7f)
            throw Error(error_name::kInvalidArgument, "string cannot be placed safely in a chat script");
    }
    return "'" + text + "'";
}

// 3GPP TS 27.007 §10.1.1 PDP types: "IPV4V6" asks the network for both families on one
// context; one that refuses it fails the activation after ATD.
const char* pdpType(IpFamily family) {
    switch (family) {
        case IpFamily::Ipv4:
            return "IP";
        case IpFamily::Ipv6:
            return "IPV6";
        case IpFamily::Ipv4v6:
            return "IPV4V6";
    }
    return "IP";
}

}  // namespace

std::string buildChatScript(const CallSettings& settings) {
    validateApn(settings.apn);
    std::string script =
        "TIMEOUT 30\n"
        // chat types a character at a time: a dial cut short (Disconnect, pppd stopped) can leave
        // half a command in the module's line buffer, and the next AT would extend it into an
        // ERROR. A carriage return first ends that line; its ERROR comes before the ABORTs.
        "'' '\\rAT'\n"
        "OK ATE0\n"
        "ABORT 'BUSY'\n"
        "ABORT 'NO CARRIER'\n"
        "ABORT 'NO DIALTONE'\n"
        "ABORT 'ERROR'\n"
        "ABORT 'NO ANSWER'\n"
        // Identification and network state land in the call log, for the hangup analysis.
        "OK 'ATI;+CSUB;+CSQ;+CPIN?;+COPS?;+CGREG?;&D2'\n";
    // An empty APN leaves the module's stored context 1 alone, its PDP type included.
    if (!settings.apn.empty())
        script += "OK " +
                  singleQuotedForChat(std::string("AT+CGDCONT=1,\"") + pdpType(settings.ipFamily) + "\",\"" +
                                      settings.apn + "\",,0,0") +
                  "\n";
    script +=
        "OK ATD*99#\n"
        "CONNECT ''\n";
    return script;
}

}  // namespace dialupd
