// SPDX-License-Identifier: GPL-2.0-or-later
#include "line_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace dialupd {

LineReader::Result LineReader::readFrom(int fd, size_t budget) {
    char buffer[4096];
    size_t taken = 0;
    while (taken < budget) {
        ssize_t count = ::read(fd, buffer, std::min(sizeof buffer, budget - taken));
        if (count > 0) {
            taken += static_cast<size_t>(count);
            feed(std::string_view(buffer, static_cast<size_t>(count)));
            continue;
        }
        if (count < 0 && errno == EINTR) continue;
        if (count < 0 && errno == EAGAIN) return Result::Drained;
        flush();
        return Result::Closed;
    }
    return Result::MoreLeft;
}

void LineReader::flush() {
    if (partial_.empty()) return;
    std::string line = std::move(partial_);
    partial_.clear();
    onLine_(line);
}

void LineReader::feed(std::string_view data) {
    for (char c : data) {
        if (c == '\n') {
            // chat and modems end lines with \r\n: the \r is noise in a log.
            if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
            std::string line = std::move(partial_);
            partial_.clear();
            onLine_(line);
        } else if (partial_.size() < kMaxLine) {
            partial_ += c;
        }
    }
}

}  // namespace dialupd
