// SPDX-License-Identifier: GPL-2.0-or-later
// AT ports on real ptys: raw lines in and out, the UUCP lock (ours, someone else's, a stale
// one), an absent port, and a port that hangs up.
#include "sys/tty_at_port.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <pty.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

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
    // Turns the loop until `done()` (sd_event_run: run()/exit() end a loop for good), for a
    // minute at most: what is awaited comes at once, unless the code is wrong.
    template <typename Done>
    void runUntil(Done done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!done() && std::chrono::steady_clock::now() < deadline) sd_event_run(loop.get(), 10'000);
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
    EXPECT_EQ(readMaster(), "AT+CSQ\r");  // written before send() returns
    std::string answer = "\r\n+CSQ: 24,99\r\n\r\nOK\r\n";
    ASSERT_EQ(::write(master, answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
    runUntil([&] { return observer.lines.size() >= 4; });
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

// /run/lock is writable by every user: what they put at the lock's path must neither block us,
// nor become our terminal, nor be removed; the port is then not usable for now.
TEST_F(TtyAtPortTest, WhatIsNotALockFileAtTheLocksPathIsLeftAloneAndThePortNotUsed) {
    int otherMaster = -1, otherSlave = -1;
    char otherPty[64];
    ASSERT_EQ(::openpty(&otherMaster, &otherSlave, otherPty, nullptr, nullptr), 0);
    struct Case {
        const char* name;
        std::function<void()> make;
        const char* why;
    };
    std::vector<Case> cases = {
        {"FIFO", [&] { ASSERT_EQ(::mkfifo(lockFile.c_str(), 0666), 0); }, "is a FIFO, not a regular file"},
        {"symlink to a pty", [&] { std::filesystem::create_symlink(otherPty, lockFile); }, "is a symbolic link"},
        {"symlink to /dev/zero", [&] { std::filesystem::create_symlink("/dev/zero", lockFile); }, "is a symbolic link"},
        {"directory", [&] { std::filesystem::create_directory(lockFile); }, "is a directory"},
        {"1 GiB sparse file",
         [&] {
             std::ofstream(lockFile).close();
             ASSERT_EQ(::truncate(lockFile.c_str(), off_t(1) << 30), 0);
         },
         "1073741824 bytes"},
    };
    for (const Case& hostile : cases) {
        SCOPED_TRACE(hostile.name);
        hostile.make();
        try {
            opener.open(path, observer);
            ADD_FAILURE() << "opened the port past a " << hostile.name;
        } catch (const AtPortError& error) {
            EXPECT_EQ(error.kind(), AtPortError::Kind::Failed);
            EXPECT_THAT(error.what(), HasSubstr("cannot tell who holds the port"));
            EXPECT_THAT(error.what(), HasSubstr(hostile.why));
        }
        struct stat info {};
        EXPECT_EQ(::lstat(lockFile.c_str(), &info), 0) << "removed something it had not read";
        std::filesystem::remove(lockFile);
    }
    ::close(otherMaster);
    ::close(otherSlave);
}

TEST_F(TtyAtPortTest, AnEmptyLockIsOneBeingTaken) {
    std::ofstream(lockFile).close();  // created (O_EXCL), its pid not written yet
    try {
        opener.open(path, observer);
        FAIL() << "took a lock someone is taking";
    } catch (const AtPortError& error) {
        EXPECT_EQ(error.kind(), AtPortError::Kind::Busy);
        EXPECT_THAT(error.what(), HasSubstr("holds no pid yet"));
    }
    EXPECT_TRUE(std::filesystem::exists(lockFile));
}

TEST_F(TtyAtPortTest, ALockWithoutADigitIsStaleAsPppdReadsIt) {
    std::ofstream(lockFile) << "garbage\n";  // pppd's atoi: 0, nobody
    auto channel = opener.open(path, observer);
    std::ifstream lock(lockFile);
    long pid = 0;
    lock >> pid;
    EXPECT_EQ(pid, ::getpid());
}

TEST_F(TtyAtPortTest, OurLockReplacedBySomeoneElseIsNotRemoved) {
    {
        auto channel = opener.open(path, observer);
        std::filesystem::remove(lockFile);
        std::ofstream(lockFile) << "         1\n";  // not ours any more
    }
    EXPECT_TRUE(std::filesystem::exists(lockFile)) << "removed a lock that was not ours";
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
    runUntil([&] { return !observer.closed.empty(); });
    EXPECT_FALSE(observer.closed.empty());
}

}  // namespace
}  // namespace dialupd
