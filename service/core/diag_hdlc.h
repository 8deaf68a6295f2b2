// SPDX-License-Identifier: GPL-2.0-or-later
// The framing of Qualcomm DIAG on a module's DM port: an HDLC-like byte stuffing. A frame is the
// payload, its FCS (CRC-16/X.25, little-endian), the two escaped (0x7E and 0x7D become 0x7D,
// byte ^ 0x20) and a 0x7E after them. The bytes come from the module, so the splitter takes any
// chunks (a read's worth, cut anywhere) and hands on only whole frames whose CRC holds. Pure:
// no fds, unit-tested and fuzzed (fuzz/fuzz_diag_frames.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace dialupd {

inline constexpr uint8_t kHdlcFlag = 0x7e;
inline constexpr uint8_t kHdlcEscape = 0x7d;
inline constexpr uint8_t kHdlcEscapeXor = 0x20;
// The largest payload (unescaped, without the CRC) a frame may carry. DIAG's log packets are a
// few KiB at most; a frame past this is garbage or a stream out of step, and dropped.
inline constexpr size_t kDiagMaxFramePayload = 16 * 1024;

// CRC-16/X.25 (the HDLC FCS DIAG uses): init 0xFFFF, reflected polynomial 0x8408, final xor
// 0xFFFF. Of "123456789" it is 0x906E.
uint16_t crc16X25(std::span<const uint8_t> data);

// `payload` framed: escaped, its CRC appended (little-endian, escaped too), 0x7E at the end.
std::vector<uint8_t> hdlcEncode(std::span<const uint8_t> payload);
void hdlcEncodeAppend(std::span<const uint8_t> payload, std::vector<uint8_t>& out);
// The size hdlcEncode would give, without building it.
size_t hdlcEncodedSize(std::span<const uint8_t> payload);

// One framed unit's bytes (as up to and with its 0x7E) unescaped and checked: the payload
// without the CRC, or false when the escaping is broken, it is shorter than a CRC, or the CRC
// does not hold. `framed` may lack the final 0x7E.
bool hdlcDecode(std::span<const uint8_t> framed, std::vector<uint8_t>& payload);

// Splits a byte stream into frames, across any chunk boundaries. Bytes between two 0x7E (or
// before the first) make one frame; an empty one (0x7E 0x7E, a leading 0x7E) is skipped; one
// whose CRC fails, that is shorter than its CRC, or with an escape before the 0x7E is counted
// in badFrames(); one whose payload would pass `maxPayload` is dropped unbuffered up to its
// 0x7E and counted in oversizedFrames(). The first frame after opening a port mid-stream is
// usually cut and so counted bad.
class HdlcSplitter {
public:
    using FrameHandler = std::function<void(std::span<const uint8_t> payload)>;

    explicit HdlcSplitter(size_t maxPayload = kDiagMaxFramePayload);

    // Calls `onFrame` with each whole, CRC-checked frame's payload (without its CRC) that ends
    // inside `chunk`, in order. The span is valid during the call only.
    void feed(std::span<const uint8_t> chunk, const FrameHandler& onFrame);

    uint64_t goodFrames() const { return good_; }
    uint64_t badFrames() const { return bad_; }
    uint64_t oversizedFrames() const { return oversized_; }
    // Bytes of a frame begun but not yet ended (0 between frames).
    size_t pendingBytes() const { return current_.size(); }
    // Forgets a frame begun (after a port was reopened, say); the counts stay.
    void reset();

private:
    void endFrame(const FrameHandler& onFrame);

    size_t maxPayload_;
    std::vector<uint8_t> current_;  // unescaped bytes of the frame under way, CRC included
    bool escaped_ = false;          // the last byte was 0x7D
    bool overflowing_ = false;      // past maxPayload: skipping to the next 0x7E
    uint64_t good_ = 0;
    uint64_t bad_ = 0;
    uint64_t oversized_ = 0;
};

}  // namespace dialupd
