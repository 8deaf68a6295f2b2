// SPDX-License-Identifier: GPL-2.0-or-later
// The DM log's recorder against a fake DM port: the mask goes out at start, whole frames are
// kept, a cut frame never reaches the .qmdl, freeze() names the network's cause, a silent or
// missing port gives the reason, stop() turns logging off.
#include "core/dm_recorder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/diag_hdlc.h"
#include "core/diag_log_config.h"
#include "diag_frames.h"
#include "fakes.h"

namespace dialupd {
namespace {

using testing::Bytes;
using testing::concat;
using ::testing::HasSubstr;
using testing::logPacket;
using testing::lteNasBody;
using namespace std::chrono_literals;
using testing::FakeDmPort;
using testing::FakeScheduler;

const Bytes kSuccess = {0x73, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0};

struct Recorder : ::testing::Test {
    FakeScheduler scheduler;
    FakeDmPort port;
    std::unique_ptr<DmRecorder> recorder;

    void make(DmRecorderSettings settings = {}) {
        if (settings.port.empty()) settings.port = "/dev/ttyUSB0";
        recorder = std::make_unique<DmRecorder>(std::move(settings), port, scheduler);
    }
};

TEST_F(Recorder, StartSendsTheBuiltInMask) {
    make();
    recorder->start();
    EXPECT_EQ(port.openedPath, "/dev/ttyUSB0");
    std::vector<Bytes> sent = port.takeWritten();
    std::vector<Bytes> expected;
    for (const auto& command : builtinMaskCommands()) {
        Bytes payload;
        ASSERT_TRUE(hdlcDecode(command, payload));
        expected.push_back(payload);
    }
    EXPECT_EQ(sent, expected);
    EXPECT_TRUE(recorder->running());
}

TEST_F(Recorder, AMaskFileIsSentVerbatim) {
    Bytes command = hdlcEncode(Bytes{0x73, 0, 0, 0, 3, 0, 0, 0, 0x0b, 0, 0, 0, 1, 0, 0, 0, 0x01});
    make({"", kDefaultDmLogSize, {command}});
    recorder->start();
    EXPECT_EQ(port.written, command);
}

TEST_F(Recorder, KeepsWholeFramesAndNamesTheNetworksCause) {
    make();
    recorder->start();
    port.send(hdlcEncode(kSuccess));
    EXPECT_TRUE(recorder->answered());
    Bytes background = logPacket(0xb0c0, 1, {0x0e, 0x00, 0x01, 0x02});
    scheduler.advance(1s);
    port.send(hdlcEncode(background));
    scheduler.advance(1s);
    Bytes deactivate = hdlcEncode(logPacket(0xb0e2, 2, lteNasBody(testing::kPlainDeactivate36)));
    // In two reads, cut anywhere.
    port.send(Bytes(deactivate.begin(), deactivate.begin() + 5));
    port.send(Bytes(deactivate.begin() + 5, deactivate.end()));
    scheduler.advance(800ms);

    DmLogFreeze log = recorder->freeze();
    EXPECT_EQ(log.problem, "");
    EXPECT_EQ(log.frames, 3u);  // the answer, the background frame, the NAS message
    EXPECT_EQ(log.qmdl, concat({hdlcEncode(kSuccess), hdlcEncode(background), deactivate}));
    EXPECT_EQ(log.span, 2s);
    ASSERT_TRUE(log.cause);
    EXPECT_EQ(log.causeBeforeEnd, 800ms);
    EXPECT_EQ(dmNetworkCauseSummary(log), "network: ESM cause #36 regular deactivation");
    std::string text = describeDmLog(log, "/var/lib/dialupd/calls/x.qmdl", "");
    EXPECT_THAT(text, HasSubstr("DM log: 3 frames, " + std::to_string(log.qmdl.size()) +
                                " bytes, 2.0 s, saved as /var/lib/dialupd/calls/x.qmdl\n"));
    EXPECT_THAT(text, HasSubstr("network: ESM cause #36 regular deactivation (NAS, 0.8 s before the end)\n"));
    EXPECT_THAT(text, HasSubstr("0.8 s before the end: Deactivate EPS bearer context request"));
}

TEST_F(Recorder, ACutFrameNeverReachesTheQmdl) {
    make();
    recorder->start();
    port.send(hdlcEncode(kSuccess));
    Bytes whole = hdlcEncode(logPacket(0xb0c0, 1, {1, 2, 3, 4}));
    // A frame whose start was lost (opened mid-stream), then one cut off at the end.
    port.send(Bytes(whole.begin() + 3, whole.end()));
    port.send(Bytes(whole.begin(), whole.end() - 2));
    DmLogFreeze log = recorder->freeze();
    EXPECT_EQ(log.frames, 1u);
    EXPECT_EQ(log.qmdl, hdlcEncode(kSuccess));
    EXPECT_EQ(log.badFrames, 1u);
}

TEST_F(Recorder, ASilentPortIsGivenUpAndSaysWhy) {
    make();
    recorder->start();
    scheduler.advance(4s);
    EXPECT_TRUE(port.isOpen());
    scheduler.advance(2s);
    EXPECT_FALSE(port.isOpen());
    DmLogFreeze log = recorder->freeze();
    EXPECT_FALSE(log.hasLog());
    EXPECT_THAT(log.problem, HasSubstr("did not answer DIAG's log-config command on /dev/ttyUSB0 within 5.0 s"));
    EXPECT_THAT(describeDmLog(log, "", ""), HasSubstr("no DM log: the module did not answer"));
    EXPECT_EQ(dmNetworkCauseSummary(log), "");
}

TEST_F(Recorder, AMissingPortSaysWhy) {
    port.failure = DmPortError::Kind::Absent;
    make();
    recorder->start();
    EXPECT_FALSE(recorder->running());
    EXPECT_THAT(recorder->freeze().problem, HasSubstr("the DM port /dev/ttyUSB0 is missing"));
}

TEST_F(Recorder, NoPortKnown) {
    recorder = std::make_unique<DmRecorder>(DmRecorderSettings{}, port, scheduler);
    recorder->start();
    EXPECT_EQ(port.openedPath, "");
    EXPECT_THAT(recorder->freeze().problem, HasSubstr("no DM port is known"));
}

TEST_F(Recorder, ARefusalIsGivenUp) {
    make();
    recorder->start();
    port.send(hdlcEncode(Bytes{0x13, 0x73, 0, 0}));
    scheduler.advance(1ms);
    EXPECT_FALSE(port.isOpen());
    EXPECT_THAT(recorder->freeze().problem, HasSubstr("refused the log-config command"));
}

TEST_F(Recorder, StopTurnsLoggingOffAndCloses) {
    make();
    recorder->start();
    port.send(hdlcEncode(kSuccess));
    port.takeWritten();
    recorder->stop();
    EXPECT_FALSE(port.isOpen());
    EXPECT_EQ(port.written, disableLoggingCommand());
    // The frames stay for a late freeze; the next start begins a new window.
    EXPECT_EQ(recorder->freeze().frames, 1u);
    recorder->start();
    EXPECT_EQ(recorder->freeze().frames, 0u);
}

TEST_F(Recorder, TheRingBoundHolds) {
    make({"", 64 * 1024, {}});
    recorder->start();
    port.send(hdlcEncode(kSuccess));
    Bytes body(1000, 0x55);
    for (int i = 0; i < 200; ++i) port.send(hdlcEncode(logPacket(0xb0c0, uint64_t(i), body)));
    DmLogFreeze log = recorder->freeze();
    EXPECT_LE(log.qmdl.size(), 64u * 1024);
    EXPECT_GT(log.evictedFrames, 0u);
}

}  // namespace
}  // namespace dialupd
