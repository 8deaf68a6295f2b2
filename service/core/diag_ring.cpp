// SPDX-License-Identifier: GPL-2.0-or-later
#include "diag_ring.h"

#include <algorithm>
#include <cstring>

#include "diag_hdlc.h"

namespace dialupd {

DiagFrameRing::DiagFrameRing(size_t budgetBytes) : budget_(budgetBytes) {}

void DiagFrameRing::push(std::span<const uint8_t> payload, Clock::time_point receivedAt) {
    if (payload.empty() || payload.size() > UINT32_MAX / 2) {
        ++refused_;
        return;
    }
    framing_.clear();
    hdlcEncodeAppend(payload, framing_);
    size_t encoded = framing_.size();
    if (encoded + kPerFrameCost > budget_) {
        ++refused_;
        return;
    }
    while (usedBytes() + encoded + kPerFrameCost > budget_) dropOldest();
    // qmdlBytes_ + encoded <= budget_ now, so the frame fits behind the others (wrapping).
    if (!bytes_) bytes_ = std::make_unique_for_overwrite<uint8_t[]>(budget_);
    size_t tail = (head_ + qmdlBytes_) % budget_;
    size_t first = std::min(encoded, budget_ - tail);
    std::memcpy(bytes_.get() + tail, framing_.data(), first);
    std::memcpy(bytes_.get(), framing_.data() + first, encoded - first);
    frames_.push_back(Frame{receivedAt, uint32_t(encoded)});
    qmdlBytes_ += encoded;
}

void DiagFrameRing::dropOldest() {
    const Frame& oldest = frames_.front();
    head_ = (head_ + oldest.encodedSize) % budget_;
    qmdlBytes_ -= oldest.encodedSize;
    frames_.pop_front();
    ++evicted_;
}

void DiagFrameRing::clear() {
    frames_.clear();
    bytes_.reset();
    framing_ = {};
    head_ = 0;
    qmdlBytes_ = 0;
}

void DiagFrameRing::copyOut(size_t at, size_t size, uint8_t* out) const {
    size_t first = std::min(size, budget_ - at);
    std::memcpy(out, bytes_.get() + at, first);
    std::memcpy(out + first, bytes_.get(), size - first);
}

std::optional<DiagFrameRing::Clock::time_point> DiagFrameRing::oldest() const {
    if (frames_.empty()) return std::nullopt;
    return frames_.front().receivedAt;
}

std::optional<DiagFrameRing::Clock::time_point> DiagFrameRing::newest() const {
    if (frames_.empty()) return std::nullopt;
    return frames_.back().receivedAt;
}

DiagFrameRing::Clock::duration DiagFrameRing::span() const {
    if (frames_.size() < 2) return Clock::duration::zero();
    return frames_.back().receivedAt - frames_.front().receivedAt;
}

void DiagFrameRing::forEach(
    const std::function<void(std::span<const uint8_t> payload, Clock::time_point receivedAt)>& each) const {
    std::vector<uint8_t> wrapped, payload;
    size_t at = head_;
    for (const Frame& frame : frames_) {
        std::span<const uint8_t> framed;
        if (at + frame.encodedSize <= budget_) {
            framed = {bytes_.get() + at, frame.encodedSize};
        } else {
            wrapped.resize(frame.encodedSize);
            copyOut(at, frame.encodedSize, wrapped.data());
            framed = wrapped;
        }
        // The ring framed it itself (push): it always decodes.
        if (hdlcDecode(framed, payload)) each(payload, frame.receivedAt);
        at = (at + frame.encodedSize) % budget_;
    }
}

std::vector<uint8_t> DiagFrameRing::toQmdl() const {
    std::vector<uint8_t> out(qmdlBytes_);
    if (qmdlBytes_ > 0) copyOut(head_, qmdlBytes_, out.data());
    return out;
}

}  // namespace dialupd
