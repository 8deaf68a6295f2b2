// Splits what arrives on a non-blocking pipe into lines.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace dialupd {

class LineReader {
public:
    // Longer lines are cut here so a peer that never sends '\n' cannot grow us without bound.
    static constexpr size_t kMaxLine = 4096;

    explicit LineReader(std::function<void(std::string_view)> onLine) : onLine_(std::move(onLine)) {}

    // Reads what `fd` has now; returns false at end of file or on a read error other than EAGAIN.
    bool readFrom(int fd);
    // Delivers a last line that had no '\n'.
    void flush();

private:
    void feed(std::string_view data);

    std::function<void(std::string_view)> onLine_;
    std::string partial_;
};

}  // namespace dialupd
