// SPDX-License-Identifier: GPL-2.0-or-later
// Redial backoff and which ends a redial can mend.
#include "core/reconnect.h"

#include <gtest/gtest.h>

#include <csignal>

namespace dialupd {
namespace {

using namespace std::chrono_literals;

double seconds(std::chrono::microseconds delay) { return std::chrono::duration<double>(delay).count(); }

TEST(ReconnectDelay, DoublesFromTheFirstDelayUpToTheCap) {
    ReconnectSettings settings;
    settings.delaySeconds = 5;
    settings.maxDelaySeconds = 60;
    // random01 = 0.5 is no jitter at all.
    EXPECT_EQ(reconnectDelay(settings, 1, 0.5), 5s);
    EXPECT_EQ(reconnectDelay(settings, 2, 0.5), 10s);
    EXPECT_EQ(reconnectDelay(settings, 3, 0.5), 20s);
    EXPECT_EQ(reconnectDelay(settings, 4, 0.5), 40s);
    EXPECT_EQ(reconnectDelay(settings, 5, 0.5), 60s);
    EXPECT_EQ(reconnectDelay(settings, 1000, 0.5), 60s);
}

TEST(ReconnectDelay, JitterMovesItAtMostTwentyPercentAndNeverPastTheCap) {
    ReconnectSettings settings;
    settings.delaySeconds = 10;
    settings.maxDelaySeconds = 300;
    EXPECT_DOUBLE_EQ(seconds(reconnectDelay(settings, 1, 0.0)), 8.0);
    EXPECT_NEAR(seconds(reconnectDelay(settings, 1, 0.999999)), 12.0, 1e-4);
    EXPECT_EQ(reconnectDelay(settings, 20, 0.999999), 300s);  // capped after the jitter too
    EXPECT_DOUBLE_EQ(seconds(reconnectDelay(settings, 20, 0.0)), 240.0);
}

TEST(ReconnectDelay, NeverUnderASecond) {
    ReconnectSettings settings;
    settings.delaySeconds = 1;
    settings.maxDelaySeconds = 1;
    EXPECT_EQ(reconnectDelay(settings, 1, 0.0), 1s);
}

TEST(RedialCanHelp, NotForWhatTryingAgainCannotMend) {
    for (uint32_t code : {2u, 3u, 4u, 5u, 11u, 19u, 21u})
        EXPECT_FALSE(redialCanHelp(reasonForExitStatus(static_cast<int>(code)))) << code;
    for (uint32_t code : {1u, 6u, 7u, 8u, 10u, 12u, 13u, 15u, 16u, 17u})
        EXPECT_TRUE(redialCanHelp(reasonForExitStatus(static_cast<int>(code)))) << code;
    EXPECT_TRUE(redialCanHelp(reasonForSignal(SIGSEGV)));  // pppd crashed
    EXPECT_TRUE(redialCanHelp(reasonForSignal(SIGKILL)));
}

}  // namespace
}  // namespace dialupd
