// SPDX-License-Identifier: GPL-2.0-or-later
// The DM log on demand (core/dm_log_files.h): SaveDiagnosticLog's refusals and what it writes,
// and which kept .qmdl OpenDiagnosticLog picks, with the error each miss gets.
#include "core/dm_log_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/diag_hdlc.h"
#include "diag_frames.h"
#include "fakes.h"

namespace dialupd {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using testing::Bytes;
using testing::FakeCallLogStore;
using testing::FakeDmPort;
using testing::FakeScheduler;
using testing::logPacket;

const Bytes kSuccess = {0x73, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0};

// The error `body` throws: its name and message.
template <typename Body>
std::pair<std::string, std::string> errorOf(Body body) {
    try {
        body();
    } catch (const Error& error) {
        return {error.name(), error.what()};
    }
    return {"", "nothing thrown"};
}

struct SaveNow : ::testing::Test {
    FakeScheduler scheduler;
    FakeDmPort port;
    FakeCallLogStore store;
    DmRecorder recorder{settings(), port, scheduler};

    static DmRecorderSettings settings() {
        DmRecorderSettings settings;
        settings.port = "/dev/ttyUSB0";
        return settings;
    }
};

TEST_F(SaveNow, WritesTheRingAsItStandsUnderTheCallsStart) {
    recorder.start();
    port.send(hdlcEncode(kSuccess));
    scheduler.advance(2s);
    Bytes packet = logPacket(0xb0c0, 1, {1, 2, 3});
    port.send(hdlcEncode(packet));
    DmLogSaved saved = saveDmLogNow("m0", true, &recorder, 1'700'000'000'000'000, &store);
    EXPECT_EQ(saved.startedAtUsec, 1'700'000'000'000'000u);
    EXPECT_EQ(saved.path, "/var/lib/dialupd/calls/m0/1700000000000000.qmdl");
    EXPECT_EQ(saved.frames, 2u);
    EXPECT_EQ(saved.span, 2s);
    Bytes expected = testing::concat({hdlcEncode(kSuccess), hdlcEncode(packet)});
    EXPECT_EQ(saved.bytes, expected.size());
    EXPECT_EQ(store.dmLogs[saved.path], expected);
    // The recorder goes on: a later save has what came since.
    port.send(hdlcEncode(packet));
    EXPECT_EQ(saveDmLogNow("m0", true, &recorder, 1'700'000'000'000'000, &store).frames, 3u);
    EXPECT_TRUE(recorder.running());
}

TEST_F(SaveNow, AfterTheCallTheLastWindowIsSaved) {
    recorder.start();
    port.send(hdlcEncode(kSuccess));
    recorder.stop();
    EXPECT_EQ(saveDmLogNow("m0", true, &recorder, 5000, &store).frames, 1u);
}

TEST_F(SaveNow, DmLogOffIsNamed) {
    auto [name, message] = errorOf([&] { saveDmLogNow("m0", false, nullptr, 0, &store); });
    EXPECT_EQ(name, error_name::kDiagnosticLogOff);
    EXPECT_THAT(message, HasSubstr("modem m0 keeps no DM log: dm-log is off"));
    std::tie(name, message) = errorOf([&] { saveDmLogNow("m0", true, nullptr, 0, &store); });
    EXPECT_EQ(name, error_name::kDiagnosticLogOff);
    EXPECT_THAT(message, HasSubstr("this daemon reads no DM port"));
}

TEST_F(SaveNow, NoFrameYetIsNamedWithWhy) {
    auto [name, message] = errorOf([&] { saveDmLogNow("m0", true, &recorder, 0, &store); });
    EXPECT_EQ(name, error_name::kNoDiagnosticLog);
    EXPECT_EQ(message, "modem m0 has no DM frames to save: no call has been dialled since dialupd started");
    recorder.start();
    std::tie(name, message) = errorOf([&] { saveDmLogNow("m0", true, &recorder, 5000, &store); });
    EXPECT_EQ(name, error_name::kNoDiagnosticLog);
    EXPECT_THAT(message, HasSubstr("had not answered DIAG's log-config command on /dev/ttyUSB0 yet"));
    port.failure = DmPortError::Kind::Absent;
    recorder.stop();
    recorder.start();
    std::tie(name, message) = errorOf([&] { saveDmLogNow("m0", true, &recorder, 5000, &store); });
    EXPECT_EQ(name, error_name::kNoDiagnosticLog);
    EXPECT_THAT(message, HasSubstr("the DM port /dev/ttyUSB0 is missing"));
    EXPECT_TRUE(store.dmLogs.empty());
}

TEST_F(SaveNow, AFailedWriteIsNamed) {
    recorder.start();
    port.send(hdlcEncode(kSuccess));
    store.refuseDmLogs = true;
    auto [name, message] = errorOf([&] { saveDmLogNow("m0", true, &recorder, 5000, &store); });
    EXPECT_EQ(name, error_name::kSaveFailed);
    EXPECT_EQ(message, "modem m0: the DM log was not saved: No space left on device");
    std::tie(name, message) = errorOf([&] { saveDmLogNow("m0", true, &recorder, 5000, nullptr); });
    EXPECT_EQ(name, error_name::kSaveFailed);
}

TEST(ChooseDmLog, ZeroIsTheNewestKeptDmLog) {
    EXPECT_EQ(chooseDmLog("m0", 0, {3000, 2000, 1000}, {2000, 1000}), 2000u);
    // One saved during the running call has no record yet and is the newest.
    EXPECT_EQ(chooseDmLog("m0", 0, {2000}, {4000, 2000}), 4000u);
}

TEST(ChooseDmLog, ACallIsPickedByItsStart) {
    EXPECT_EQ(chooseDmLog("m0", 1000, {3000, 2000, 1000}, {2000, 1000}), 1000u);
    EXPECT_EQ(chooseDmLog("m0", 4000, {2000}, {4000, 2000}), 4000u);
}

TEST(ChooseDmLog, EachMissIsNamed) {
    auto [name, message] = errorOf([] { chooseDmLog("m0", 0, {3000}, {}); });
    EXPECT_EQ(name, error_name::kNoDiagnosticLog);
    EXPECT_EQ(message, "modem m0 keeps no DM log (dm-log = yes records one during each call)");
    std::tie(name, message) = errorOf([] { chooseDmLog("m0", 3000, {3000, 2000}, {2000}); });
    EXPECT_EQ(name, error_name::kNoDiagnosticLog);
    EXPECT_THAT(message, HasSubstr("the call that started at 3000 has no DM log"));
    std::tie(name, message) = errorOf([] { chooseDmLog("m0", 2500, {3000, 2000}, {2000}); });
    EXPECT_EQ(name, error_name::kNoSuchCall);
    EXPECT_THAT(message, HasSubstr("modem m0 keeps no call that started at 2500"));
}

TEST(OpenKeptDmLog, OpensWhatWasChosen) {
    FakeCallLogStore store;
    std::string why;
    store.saveDmLog("m0", 1000, Bytes{1, 2, 3}, why);
    store.saveDmLog("m0", 2000, Bytes{1, 2, 3, 4}, why);
    OpenedDmLog opened = openKeptDmLog("m0", 0, &store);
    EXPECT_EQ(opened.startedAtUsec, 2000u);
    ASSERT_TRUE(opened.file);
    EXPECT_EQ(opened.file->size(), 4u);
    EXPECT_EQ(openKeptDmLog("m0", 1000, &store).file->size(), 3u);
    EXPECT_EQ(errorOf([&] { openKeptDmLog("m0", 1500, &store); }).first, error_name::kNoSuchCall);
    EXPECT_EQ(errorOf([&] { openKeptDmLog("m1", 0, &store); }).first, error_name::kNoDiagnosticLog);
    EXPECT_EQ(errorOf([&] { openKeptDmLog("m0", 0, nullptr); }).first, error_name::kNoDiagnosticLog);
}

}  // namespace
}  // namespace dialupd
