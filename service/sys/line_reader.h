// SPDX-License-Identifier: GPL-2.0-or-later
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
    // What one wakeup reads at most. A peer that writes without pause (a modem flooding its AT
    // port) would otherwise hold the event loop for as long as it keeps up with us; the fd stays
    // readable (sd-event watches level-triggered), so the rest comes on the loop's next round,
    // after the other sources that were ready.
    static constexpr size_t kBytesPerWakeup = 16 * 1024;

    enum class Result {
        Drained,   // nothing more to read now (EAGAIN)
        MoreLeft,  // `budget` bytes read; there may be more
        Closed,    // end of file or a read error other than EAGAIN; a last partial line was delivered
    };

    explicit LineReader(std::function<void(std::string_view)> onLine) : onLine_(std::move(onLine)) {}

    // Reads what `fd` has now, `budget` bytes at most.
    Result readFrom(int fd, size_t budget = kBytesPerWakeup);
    // Delivers a last line that had no '\n'.
    void flush();

private:
    void feed(std::string_view data);

    std::function<void(std::string_view)> onLine_;
    std::string partial_;
};

}  // namespace dialupd
