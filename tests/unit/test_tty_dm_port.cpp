// SPDX-License-Identifier: GPL-2.0-or-later
// The DM port on real ptys, under the real event loop: commands out as they are, bytes in as
// they come, a busy (exclusively held) port, an absent one, a port that hangs up; and the
// recorder on top, its answer timer on the loop's clock.
#include "sys/tty_dm_port.h"

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "core/diag_hdlc.h"
#include "core/diag_log_config.h"

namespace dialupd {
namespace {

using ::testing::HasSubstr;

struct Bytes final : DmPortObserver {
    void dmBytes(std::span<const uint8_t> bytes) override { got.insert(got.end(), bytes.begin(), bytes.end()); }
    void dmClosed(std::string_view why) override { closed = std::string(why); }
    std::vector<uint8_t> got;
    std::string closed;
};

class TtyDmPortTest : public ::testing::Test {
protected:
    TtyDmPortTest() {
        char name[64];
        EXPECT_EQ(::openpty(&master, &slave, name, nullptr, nullptr), 0);
        path = name;
        ::close(slave);  // the port is the opener's alone
        slave = -1;
    }
    ~TtyDmPortTest() override {
        if (master >= 0) ::close(master);
    }
    template <typename Done>
    void runUntil(Done done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!done() && std::chrono::steady_clock::now() < deadline) sd_event_run(loop.get(), 10'000);
    }
    std::vector<uint8_t> readMaster() {
        uint8_t buffer[512];
        ssize_t count = ::read(master, buffer, sizeof buffer);
        return count > 0 ? std::vector<uint8_t>(buffer, buffer + count) : std::vector<uint8_t>{};
    }

    EventLoop loop;
    int master = -1;
    int slave = -1;
    std::string path;
    TtyDmPortOpener opener{loop};
    Bytes observer;
};

TEST_F(TtyDmPortTest, BytesGoOutAsTheyAreAndComeBackAsTheyCome) {
    auto channel = opener.open(path, observer);
    std::vector<uint8_t> command = disableLoggingCommand();
    ASSERT_TRUE(channel->write(command));
    EXPECT_EQ(readMaster(), command);  // raw: no CR added, 0x7E and 0x7D untouched
    std::vector<uint8_t> stream = hdlcEncode(std::vector<uint8_t>{0x73, 0x7e, 0x7d, 0x0a, 0x0d, 0x00});
    ASSERT_EQ(::write(master, stream.data(), stream.size()), static_cast<ssize_t>(stream.size()));
    runUntil([&] { return observer.got.size() >= stream.size(); });
    EXPECT_EQ(observer.got, stream);
}

TEST_F(TtyDmPortTest, AnAbsentPortIsNamedSo) {
    try {
        opener.open("/dev/dialupd-no-such-dm-port", observer);
        FAIL() << "opened";
    } catch (const DmPortError& error) {
        EXPECT_EQ(error.kind(), DmPortError::Kind::Absent);
    }
}

TEST_F(TtyDmPortTest, APortHeldExclusivelyIsBusy) {
    int other = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    ASSERT_GE(other, 0);
    ASSERT_EQ(::ioctl(other, TIOCEXCL), 0);
    if (::geteuid() == 0) {
        ::close(other);
        GTEST_SKIP() << "root opens a TIOCEXCL tty anyway";
    }
    try {
        opener.open(path, observer);
        ADD_FAILURE() << "opened";
    } catch (const DmPortError& error) {
        EXPECT_EQ(error.kind(), DmPortError::Kind::Busy);
    }
    ::close(other);
}

TEST_F(TtyDmPortTest, AHangupClosesTheChannel) {
    auto channel = opener.open(path, observer);
    ::close(master);
    master = -1;
    runUntil([&] { return !observer.closed.empty(); });
    EXPECT_FALSE(observer.closed.empty());
}

TEST_F(TtyDmPortTest, TheRecorderGivesUpOnASilentPortOnTheLoopsClock) {
    DmRecorder recorder({path, 64 * 1024, {}, std::chrono::milliseconds(200)}, opener, loop);
    recorder.start();
    ASSERT_TRUE(recorder.running());
    runUntil([&] { return !recorder.running(); });
    EXPECT_THAT(recorder.freeze().problem, HasSubstr("did not answer DIAG's log-config command"));
}

TEST_F(TtyDmPortTest, TheRecorderKeepsWhatTheModuleAnswers) {
    DmRecorder recorder({path, 64 * 1024, {}, std::chrono::seconds(30)}, opener, loop);
    recorder.start();
    std::vector<uint8_t> answer = hdlcEncode(std::vector<uint8_t>{0x73, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0});
    ASSERT_EQ(::write(master, answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
    runUntil([&] { return recorder.answered(); });
    EXPECT_TRUE(recorder.answered());
    recorder.stop();
    EXPECT_EQ(recorder.freeze().qmdl, answer);
}

}  // namespace
}  // namespace dialupd
