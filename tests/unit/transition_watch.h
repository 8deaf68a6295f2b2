// SPDX-License-Identifier: GPL-2.0-or-later
// Checks every state change a test makes against the transition table (core/modem_states.h):
// Modem::setState logs each change as "state FROM -> TO"; one the table does not list fails the
// test. What was seen is also collected over the whole run (seenTransitions()), so a test binary
// can ask whether every row of the table happens in some scenario.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/modem_states.h"

namespace dialupd::testing {

inline std::optional<ModemState> stateNamed(const std::string& name) {
    for (ModemState state : {ModemState::Unavailable, ModemState::Disconnected, ModemState::Connecting,
                             ModemState::Connected, ModemState::Disconnecting, ModemState::Resetting})
        if (toString(state) == name) return state;
    return std::nullopt;
}

inline std::set<std::pair<ModemState, ModemState>>& seenTransitions() {
    static std::set<std::pair<ModemState, ModemState>> seen;
    return seen;
}

class TransitionWatch {
public:
    TransitionWatch() : previous_(spdlog::default_logger()), sink_(std::make_shared<Sink>()) {
        auto logger = std::make_shared<spdlog::logger>("transitions", sink_);
        logger->set_level(spdlog::level::debug);
        spdlog::set_default_logger(logger);
    }
    ~TransitionWatch() {
        spdlog::set_default_logger(previous_);
        for (const auto& [from, to] : sink_->changes) {
            auto fromState = stateNamed(from), toState = stateNamed(to);
            EXPECT_TRUE(fromState && toState) << "state " << from << " -> " << to << ": unknown state";
            if (!fromState || !toState) continue;
            EXPECT_NE(findTransition(*fromState, *toState), nullptr)
                << "state " << from << " -> " << to << " happened but is not in kModemTransitions";
            seenTransitions().insert({*fromState, *toState});
        }
    }
    TransitionWatch(const TransitionWatch&) = delete;
    TransitionWatch& operator=(const TransitionWatch&) = delete;

private:
    struct Sink final : spdlog::sinks::base_sink<std::mutex> {
        std::vector<std::pair<std::string, std::string>> changes;
        void sink_it_(const spdlog::details::log_msg& msg) override {
            static const std::regex change(R"(state (\w+) -> (\w+))");
            std::string text(msg.payload.data(), msg.payload.size());
            std::smatch match;
            if (std::regex_search(text, match, change)) changes.emplace_back(match[1], match[2]);
        }
        void flush_() override {}
    };
    std::shared_ptr<spdlog::logger> previous_;
    std::shared_ptr<Sink> sink_;
};

}  // namespace dialupd::testing
