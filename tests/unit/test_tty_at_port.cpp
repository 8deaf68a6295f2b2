// AT ports on real ptys: raw lines in and out, the UUCP lock (ours, someone else's, a stale
// one), an absent port, and a port that hangs up.
#include "sys/tty_at_port.h"

#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace dialupd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct Lines final : AtChannelObserver {
    void atLine(std::string_view line) override { lines.emplace_back(line); }
    void atClosed(std::string_view why) override { closed = std::string(why); }
    std::vector<std::string> lines;
    std::string closed;
};

class TtyAtPortTest : public ::testing::Test {
protected:
    TtyAtPortTest() : lockDir(::testing::TempDir() + "/dialupd-locks-" + std::to_string(::getpid())) {
        std::filesystem::create_directories(lockDir);
        char name[64];
        EXPECT_EQ(::openpty(&master, &slave, name, nullptr, nullptr), 0);
        path = name;
        lockFile = lockDir + "/LCK.." + std::filesystem::path(path).filename().string();
    }
    ~TtyAtPortTest() override {
        if (master >= 0) ::close(master);
        ::close(slave);
        std::filesystem::remove_all(lockDir);
    }
    // Turns the loop for `span` (sd_event_run: run()/exit() end a loop for good).
    void run(std::chrono::milliseconds span) {
        auto deadline = std::chrono::steady_clock::now() + span;
        while (std::chrono::steady_clock::now() < deadline) sd_event_run(loop.get(), 10'000);
    }
    std::string readMaster() {
        char buffer[256];
        ssize_t count = ::read(master, buffer, sizeof buffer);
        return count > 0 ? std::string(buffer, static_cast<size_t>(count)) : "";
    }

    EventLoop loop;
    std::string lockDir;
    int master = -1;
    int slave = -1;
    std::string path;
    std::string lockFile;
    TtyAtPortOpener opener{loop, lockDir};
    Lines observer;
};

TEST_F(TtyAtPortTest, CommandsGoOutWithCrAndAnswersComeBackAsLines) {
    auto channel = opener.open(path, observer);
    channel->send("AT+CSQ");
    run(50ms);
    EXPECT_EQ(readMaster(), "AT+CSQ\r");
    std::string answer = "\r\n+CSQ: 24,99\r\n\r\nOK\r\n";
    ASSERT_EQ(::write(master, answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
    run(50ms);
    EXPECT_THAT(observer.lines, ElementsAre("", "+CSQ: 24,99", "", "OK"));
}

TEST_F(TtyAtPortTest, TheUucpLockIsOursWhileOpenAndGoneAfter) {
    {
        auto channel = opener.open(path, observer);
        std::ifstream lock(lockFile);
        long pid = 0;
        lock >> pid;
        EXPECT_EQ(pid, ::getpid());
    }
    EXPECT_FALSE(std::filesystem::exists(lockFile));
}

TEST_F(TtyAtPortTest, SomeoneElsesLockMakesThePortBusy) {
    std::ofstream(lockFile) << "         1\n";  // init is alive
    try {
        opener.open(path, observer);
        FAIL() << "opened a locked port";
    } catch (const AtPortError& error) {
        EXPECT_EQ(error.kind(), AtPortError::Kind::Busy);
        EXPECT_THAT(error.what(), HasSubstr("held by pid 1"));
    }
    EXPECT_TRUE(std::filesystem::exists(lockFile)) << "another's lock is left alone";
}

TEST_F(TtyAtPortTest, AStaleLockIsTakenOver) {
    std::ofstream(lockFile) << "   4000000\n";  // above pid_max: nobody
    auto channel = opener.open(path, observer);
    std::ifstream lock(lockFile);
    long pid = 0;
    lock >> pid;
    EXPECT_EQ(pid, ::getpid());
}

TEST_F(TtyAtPortTest, AnAbsentPortSaysSo) {
    try {
        opener.open("/dev/ttyUSB-not-there", observer);
        FAIL();
    } catch (const AtPortError& error) {
        EXPECT_EQ(error.kind(), AtPortError::Kind::Absent);
    }
    EXPECT_FALSE(std::filesystem::exists(lockDir + "/LCK..ttyUSB-not-there"));
}

TEST_F(TtyAtPortTest, AHangupClosesTheChannel) {
    auto channel = opener.open(path, observer);
    ::close(master);
    master = -1;
    run(50ms);
    EXPECT_FALSE(observer.closed.empty());
}

}  // namespace
}  // namespace dialupd
