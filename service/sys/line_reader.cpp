#include "line_reader.h"

#include <unistd.h>

#include <cerrno>

namespace dialupd {

bool LineReader::readFrom(int fd) {
    char buffer[4096];
    for (;;) {
        ssize_t count = ::read(fd, buffer, sizeof buffer);
        if (count > 0) {
            feed(std::string_view(buffer, static_cast<size_t>(count)));
            continue;
        }
        if (count < 0 && errno == EINTR) continue;
        if (count < 0 && errno == EAGAIN) return true;
        flush();
        return false;
    }
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
