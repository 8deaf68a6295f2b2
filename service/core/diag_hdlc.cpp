// SPDX-License-Identifier: GPL-2.0-or-later
#include "diag_hdlc.h"

#include <array>

namespace dialupd {
namespace {

constexpr size_t kCrcSize = 2;

constexpr std::array<uint16_t, 256> makeCrcTable() {
    std::array<uint16_t, 256> table{};
    for (unsigned byte = 0; byte < 256; ++byte) {
        uint16_t crc = uint16_t(byte);
        for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? uint16_t((crc >> 1) ^ 0x8408) : uint16_t(crc >> 1);
        table[byte] = crc;
    }
    return table;
}
constexpr std::array<uint16_t, 256> kCrcTable = makeCrcTable();

bool needsEscape(uint8_t byte) { return byte == kHdlcFlag || byte == kHdlcEscape; }

void appendEscaped(uint8_t byte, std::vector<uint8_t>& out) {
    if (needsEscape(byte)) {
        out.push_back(kHdlcEscape);
        out.push_back(byte ^ kHdlcEscapeXor);
    } else {
        out.push_back(byte);
    }
}

// `unescaped` is payload + CRC (little-endian).
bool crcHolds(std::span<const uint8_t> unescaped) {
    if (unescaped.size() < kCrcSize + 1) return false;
    size_t payloadSize = unescaped.size() - kCrcSize;
    uint16_t sent = uint16_t(unescaped[payloadSize] | (unescaped[payloadSize + 1] << 8));
    return crc16X25(unescaped.first(payloadSize)) == sent;
}

}  // namespace

uint16_t crc16X25(std::span<const uint8_t> data) {
    uint16_t crc = 0xffff;
    for (uint8_t byte : data) crc = uint16_t((crc >> 8) ^ kCrcTable[(crc ^ byte) & 0xff]);
    return crc ^ 0xffff;
}

void hdlcEncodeAppend(std::span<const uint8_t> payload, std::vector<uint8_t>& out) {
    for (uint8_t byte : payload) appendEscaped(byte, out);
    uint16_t crc = crc16X25(payload);
    appendEscaped(uint8_t(crc & 0xff), out);
    appendEscaped(uint8_t(crc >> 8), out);
    out.push_back(kHdlcFlag);
}

std::vector<uint8_t> hdlcEncode(std::span<const uint8_t> payload) {
    std::vector<uint8_t> out;
    out.reserve(payload.size() + payload.size() / 8 + 8);
    hdlcEncodeAppend(payload, out);
    return out;
}

size_t hdlcEncodedSize(std::span<const uint8_t> payload) {
    size_t size = payload.size() + kCrcSize + 1;
    for (uint8_t byte : payload) size += needsEscape(byte);
    uint16_t crc = crc16X25(payload);
    size += needsEscape(uint8_t(crc & 0xff)) + needsEscape(uint8_t(crc >> 8));
    return size;
}

bool hdlcDecode(std::span<const uint8_t> framed, std::vector<uint8_t>& payload) {
    if (!framed.empty() && framed.back() == kHdlcFlag) framed = framed.first(framed.size() - 1);
    payload.clear();
    payload.reserve(framed.size());
    for (size_t at = 0; at < framed.size(); ++at) {
        uint8_t byte = framed[at];
        if (byte == kHdlcFlag) return false;  // two frames, not one
        if (byte == kHdlcEscape) {
            if (++at == framed.size()) return false;
            byte = framed[at] ^ kHdlcEscapeXor;
            if (framed[at] == kHdlcFlag) return false;
        }
        payload.push_back(byte);
    }
    if (!crcHolds(payload)) return false;
    payload.resize(payload.size() - kCrcSize);
    return true;
}

HdlcSplitter::HdlcSplitter(size_t maxPayload) : maxPayload_(maxPayload) {}

void HdlcSplitter::reset() {
    current_.clear();
    escaped_ = false;
    overflowing_ = false;
}

void HdlcSplitter::endFrame(const FrameHandler& onFrame) {
    if (overflowing_) {
        ++oversized_;
    } else if (escaped_) {
        ++bad_;
    } else if (!current_.empty()) {
        if (crcHolds(current_)) {
            ++good_;
            onFrame(std::span<const uint8_t>(current_).first(current_.size() - kCrcSize));
        } else {
            ++bad_;
        }
    }
    reset();
}

void HdlcSplitter::feed(std::span<const uint8_t> chunk, const FrameHandler& onFrame) {
    for (uint8_t byte : chunk) {
        if (byte == kHdlcFlag) {
            endFrame(onFrame);
            continue;
        }
        if (overflowing_) continue;
        if (escaped_) {
            escaped_ = false;
            byte ^= kHdlcEscapeXor;
        } else if (byte == kHdlcEscape) {
            escaped_ = true;
            continue;
        }
        if (current_.size() >= maxPayload_ + kCrcSize) {
            overflowing_ = true;
            current_.clear();
            current_.shrink_to_fit();
            continue;
        }
        current_.push_back(byte);
    }
}

}  // namespace dialupd
