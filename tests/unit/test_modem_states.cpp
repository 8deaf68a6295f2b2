// SPDX-License-Identifier: GPL-2.0-or-later
// The modem's transition and refusal tables (core/modem_states.h) as data. That the modem keeps
// to them is test_modem's and test_modem_registry's job (TransitionWatch).
#include "core/modem_states.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace dialupd {
namespace {

using ::testing::HasSubstr;

constexpr ModemState kStates[] = {ModemState::Unavailable, ModemState::Disconnected,  ModemState::Connecting,
                                  ModemState::Connected,   ModemState::Disconnecting, ModemState::Resetting};

TEST(ModemStatesTest, EachTransitionIsListedOnceWithWhyAndChangesTheState) {
    std::set<std::pair<ModemState, ModemState>> seen;
    for (const ModemTransition& transition : kModemTransitions) {
        EXPECT_NE(transition.from, transition.to);
        EXPECT_FALSE(transition.why.empty());
        EXPECT_TRUE(seen.insert({transition.from, transition.to}).second)
            << toString(transition.from) << " -> " << toString(transition.to) << " twice";
        EXPECT_EQ(findTransition(transition.from, transition.to), &transition);
    }
}

TEST(ModemStatesTest, EveryStateIsReachedAndLeft) {
    for (ModemState state : kStates) {
        bool reached = false, left = false;
        for (const ModemTransition& transition : kModemTransitions) {
            reached |= transition.to == state;
            left |= transition.from == state;
        }
        EXPECT_TRUE(reached) << toString(state);
        EXPECT_TRUE(left) << toString(state);
    }
}

TEST(ModemStatesTest, NoWayBackToConnectedOnceTheCallIsEnding) {
    EXPECT_EQ(findTransition(ModemState::Disconnecting, ModemState::Connected), nullptr);
    EXPECT_EQ(findTransition(ModemState::Disconnecting, ModemState::Connecting), nullptr);
    EXPECT_EQ(findTransition(ModemState::Connected, ModemState::Resetting), nullptr);
}

TEST(ModemStatesTest, RefusalsAreOnePerRequestAndStateAndNamed) {
    std::set<std::pair<ModemRequest, ModemState>> seen;
    for (const ModemRefusal& refusal : kModemRefusals) {
        EXPECT_TRUE(seen.insert({refusal.request, refusal.state}).second);
        EXPECT_THAT(refusal.error, HasSubstr("org.dialupd1.Error."));
    }
}

TEST(ModemStatesTest, ARefusalIsThrownWithTheModemAndTheStateInItsMessage) {
    try {
        refuseIfTheStateSaysSo(ModemRequest::Connect, ModemState::Connected, "m0");
        FAIL() << "Connect while connected";
    } catch (const Error& error) {
        EXPECT_STREQ(error.name(), error_name::kAlreadyConnected);
        EXPECT_STREQ(error.what(), "modem m0 is already connected");
    }
    try {
        refuseIfTheStateSaysSo(ModemRequest::Reset, ModemState::Disconnecting, "m0");
        FAIL() << "Reset during a call";
    } catch (const Error& error) {
        EXPECT_STREQ(error.name(), error_name::kBusy);
        EXPECT_STREQ(error.what(), "modem m0 has a call (disconnecting): Disconnect it first");
    }
    EXPECT_NO_THROW(refuseIfTheStateSaysSo(ModemRequest::Connect, ModemState::Disconnected, "m0"));
    EXPECT_NO_THROW(refuseIfTheStateSaysSo(ModemRequest::Disconnect, ModemState::Resetting, "m0"));
}

}  // namespace
}  // namespace dialupd
