// Text that leaves the daemon (D-Bus strings, logs) must be valid UTF-8 and readable:
// modems and pppd may send any byte.
#pragma once

#include <string>
#include <string_view>

namespace dialupd {

// Invalid UTF-8 becomes U+FFFD; control characters other than tab become \xNN.
std::string sanitizeText(std::string_view text);
bool isValidUtf8(std::string_view text);
// At most `limit` bytes of `text` (cut on a character boundary), with "..." when cut.
std::string shortened(std::string_view text, size_t limit);

}  // namespace dialupd
