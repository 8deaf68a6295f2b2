// SPDX-License-Identifier: GPL-2.0-or-later
// Text that leaves the daemon (D-Bus strings, logs) must be valid UTF-8 and readable: modems,
// pppd, chat, the plugin, udev and files read back may hold any byte. sd-bus refuses to send a
// string that is not valid UTF-8 or holds a Unicode noncharacter (U+FFFE, U+FDD0, ...): one such
// string in a Hangup's log and the whole signal is lost. So the daemon has one sanitizer, applied
// where outside text enters the core:
//   - AT lines: AtSnapshot::atLine and ModuleRecovery::portLine (every AT channel's only readers);
//   - pppd's and chat's lines: Modem::pppdLogLine (after the auth dumps' secret fields are
//     hidden by position, which needs the raw bytes: core/auth_dump.h);
//     the plugin's reports are parsed strictly (plugin_report.cpp) and carry no free text;
//   - udev's strings: ModemRegistry::ttyAdded / ttyRemoved;
//   - call records read back: parseCallRecord (sys/file_call_log_store.cpp).
// The journal gets the same treatment for every line whatever its origin (SanitizingSink), and
// dialupctl passes what it prints through it too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dialupd {

enum class Newlines { Escape, Keep };

// What D-Bus accepts and a terminal shows as text: valid UTF-8 with no noncharacters, no C0 or
// C1 control characters and no DEL, except tab (and '\n' with Newlines::Keep). What does not
// fit is written out visibly, in ASCII, so the evidence survives:
//   a byte that starts no valid UTF-8 sequence, a C0 control, DEL -> \xNN   ("\x1b", "\xff")
//   a C1 control or a noncharacter                               -> \u{N}  ("\u{009B}", "\u{FFFE}")
// Idempotent: clean text (a backslash included) comes back unchanged, so a layer that
// sanitizes again changes nothing.
std::string sanitizeText(std::string_view text, Newlines newlines = Newlines::Escape);
// A multi-line text (a call's log): the same with '\n' kept.
inline std::string sanitizeMultilineText(std::string_view text) { return sanitizeText(text, Newlines::Keep); }
// Whether sanitizeText would return `text` unchanged.
bool isCleanText(std::string_view text, Newlines newlines = Newlines::Escape);

// Well-formed UTF-8 (noncharacters are well-formed: see isCleanText for what D-Bus takes).
bool isValidUtf8(std::string_view text);
// At most `limit` bytes of `text` (cut on a character boundary), with "..." when cut.
std::string shortened(std::string_view text, size_t limit);

// FNV-1a, 64 bits: a hash that is the same on every run and every build (std::hash is not), for
// names derived from outside text that must stay stable (a USB modem's object id).
uint64_t stableHash(std::string_view text);

}  // namespace dialupd
