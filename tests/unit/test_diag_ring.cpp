// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/diag_ring.h"

#include <deque>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/diag_hdlc.h"
#include "diag_frames.h"

namespace dialupd {
namespace {

using testing::Bytes;
using testing::concat;
using ::testing::ElementsAre;
using Clock = DiagFrameRing::Clock;
using namespace std::chrono_literals;

const Clock::time_point kStart = Clock::time_point(100s);

std::vector<Bytes> framesOf(const DiagFrameRing& ring) {
    std::vector<Bytes> frames;
    ring.forEach([&](std::span<const uint8_t> payload, Clock::time_point) {
        frames.emplace_back(payload.begin(), payload.end());
    });
    return frames;
}

// What one frame of `payload` costs of the budget.
size_t cost(const Bytes& payload) { return hdlcEncodedSize(payload) + DiagFrameRing::kPerFrameCost; }

TEST(DiagRing, DefaultBudgetIsFourMiB) { EXPECT_EQ(DiagFrameRing().budget(), 4u * 1024 * 1024); }

TEST(DiagRing, EmptyRing) {
    DiagFrameRing ring(1000);
    EXPECT_EQ(ring.frameCount(), 0u);
    EXPECT_EQ(ring.qmdlSize(), 0u);
    EXPECT_FALSE(ring.oldest());
    EXPECT_FALSE(ring.newest());
    EXPECT_EQ(ring.span(), Clock::duration::zero());
    EXPECT_TRUE(ring.toQmdl().empty());
}

TEST(DiagRing, KeepsFramesWithTheirTimes) {
    DiagFrameRing ring(1000);
    ring.push(Bytes{1, 2, 3}, kStart);
    ring.push(Bytes{4}, kStart + 1500ms);
    EXPECT_THAT(framesOf(ring), ElementsAre(Bytes{1, 2, 3}, Bytes{4}));
    EXPECT_EQ(ring.oldest(), kStart);
    EXPECT_EQ(ring.newest(), kStart + 1500ms);
    EXPECT_EQ(ring.span(), 1500ms);
    std::vector<Clock::time_point> times;
    ring.forEach([&](std::span<const uint8_t>, Clock::time_point at) { times.push_back(at); });
    EXPECT_THAT(times, ElementsAre(kStart, kStart + 1500ms));
}

TEST(DiagRing, QmdlIsTheFramesReencoded) {
    Bytes one = {0x10, 0x7e, 0x00};
    Bytes two = {0x7d, 0x01};
    DiagFrameRing ring(1000);
    ring.push(one, kStart);
    ring.push(two, kStart);
    Bytes qmdl = ring.toQmdl();
    EXPECT_EQ(qmdl, concat({hdlcEncode(one), hdlcEncode(two)}));
    EXPECT_EQ(ring.qmdlSize(), qmdl.size());
    EXPECT_EQ(ring.usedBytes(), qmdl.size() + 2 * DiagFrameRing::kPerFrameCost);
}

TEST(DiagRing, EvictsOldestWholeFramesToStayWithinBudget) {
    Bytes a(40, 0x0a), b(40, 0x0b), c(40, 0x0c);
    // Room for two of them, not three.
    DiagFrameRing ring(2 * cost(a) + cost(a) / 2);
    ring.push(a, kStart);
    ring.push(b, kStart + 1s);
    EXPECT_EQ(ring.evictedFrames(), 0u);
    ring.push(c, kStart + 2s);
    EXPECT_THAT(framesOf(ring), ElementsAre(b, c));
    EXPECT_EQ(ring.evictedFrames(), 1u);
    EXPECT_EQ(ring.oldest(), kStart + 1s);
    EXPECT_LE(ring.usedBytes(), ring.budget());
    // The file holds only whole frames: it splits back into exactly them.
    HdlcSplitter splitter;
    std::vector<Bytes> back;
    Bytes qmdl = ring.toQmdl();
    splitter.feed(qmdl, [&](std::span<const uint8_t> payload) { back.emplace_back(payload.begin(), payload.end()); });
    EXPECT_THAT(back, ElementsAre(b, c));
    EXPECT_EQ(splitter.badFrames(), 0u);
}

TEST(DiagRing, ABigFrameEvictsSeveralSmallOnes) {
    Bytes small(10, 0x01), big(100, 0x02);
    DiagFrameRing ring(cost(big) + cost(small));
    for (int i = 0; i < 5; ++i) ring.push(small, kStart);
    ring.push(big, kStart + 1s);
    EXPECT_THAT(framesOf(ring), ElementsAre(small, big));
    EXPECT_EQ(ring.evictedFrames(), 4u);
}

TEST(DiagRing, StaysWithinBudgetOverALongStream) {
    DiagFrameRing ring(4096);
    for (int i = 0; i < 10000; ++i) {
        ring.push(Bytes(size_t(1 + i % 200), uint8_t(i)), kStart + std::chrono::milliseconds(i));
        ASSERT_LE(ring.usedBytes(), ring.budget());
    }
    EXPECT_EQ(ring.toQmdl().size(), ring.qmdlSize());
    EXPECT_EQ(ring.newest(), kStart + 9999ms);
    EXPECT_EQ(ring.evictedFrames() + ring.frameCount(), 10000u);
}

// The ring keeps frames framed in a circular buffer: frames that wrap round its end (and bytes
// that need escaping, which change a frame's framed size) must come back exactly, in order, as
// a plain list of the newest frames that fit would give them.
TEST(DiagRing, FramesAcrossTheBuffersEndComeBackWhole) {
    const size_t budget = 301;  // no multiple of any frame size below: the wrap falls anywhere
    DiagFrameRing ring(budget);
    std::deque<Bytes> model;
    size_t modelUsed = 0;
    for (int i = 0; i < 2000; ++i) {
        Bytes payload(size_t(1 + (i * 7) % 40));
        for (size_t k = 0; k < payload.size(); ++k) payload[k] = uint8_t(i + k * 31);  // 0x7E, 0x7D among them
        ring.push(payload, kStart + std::chrono::milliseconds(i));
        while (modelUsed + cost(payload) > budget) {
            modelUsed -= cost(model.front());
            model.pop_front();
        }
        model.push_back(payload);
        modelUsed += cost(payload);
        if (i % 97 == 0 || i > 1990) {
            ASSERT_EQ(framesOf(ring), std::vector<Bytes>(model.begin(), model.end())) << "after frame " << i;
            Bytes qmdl;
            for (const Bytes& frame : model) qmdl = concat({qmdl, hdlcEncode(frame)});
            ASSERT_EQ(ring.toQmdl(), qmdl) << "after frame " << i;
        }
    }
}

TEST(DiagRing, RefusesEmptyFramesAndOnesLargerThanTheBudget) {
    DiagFrameRing ring(64);
    ring.push(Bytes{0x01}, kStart);
    ring.push(Bytes{}, kStart);
    ring.push(Bytes(64, 0x02), kStart);
    EXPECT_THAT(framesOf(ring), ElementsAre(Bytes{0x01}));
    EXPECT_EQ(ring.refusedFrames(), 2u);
    EXPECT_EQ(ring.evictedFrames(), 0u);
}

TEST(DiagRing, ClearEmptiesIt) {
    DiagFrameRing ring(1000);
    ring.push(Bytes{1}, kStart);
    ring.clear();
    EXPECT_EQ(ring.frameCount(), 0u);
    EXPECT_EQ(ring.usedBytes(), 0u);
    ring.push(Bytes{2}, kStart);
    EXPECT_THAT(framesOf(ring), ElementsAre(Bytes{2}));
}

}  // namespace
}  // namespace dialupd
