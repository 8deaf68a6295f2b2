// SPDX-License-Identifier: GPL-2.0-or-later
// The journal's structured fields as the core hands them to a sink: the modem from the line's
// "[id] " prefix, and MESSAGE_ID with the exit reason for a call's start, link up, end and a
// module recovery.
#include "core/log_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <mutex>

#include "core/modem.h"
#include "fakes.h"

namespace dialupd {
namespace {

using namespace std::chrono_literals;

TEST(LogFields, TheModemIsTheLinesPrefix) {
    EXPECT_EQ(modemIdOfLine("[ec25] call ended after 1.0 s: 16 hangup"), "ec25");
    EXPECT_EQ(modemIdOfLine("[ec25_SIMEC25] x"), "ec25_SIMEC25");
    EXPECT_FALSE(modemIdOfLine("dialupd 0.1.0 ready"));
    EXPECT_FALSE(modemIdOfLine("[] x"));
    EXPECT_FALSE(modemIdOfLine("[bad id] x"));
    EXPECT_FALSE(modemIdOfLine("[" + std::string(65, 'a') + "] x"));
}

TEST(LogFields, ScopesNestAndEnd) {
    EXPECT_EQ(currentLogFields(), nullptr);
    {
        ScopedLogFields outer({message_id::kCallUp, std::nullopt, {}});
        {
            ScopedLogFields inner({message_id::kCallEnded, 16u, "hangup"});
            ASSERT_NE(currentLogFields(), nullptr);
            EXPECT_EQ(currentLogFields()->reason, "hangup");
        }
        EXPECT_EQ(currentLogFields()->messageId, message_id::kCallUp);
    }
    EXPECT_EQ(currentLogFields(), nullptr);
}

TEST(LogFields, TheIdsAre128BitHex) {
    for (std::string_view id :
         {message_id::kCallStarted, message_id::kCallUp, message_id::kCallEnded, message_id::kRecovery}) {
        EXPECT_EQ(id.size(), 32u);
        EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string_view::npos) << id;
    }
}

// What a journal sink would see: each line with the fields current while it is written.
struct Seen {
    std::string line;
    std::string messageId;
    std::optional<uint32_t> reasonCode;
    std::string reason;
};
class CapturingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<Seen> seen;

protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
        Seen one{std::string(message.payload.data(), message.payload.size()), "", std::nullopt, ""};
        if (const LogFields* fields = currentLogFields()) {
            one.messageId = fields->messageId;
            one.reasonCode = fields->reasonCode;
            one.reason = fields->reason;
        }
        seen.push_back(std::move(one));
    }
    void flush_() override {}
};

TEST(LogFields, ACallsStartUpEndAndRecoveryCarryTheirIds) {
    auto sink = std::make_shared<CapturingSink>();
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    {
        DaemonSettings daemon;
        daemon.pluginPath = "/usr/lib/pppd/2.4.9/dialupd-pppd-plugin.so";
        ModemConfig config;
        config.id = "m0";
        config.device = "/dev/ttyUSB3";
        config.atPort = "/dev/ttyUSB2";
        testing::FakePppdRunner runner;
        testing::FakeScheduler scheduler;
        testing::FakeModule module{scheduler, "/dev/ttyUSB3", "/dev/ttyUSB2"};
        ModemServices services;
        services.atPorts = &module;
        Modem modem(
            config, daemon, runner, scheduler, [](const std::string&) { return true; }, services);
        modem.connect({}, false, [](const Error*) {});
        runner.ipUp({"ppp0", "10.64.0.2", "10.64.0.1", {}});
        runner.killedBy(SIGKILL);
        scheduler.advanceInSteps(4s);
        modem.connect({}, false, [](const Error*) {});  // the module is checked first
        scheduler.advanceInSteps(4s);
        modem.stop([] {});
        runner.exitWith(5);
        scheduler.advanceInSteps(1s);
    }
    spdlog::set_default_logger(previous);
    auto find = [&](std::string_view id) -> const Seen* {
        for (const Seen& seen : sink->seen)
            if (seen.messageId == id) return &seen;
        return nullptr;
    };
    const Seen* started = find(message_id::kCallStarted);
    ASSERT_NE(started, nullptr);
    EXPECT_THAT(started->line, ::testing::StartsWith("[m0] started pppd"));
    const Seen* up = find(message_id::kCallUp);
    ASSERT_NE(up, nullptr);
    EXPECT_THAT(up->line, ::testing::StartsWith("[m0] connected: ppp0"));
    const Seen* ended = find(message_id::kCallEnded);
    ASSERT_NE(ended, nullptr);
    EXPECT_EQ(ended->reasonCode, 137u);
    EXPECT_EQ(ended->reason, "killed-by-signal");
    const Seen* recovery = find(message_id::kRecovery);
    ASSERT_NE(recovery, nullptr);
    EXPECT_THAT(recovery->line, ::testing::HasSubstr("checking the module before dialing"));
    EXPECT_EQ(recovery->reasonCode, 137u);
    // Lines outside those scopes carry none.
    size_t withIds = 0;
    for (const Seen& seen : sink->seen) withIds += !seen.messageId.empty();
    EXPECT_LT(withIds, sink->seen.size());
    EXPECT_EQ(currentLogFields(), nullptr);
}

}  // namespace
}  // namespace dialupd
