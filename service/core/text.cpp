#include "text.h"

#include <fmt/format.h>

namespace dialupd {
namespace {

// Length of the UTF-8 sequence starting at text[at], or 0 if it is not a valid one
// (overlong forms, surrogates and values above U+10FFFF are invalid).
size_t utf8SequenceLength(std::string_view text, size_t at) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(at);
    if (lead < 0x80) return 1;
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
        return 0;
    }
    if (at + length > text.size()) return 0;
    for (size_t i = 1; i < length; ++i) {
        if ((byte(at + i) & 0xc0) != 0x80) return 0;
        value = (value << 6) | (byte(at + i) & 0x3f);
    }
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < kMinimum[length] || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return 0;
    return length;
}

}  // namespace

std::string sanitizeText(std::string_view text) {
    std::string clean;
    clean.reserve(text.size());
    for (size_t at = 0; at < text.size();) {
        size_t length = utf8SequenceLength(text, at);
        if (length == 0) {
            clean += "\xef\xbf\xbd";  // U+FFFD
            ++at;
            continue;
        }
        auto lead = static_cast<unsigned char>(text[at]);
        if (length == 1 && ((lead < 0x20 && lead != '\t') || lead == 0x7f))
            clean += fmt::format("\\x{:02x}", lead);
        else
            clean.append(text.substr(at, length));
        at += length;
    }
    return clean;
}

bool isValidUtf8(std::string_view text) {
    for (size_t at = 0; at < text.size();) {
        size_t length = utf8SequenceLength(text, at);
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

}  // namespace dialupd
