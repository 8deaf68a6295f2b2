// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/diag_hdlc.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string_view>

#include "diag_frames.h"

namespace dialupd {
namespace {

using testing::Bytes;
using testing::concat;
using ::testing::ElementsAre;

Bytes bytesOf(std::string_view text) { return Bytes(text.begin(), text.end()); }

// Feeds `stream` in chunks of `chunk` bytes (the last one shorter) and returns the frames.
std::vector<Bytes> split(HdlcSplitter& splitter, const Bytes& stream, size_t chunk) {
    std::vector<Bytes> frames;
    for (size_t at = 0; at < stream.size(); at += chunk) {
        size_t size = std::min(chunk, stream.size() - at);
        splitter.feed(std::span(stream).subspan(at, size),
                      [&](std::span<const uint8_t> payload) { frames.emplace_back(payload.begin(), payload.end()); });
    }
    return frames;
}

std::vector<Bytes> split(const Bytes& stream) {
    HdlcSplitter splitter;
    return split(splitter, stream, stream.size() + 1);
}

TEST(DiagHdlc, CrcKnownAnswer) {
    // The check value of CRC-16/X.25 (also called CRC-16/IBM-SDLC).
    EXPECT_EQ(crc16X25(bytesOf("123456789")), 0x906e);
    EXPECT_EQ(crc16X25(Bytes{}), 0x0000);
}

TEST(DiagHdlc, EncodeAppendsCrcLittleEndianAndFlag) {
    // DIAG's version request, command 0x00, as tools send it: 00 78 f0 7e.
    EXPECT_EQ(crc16X25(Bytes{0x00}), 0xf078);
    EXPECT_THAT(hdlcEncode(Bytes{0x00}), ElementsAre(0x00, 0x78, 0xf0, 0x7e));
}

TEST(DiagHdlc, EncodeEscapesFlagAndEscapeBytes) {
    Bytes payload = {0x7e, 0x01, 0x7d, 0x5e};
    Bytes framed = hdlcEncode(payload);
    uint16_t crc = crc16X25(payload);
    Bytes expected = {0x7d, 0x5e, 0x01, 0x7d, 0x5d, 0x5e};
    // The CRC's own bytes are escaped as well when they are 0x7e or 0x7d.
    for (uint8_t byte : {uint8_t(crc & 0xff), uint8_t(crc >> 8)}) {
        if (byte == 0x7e || byte == 0x7d) {
            expected.push_back(0x7d);
            expected.push_back(byte ^ 0x20);
        } else {
            expected.push_back(byte);
        }
    }
    expected.push_back(0x7e);
    EXPECT_EQ(framed, expected);
    EXPECT_EQ(hdlcEncodedSize(payload), framed.size());
}

TEST(DiagHdlc, EncodedSizeMatchesForEveryByteValue) {
    Bytes payload;
    for (int byte = 0; byte < 256; ++byte) payload.push_back(uint8_t(byte));
    EXPECT_EQ(hdlcEncodedSize(payload), hdlcEncode(payload).size());
}

TEST(DiagHdlc, DecodeRoundTrips) {
    Bytes payload = {0x10, 0x7e, 0x7d, 0x00, 0xff};
    Bytes decoded;
    ASSERT_TRUE(hdlcDecode(hdlcEncode(payload), decoded));
    EXPECT_EQ(decoded, payload);
    Bytes framed = hdlcEncode(payload);
    framed.pop_back();  // without its 0x7e
    ASSERT_TRUE(hdlcDecode(framed, decoded));
    EXPECT_EQ(decoded, payload);
}

TEST(DiagHdlc, DecodeRefusesBadCrcShortAndBrokenEscape) {
    Bytes decoded;
    Bytes framed = hdlcEncode(Bytes{0x01, 0x02, 0x03});
    framed[1] ^= 0x01;
    EXPECT_FALSE(hdlcDecode(framed, decoded));
    EXPECT_FALSE(hdlcDecode(Bytes{0x12, 0x34, 0x7e}, decoded));  // a CRC and no payload
    EXPECT_FALSE(hdlcDecode(Bytes{0x01, 0x7d}, decoded));        // escape at the end
    EXPECT_FALSE(hdlcDecode(Bytes{0x01, 0x7e, 0x02, 0x7e}, decoded));
}

TEST(DiagHdlc, SplitsFramesInOrder) {
    Bytes one = {0x10, 0x00, 0x01};
    Bytes two = {0x73, 0x7e, 0x7d, 0x00};
    HdlcSplitter splitter;
    EXPECT_THAT(split(splitter, concat({hdlcEncode(one), hdlcEncode(two)}), 1000), ElementsAre(one, two));
    EXPECT_EQ(splitter.goodFrames(), 2u);
    EXPECT_EQ(splitter.badFrames(), 0u);
    EXPECT_EQ(splitter.pendingBytes(), 0u);
}

TEST(DiagHdlc, EveryChunkBoundaryGivesTheSameFrames) {
    // Escapes in the payload so that some cuts fall between 0x7d and its byte.
    Bytes one = {0x10, 0x7d, 0x7e, 0x42};
    Bytes two = {0x7e, 0x7e, 0x7e};
    Bytes three = {0x01};
    Bytes stream = concat({hdlcEncode(one), hdlcEncode(two), hdlcEncode(three)});
    for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        HdlcSplitter splitter;
        EXPECT_THAT(split(splitter, stream, chunk), ElementsAre(one, two, three)) << "chunks of " << chunk;
        EXPECT_EQ(splitter.badFrames(), 0u);
    }
    // And every single cut point with two chunks.
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
        HdlcSplitter splitter;
        std::vector<Bytes> frames;
        auto keep = [&](std::span<const uint8_t> payload) { frames.emplace_back(payload.begin(), payload.end()); };
        splitter.feed(std::span(stream).first(cut), keep);
        splitter.feed(std::span(stream).subspan(cut), keep);
        EXPECT_THAT(frames, ElementsAre(one, two, three)) << "cut at " << cut;
    }
}

