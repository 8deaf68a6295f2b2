// SPDX-License-Identifier: GPL-2.0-or-later
#include "call_log.h"

#include <fmt/format.h>

#include "text.h"

namespace dialupd {

void CallLog::clear() {
    lines_.clear();
    bytes_ = 0;
    dropped_ = 0;
}

void CallLog::append(double secondsSinceStart, std::string_view source, std::string_view line) {
    std::string entry = fmt::format("[{:8.3f}] {}: {}\n", secondsSinceStart, source, sanitizeText(line));
    if (entry.size() > capacity_) {  // one line larger than the whole log keeps its head
        entry = shortened(entry, capacity_ > 4 ? capacity_ - 4 : 0) + "\n";
    }
    bytes_ += entry.size();
    lines_.push_back(std::move(entry));
    while (bytes_ > capacity_ && !lines_.empty()) {
        bytes_ -= lines_.front().size();
        lines_.pop_front();
        ++dropped_;
    }
}

std::string CallLog::text() const {
    std::string text;
    if (dropped_ > 0) text = fmt::format("[... {} earlier lines dropped ...]\n", dropped_);
    text.reserve(text.size() + bytes_);
    for (const std::string& line : lines_) text += line;
    return text;
}

}  // namespace dialupd
