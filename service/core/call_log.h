// SPDX-License-Identifier: GPL-2.0-or-later
// The text of one call (pppd, chat, plugin and dialupd's own decisions), bounded in size:
// when full, the oldest lines go first and a marker says how many.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace dialupd {

class CallLog {
public:
    explicit CallLog(size_t capacityBytes = 64 * 1024) : capacity_(capacityBytes) {}

    void clear();
    // `source` is a short tag ("pppd", "plugin", "dialupd"); `secondsSinceStart` timestamps the line.
    void append(double secondsSinceStart, std::string_view source, std::string_view line);
    std::string text() const;
    size_t droppedLines() const { return dropped_; }

private:
    size_t capacity_;
    std::deque<std::string> lines_;
    size_t bytes_ = 0;
    size_t dropped_ = 0;
};

}  // namespace dialupd
