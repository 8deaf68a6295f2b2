// SPDX-License-Identifier: GPL-2.0-or-later
// The DM log's flight recorder: the newest whole DIAG frames read from the module, each with the
// time it arrived, within a byte budget (`dm-log-size`). The oldest whole frames go first when a
// new one does not fit; a frame is kept whole or not at all, so what is written out never holds
// a cut frame. Written out as .qmdl: the frames HDLC-framed again (escaped, CRC, 0x7E), the
// raw form QXDM, QCAT and QLog read and write. Pure: the clock comes in with each frame.
//
// A frame is kept framed, as the .qmdl holds it, in one circular buffer of the budget's size
// (allocated at the first frame, its pages touched as they fill), so the end of a call copies
// the file out with two memcpy instead of framing up to dm-log-size bytes again while the
// Hangup waits, and a frame costs one CRC here, not two.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace dialupd {

inline constexpr size_t kDefaultDmLogSize = 4 * 1024 * 1024;

class DiagFrameRing {
public:
    using Clock = std::chrono::steady_clock;
    // What one kept frame costs of the budget beyond its .qmdl bytes: its bookkeeping here, so
    // the memory held stays within the budget too.
    static constexpr size_t kPerFrameCost = 16;

    explicit DiagFrameRing(size_t budgetBytes = kDefaultDmLogSize);

    // Keeps `payload` (a frame's unescaped bytes without CRC, as HdlcSplitter hands them on),
    // dropping the oldest frames until it fits. An empty payload, or one that cannot fit in the
    // whole budget, is not kept (counted in refusedFrames()).
    void push(std::span<const uint8_t> payload, Clock::time_point receivedAt);
    void clear();

    size_t budget() const { return budget_; }
    size_t frameCount() const { return frames_.size(); }
    // The budget in use: the .qmdl size plus kPerFrameCost a frame.
    size_t usedBytes() const { return qmdlBytes_ + frames_.size() * kPerFrameCost; }
    // The size toQmdl() would have.
    size_t qmdlSize() const { return qmdlBytes_; }
    uint64_t evictedFrames() const { return evicted_; }
    uint64_t refusedFrames() const { return refused_; }
    // Receive times of the oldest and the newest frame kept; none when empty.
    std::optional<Clock::time_point> oldest() const;
    std::optional<Clock::time_point> newest() const;
    // newest - oldest (zero when fewer than two frames).
    Clock::duration span() const;

    // Every kept frame, oldest first: its payload (valid during the call) and receive time.
    void forEach(const std::function<void(std::span<const uint8_t> payload, Clock::time_point receivedAt)>& each) const;
    // The kept frames as a .qmdl file's bytes.
    std::vector<uint8_t> toQmdl() const;

private:
    struct Frame {
        Clock::time_point receivedAt;
        uint32_t encodedSize;  // its .qmdl bytes, which follow the frame before it in bytes_
    };
    void dropOldest();
    // `size` bytes of the circular buffer from `at`, contiguous in `out`.
    void copyOut(size_t at, size_t size, uint8_t* out) const;

    size_t budget_;
    std::deque<Frame> frames_;
    std::unique_ptr<uint8_t[]> bytes_;  // budget_ bytes, circular; null until the first frame
    size_t head_ = 0;                   // where the oldest frame begins
    size_t qmdlBytes_ = 0;              // framed bytes in use, from head_ on
    std::vector<uint8_t> framing_;      // push()'s scratch: the frame being framed
    uint64_t evicted_ = 0;
    uint64_t refused_ = 0;
};

}  // namespace dialupd
