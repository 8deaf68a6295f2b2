// SPDX-License-Identifier: GPL-2.0-or-later
#include "diag_ring.h"

#include "diag_hdlc.h"

namespace dialupd {

DiagFrameRing::DiagFrameRing(size_t budgetBytes) : budget_(budgetBytes) {}

void DiagFrameRing::push(std::span<const uint8_t> payload, Clock::time_point receivedAt) {
    size_t encoded = hdlcEncodedSize(payload);
    if (payload.empty() || payload.size() > UINT32_MAX / 2 || encoded + kPerFrameCost > budget_) {
        ++refused_;
        return;
    }
    while (usedBytes() + encoded + kPerFrameCost > budget_) dropOldest();
    frames_.push_back(Frame{receivedAt, uint32_t(payload.size()), uint32_t(encoded)});
    bytes_.insert(bytes_.end(), payload.begin(), payload.end());
    qmdlBytes_ += encoded;
}

void DiagFrameRing::dropOldest() {
    const Frame& oldest = frames_.front();
    bytes_.erase(bytes_.begin(), bytes_.begin() + oldest.size);
    qmdlBytes_ -= oldest.encodedSize;
    frames_.pop_front();
    ++evicted_;
}

void DiagFrameRing::clear() {
    frames_.clear();
    bytes_.clear();
    bytes_.shrink_to_fit();
    qmdlBytes_ = 0;
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
    std::vector<uint8_t> payload;
    auto at = bytes_.begin();
    for (const Frame& frame : frames_) {
        payload.assign(at, at + frame.size);
        at += frame.size;
        each(payload, frame.receivedAt);
    }
}

std::vector<uint8_t> DiagFrameRing::toQmdl() const {
    std::vector<uint8_t> out;
    out.reserve(qmdlBytes_);
    forEach([&](std::span<const uint8_t> payload, Clock::time_point) { hdlcEncodeAppend(payload, out); });
    return out;
}

}  // namespace dialupd
