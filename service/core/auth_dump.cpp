// SPDX-License-Identifier: GPL-2.0-or-later
#include "auth_dump.h"

namespace dialupd {
namespace {

constexpr std::string_view kHidden = "<hidden>";
constexpr size_t npos = std::string::npos;

bool isHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Replaces text[from, end) with "<hidden>"; end npos: up to the line's end (pppd cuts a long
// dump into more lines, and what is left of this one is then the value's).
void hide(std::string& text, size_t from, size_t end) { text.replace(from, end == npos ? npos : end - from, kHidden); }

// The end of the bracketed value that starts at `open` ('<'): just past its '>', or npos.
size_t pastClosingBracket(const std::string& text, size_t open) {
    size_t close = text.find('>', open);
    return close == npos ? npos : close + 1;
}

}  // namespace

std::string hideAuthSecrets(std::string_view line) {
    std::string text(line);

    // upap_printpkt: ` user="..." password="..."` with show-password, ` password=<hidden>`
    // without. The password is the packet's last field: everything after "password=" goes, the
    // closing bracket is put back. (A user name that holds " password=" only hides more.)
    if (size_t at = text.find("[PAP AuthReq "); at != npos) {
        constexpr std::string_view kField = " password=";
        if (size_t field = text.find(kField, at); field != npos) {
            hide(text, field + kField.size(), npos);
            text += ']';
        }
        return text;
    }

    // chap_print_pkt: ` <hex>, name = "..."`: the bracketed hex digits.
    if (size_t at = text.find("[CHAP Response "); at != npos) {
        if (size_t open = text.find(" <", at); open != npos) hide(text, open + 1, pastClosingBracket(text, open + 1));
        return text;
    }

    // MS-CHAPv2's Success message starts "S=" and 40 hex digits (RFC 2759, 5).
    if (size_t at = text.find("[CHAP Success "); at != npos) {
        if (size_t proof = text.find("\"S=", at); proof != npos) {
            size_t end = proof + 3;
            while (end < text.size() && isHexDigit(text[end])) ++end;
            hide(text, proof + 3, end);
        }
        return text;
    }

    // eap_printpkt: ` <Value xx xx ...>` for MD5-Challenge.
    if (size_t at = text.find("[EAP Response "); at != npos) {
        if (size_t value = text.find(" <Value", at); value != npos)
            hide(text, value + 1, pastClosingBracket(text, value + 1));
        return text;
    }
    return text;
}

}  // namespace dialupd
