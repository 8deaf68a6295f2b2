// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the fuzz targets: a check that names the broken invariant and aborts (the driver,
// or libFuzzer, keeps the input that did it), and an oracle for "text the daemon may hand out"
// written apart from service/core/text.cpp, so the targets do not check the code with itself.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace dialupd::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* condition, const std::string& detail) {
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n  %s\n", file, line, condition, detail.c_str());
    std::fflush(stderr);
    std::abort();
}

// Checks that wait for a fix being made on another branch: fuzz/meson.build says which and
// turns each on when its fix lands.
#ifndef DIALUPD_FUZZ_AWAIT_SANITIZER_ROUND_TWO
#define DIALUPD_FUZZ_AWAIT_SANITIZER_ROUND_TWO 0
#endif
#ifndef DIALUPD_FUZZ_AWAIT_CONFIG_TEXT
#define DIALUPD_FUZZ_AWAIT_CONFIG_TEXT 0
#endif
#ifndef DIALUPD_FUZZ_AWAIT_RECOVERY_HANGUP
#define DIALUPD_FUZZ_AWAIT_RECOVERY_HANGUP 0
#endif
// Issue 16 item 2: noncharacters and C1 controls never leave the daemon, the AT snapshot
// sanitizes final results (+CME ERROR: ...), call records read back are sanitized.
constexpr bool kStrictText = !DIALUPD_FUZZ_AWAIT_SANITIZER_ROUND_TWO;
// Config values published on D-Bus (device, at-port, usb-serial, a model's name) hold no
// noncharacter or C1 control: the file is only checked to be valid UTF-8 today.
constexpr bool kStrictConfigText = kStrictText && !DIALUPD_FUZZ_AWAIT_CONFIG_TEXT;
// Issue 17 item 2: a port that hangs up between two exchanges (the escape's guard time) no
// longer stops the recovery ladder for good.
constexpr bool kRecoverySurvivesHangups = !DIALUPD_FUZZ_AWAIT_RECOVERY_HANGUP;

// Why `text` is not what the daemon may put on D-Bus or in a log, or "" when it is: invalid
// UTF-8 (overlong, surrogates, above U+10FFFF, cut short), a C0 control but tab (and newline
// when `multiLine`), DEL; in strict mode also C1 controls and noncharacters (sd-bus refuses
// U+FFFE and friends).
inline std::string textProblem(std::string_view text, bool multiLine) {
    for (size_t at = 0; at < text.size();) {
        auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
        unsigned char lead = byte(at);
        size_t length = lead < 0x80                    ? 1
                        : lead >= 0xc2 && lead <= 0xdf ? 2
                        : lead >= 0xe0 && lead <= 0xef ? 3
                        : lead >= 0xf0 && lead <= 0xf4 ? 4
                                                       : 0;
        if (length == 0 || at + length > text.size()) return fmt::format("invalid UTF-8 at byte {}", at);
        uint32_t value = length == 1 ? lead : lead & (0xff >> (length + 1));
        for (size_t i = 1; i < length; ++i) {
            if ((byte(at + i) & 0xc0) != 0x80) return fmt::format("invalid UTF-8 at byte {}", at);
            value = (value << 6) | (byte(at + i) & 0x3f);
        }
        if ((length == 3 && value < 0x800) || (length == 4 && (value < 0x10000 || value > 0x10ffff)) ||
            (value >= 0xd800 && value <= 0xdfff))
            return fmt::format("invalid UTF-8 (overlong, surrogate or too large) at byte {}", at);
        if ((value < 0x20 && value != '\t' && !(multiLine && value == '\n')) || value == 0x7f)
            return fmt::format("control byte 0x{:02x} at byte {}", value, at);
        if (kStrictText && value >= 0x80 && value <= 0x9f)
            return fmt::format("C1 control U+{:04X} at byte {}", value, at);
        if (kStrictText && ((value >= 0xfdd0 && value <= 0xfdef) || (value & 0xfffe) == 0xfffe))
            return fmt::format("noncharacter U+{:04X} at byte {}", value, at);
        at += length;
    }
    return "";
}

inline bool isValidUtf8Oracle(std::string_view text) {
    // Only the encoding: controls and noncharacters are valid UTF-8.
    for (size_t at = 0; at < text.size();) {
        auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
        unsigned char lead = byte(at);
        size_t length = lead < 0x80                    ? 1
                        : lead >= 0xc2 && lead <= 0xdf ? 2
                        : lead >= 0xe0 && lead <= 0xef ? 3
                        : lead >= 0xf0 && lead <= 0xf4 ? 4
                                                       : 0;
        if (length == 0 || at + length > text.size()) return false;
        uint32_t value = length == 1 ? lead : lead & (0xff >> (length + 1));
        for (size_t i = 1; i < length; ++i) {
            if ((byte(at + i) & 0xc0) != 0x80) return false;
            value = (value << 6) | (byte(at + i) & 0x3f);
        }
        if ((length == 3 && value < 0x800) || (length == 4 && (value < 0x10000 || value > 0x10ffff)) ||
            (value >= 0xd800 && value <= 0xdfff))
            return false;
        at += length;
    }
    return true;
}

// Calls `each` with every '\n'-separated piece of `input`, as LineReader hands lines on.
template <typename Each>
void forEachLine(std::string_view input, Each each) {
    while (!input.empty()) {
        size_t newline = input.find('\n');
        each(input.substr(0, newline));
        if (newline == std::string_view::npos) break;
        input.remove_prefix(newline + 1);
    }
}

}  // namespace dialupd::fuzz

// FUZZ_CHECK(condition, "format {}", args...): abort with the message when `condition` is false.
#define FUZZ_CHECK(condition, ...)                                                                         \
    do {                                                                                                   \
        if (!(condition)) ::dialupd::fuzz::fail(__FILE__, __LINE__, #condition, fmt::format(__VA_ARGS__)); \
    } while (0)