TEST(DiagHdlc, LeadingFlagsAndEmptyFramesAreSkipped) {
    Bytes payload = {0x10, 0x20};
    HdlcSplitter splitter;
    EXPECT_THAT(split(splitter, concat({{0x7e, 0x7e}, hdlcEncode(payload), {0x7e}}), 1000), ElementsAre(payload));
    EXPECT_EQ(splitter.badFrames(), 0u);
}

TEST(DiagHdlc, GarbageBeforeAFrameIsOneBadFrame) {
    // Opened mid-stream: the tail of a frame, then a whole one.
    Bytes payload = {0x10, 0x00, 0x05};
    HdlcSplitter splitter;
    EXPECT_THAT(split(splitter, concat({{0x33, 0x44, 0x55, 0x7e}, hdlcEncode(payload)}), 1000), ElementsAre(payload));
    EXPECT_EQ(splitter.badFrames(), 1u);
    EXPECT_EQ(splitter.goodFrames(), 1u);
}

TEST(DiagHdlc, BadCrcIsCountedAndTheNextFrameStillComes) {
    Bytes bad = hdlcEncode(Bytes{0x10, 0x11, 0x12});
    bad[0] = 0x13;
    Bytes good = {0x73, 0x00};
    HdlcSplitter splitter;
    EXPECT_THAT(split(splitter, concat({bad, hdlcEncode(good)}), 1000), ElementsAre(good));
    EXPECT_EQ(splitter.badFrames(), 1u);
}

TEST(DiagHdlc, ShortFramesAndAnEscapeBeforeTheFlagAreBad) {
    HdlcSplitter splitter;
    EXPECT_TRUE(split(splitter, Bytes{0x01, 0x7e, 0x01, 0x02, 0x7e, 0x01, 0x02, 0x03, 0x7d, 0x7e}, 1000).empty());
    EXPECT_EQ(splitter.badFrames(), 3u);
}

TEST(DiagHdlc, TruncatedFrameWaitsForItsEnd) {
    Bytes payload = {0x10, 0x01, 0x02, 0x03};
    Bytes framed = hdlcEncode(payload);
    HdlcSplitter splitter;
    Bytes head(framed.begin(), framed.end() - 1);
    EXPECT_TRUE(split(splitter, head, 1000).empty());
    EXPECT_EQ(splitter.pendingBytes(), payload.size() + 2);
    EXPECT_THAT(split(splitter, Bytes{0x7e}, 1000), ElementsAre(payload));
}

TEST(DiagHdlc, ResetForgetsAFrameBegun) {
    Bytes framed = hdlcEncode(Bytes{0x10, 0x01});
    HdlcSplitter splitter;
    split(splitter, Bytes(framed.begin(), framed.begin() + 2), 1000);
    splitter.reset();
    EXPECT_EQ(splitter.pendingBytes(), 0u);
    EXPECT_THAT(split(splitter, framed, 1000), ElementsAre(Bytes{0x10, 0x01}));
}

TEST(DiagHdlc, OversizedFrameIsDroppedAndCounted) {
    HdlcSplitter splitter(8);
    Bytes big(9, 0x41);
    Bytes fits(8, 0x42);
    EXPECT_THAT(split(splitter, concat({hdlcEncode(big), hdlcEncode(fits)}), 3), ElementsAre(fits));
    EXPECT_EQ(splitter.oversizedFrames(), 1u);
    EXPECT_EQ(splitter.badFrames(), 0u);
    // An endless frame holds no more than the bound while it goes on.
    HdlcSplitter endless(8);
    split(endless, Bytes(100000, 0x41), 4096);
    EXPECT_LE(endless.pendingBytes(), 10u);
}

TEST(DiagHdlc, DefaultBoundTakesTheLargestFrame) {
    Bytes largest(kDiagMaxFramePayload, 0x7e);
    EXPECT_THAT(split(hdlcEncode(largest)), ElementsAre(largest));
}

}  // namespace
}  // namespace dialupd
