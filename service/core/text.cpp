// SPDX-License-Identifier: GPL-2.0-or-later
#include "text.h"

namespace dialupd {
namespace {

struct Sequence {
    size_t length = 0;   // 0: the byte at `at` starts no valid UTF-8 sequence
    uint32_t value = 0;  // the code point
};

// The UTF-8 sequence starting at text[at] (overlong forms, surrogates and values above
// U+10FFFF are invalid).
Sequence utf8Sequence(std::string_view text, size_t at) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(at);
    if (lead < 0x80) return {1, lead};
    size_t length;
    uint32_t value;
    if ((lead & 0xe0) == 0xc0) {
        length = 2;
        value = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
        length = 3;
        value = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
        length = 4;
        value = lead & 0x07;
    } else {
        return {};
    }
    if (at + length > text.size()) return {};
    for (size_t i = 1; i < length; ++i) {
        if ((byte(at + i) & 0xc0) != 0x80) return {};
        value = (value << 6) | (byte(at + i) & 0x3f);
    }
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < kMinimum[length] || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return {};
    return {length, value};
}

// U+FDD0..U+FDEF and the last two code points of every plane: sd-bus (and so sdbus-c++) will
// not put them into a string.
bool isNoncharacter(uint32_t value) { return (value >= 0xfdd0 && value <= 0xfdef) || (value & 0xfffe) == 0xfffe; }

bool isControl(uint32_t value, Newlines newlines) {
    if (value == '\t' || (value == '\n' && newlines == Newlines::Keep)) return false;
    return value < 0x20 || (value >= 0x7f && value <= 0x9f);  // C0, DEL, C1
}

// Calls visit(at, sequence) for every character sanitizeText escapes, in order (a byte that
// starts no valid sequence comes with length 0).
template <typename Visit>
void forEachUnclean(std::string_view text, Newlines newlines, Visit visit) {
    const unsigned char newline = newlines == Newlines::Keep ? '\n' : '\t';
    for (size_t at = 0; at < text.size();) {
        // Most text is printable ASCII: decided at once (a kept call log can be megabytes).
        auto byte = static_cast<unsigned char>(text[at]);
        if ((byte >= 0x20 && byte < 0x7f) || byte == '\t' || byte == newline) {
            ++at;
            continue;
        }
        Sequence sequence = utf8Sequence(text, at);
        if (sequence.length == 0) {
            visit(at, sequence);
            ++at;
            continue;
        }
        if (isControl(sequence.value, newlines) || isNoncharacter(sequence.value)) visit(at, sequence);
        at += sequence.length;
    }
}

// "\x1b": lower-case hex, like a C string escape. By hand: hostile text can be all escapes.
void appendByteEscape(std::string& out, unsigned char byte) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
}

// "\u{FFFE}": at least four upper-case hex digits, braced so the end is unambiguous.
void appendCodePointEscape(std::string& out, uint32_t value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    int digits = value > 0xfffff ? 6 : value > 0xffff ? 5 : 4;
    out += "\\u{";
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xf];
    out += '}';
}

}  // namespace

std::string sanitizeText(std::string_view text, Newlines newlines) {
    std::string clean;
    clean.reserve(text.size());
    size_t copied = 0;  // text before this is in `clean`
    forEachUnclean(text, newlines, [&](size_t at, Sequence sequence) {
        clean.append(text.substr(copied, at - copied));
        if (sequence.length == 0 || sequence.value < 0x80)
            appendByteEscape(clean, static_cast<unsigned char>(text[at]));
        else
            appendCodePointEscape(clean, sequence.value);
        copied = at + (sequence.length == 0 ? 1 : sequence.length);
    });
    clean.append(text.substr(copied));
    return clean;
}

bool isCleanText(std::string_view text, Newlines newlines) {
    bool clean = true;
    forEachUnclean(text, newlines, [&](size_t, Sequence) { clean = false; });
    return clean;
}

bool isValidUtf8(std::string_view text) {
    for (size_t at = 0; at < text.size();) {
        size_t length = utf8Sequence(text, at).length;
        if (length == 0) return false;
        at += length;
    }
    return true;
}

std::string shortened(std::string_view text, size_t limit) {
    if (text.size() <= limit) return std::string(text);
    size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    return std::string(text.substr(0, cut)) + "...";
}

uint64_t stableHash(std::string_view text) {
    uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
    for (char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;  // FNV-1a 64 prime
    }
    return hash;
}

}  // namespace dialupd
