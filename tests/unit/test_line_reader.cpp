// SPDX-License-Identifier: GPL-2.0-or-later
#include "sys/line_reader.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sys/event_loop.h"

namespace dialupd {
namespace {

using ::testing::ElementsAre;

class LineReaderTest : public ::testing::Test {
protected:
    LineReaderTest() { EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0); }
    ~LineReaderTest() override {
        if (fds[0] >= 0) close(fds[0]);
        if (fds[1] >= 0) close(fds[1]);
    }
    void send(std::string_view text) { ASSERT_EQ(write(fds[1], text.data(), text.size()), ssize_t(text.size())); }
    void closeWriter() {
        close(fds[1]);
        fds[1] = -1;
    }
    int fds[2] = {-1, -1};
    std::vector<std::string> lines;
    LineReader reader{[this](std::string_view line) { lines.emplace_back(line); }};
};

TEST_F(LineReaderTest, SplitsOnNewlinesAndDropsCarriageReturns) {
    send("one\r\ntwo\nthr");
    EXPECT_EQ(reader.readFrom(fds[0]), LineReader::Result::Drained);
    EXPECT_THAT(lines, ElementsAre("one", "two"));
    send("ee\n");
    EXPECT_EQ(reader.readFrom(fds[0]), LineReader::Result::Drained);
    EXPECT_THAT(lines, ElementsAre("one", "two", "three"));
}

TEST_F(LineReaderTest, EndOfFileDeliversTheLastPartialLine) {
    send("partial");
    closeWriter();
    EXPECT_EQ(reader.readFrom(fds[0]), LineReader::Result::Closed);
    EXPECT_THAT(lines, ElementsAre("partial"));
}

TEST_F(LineReaderTest, EndlessLinesAreCut) {
    send(std::string(LineReader::kMaxLine * 2, 'x') + "\nnext\n");
    EXPECT_EQ(reader.readFrom(fds[0]), LineReader::Result::Drained);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].size(), LineReader::kMaxLine);
    EXPECT_EQ(lines[1], "next");
}

// 600 lines of 100 bytes: 60000 bytes, in the pipe at once (its capacity is 64 KiB).
std::string manyLines() {
    std::string text;
    for (int i = 0; i < 600; ++i) text += std::string(99, static_cast<char>('a' + i % 26)) + "\n";
    return text;
}

TEST_F(LineReaderTest, OneCallReadsAtMostItsBudget) {
    send(manyLines());
    EXPECT_EQ(reader.readFrom(fds[0]), LineReader::Result::MoreLeft);
    int left = 0;
    ASSERT_EQ(ioctl(fds[0], FIONREAD, &left), 0);
    EXPECT_EQ(static_cast<size_t>(left), 60000 - LineReader::kBytesPerWakeup);
    EXPECT_EQ(lines.size(), LineReader::kBytesPerWakeup / 100);
    // Later calls go on where it stopped.
    while (reader.readFrom(fds[0]) == LineReader::Result::MoreLeft) {
    }
    ASSERT_EQ(lines.size(), 600u);
    EXPECT_EQ(lines.back(), std::string(99, static_cast<char>('a' + 599 % 26)));
}

TEST_F(LineReaderTest, ALargerBudgetReadsEverythingThatIsThere) {
    // What pppd's runner does once pppd has exited: all it left, not one wakeup's worth.
    send(manyLines());
    EXPECT_EQ(reader.readFrom(fds[0], 1 << 20), LineReader::Result::Drained);
    EXPECT_EQ(lines.size(), 600u);
    send("tail");
    closeWriter();
    EXPECT_EQ(reader.readFrom(fds[0], 1 << 20), LineReader::Result::Closed);
    EXPECT_EQ(lines.back(), "tail");
}

// A peer that writes without pause (a modem flooding its AT port) while another source gets
// one line: the other line is served after a few wakeups' worth of the flood, not after the
// whole flood (which would hold the loop for as long as the peer keeps ahead of us).
TEST(LineReaderFlood, OtherSourcesAreServedWhileAPeerFloods) {
    std::signal(SIGPIPE, SIG_IGN);
    int flood[2], quiet[2];
    ASSERT_EQ(pipe2(flood, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(quiet, O_NONBLOCK | O_CLOEXEC), 0);
    ASSERT_EQ(fcntl(flood[0], F_SETFL, O_NONBLOCK), 0);
    // Finite, so that the test ends even where the flood starves the rest.
    constexpr size_t kFloodBytes = 2 << 20;
    // The other line is written once this much of the flood is out: the pipe holds 64 KiB, so
    // the loop is by then reading the flood.
    constexpr size_t kHelloAfter = 256 << 10;
    std::thread writer([&] {
        std::string block;
        while (block.size() < 4096) block += std::string(63, 'x') + "\n";
        bool helloSent = false;
        for (size_t sent = 0; sent < kFloodBytes;) {
            ssize_t count = ::write(flood[1], block.data(), block.size());
            if (count <= 0) break;
            sent += static_cast<size_t>(count);
            if (!helloSent && sent >= kHelloAfter) helloSent = ::write(quiet[1], "hello\n", 6) == 6;
        }
        ::close(flood[1]);
    });

    EventLoop loop;
    size_t floodBytes = 0;
    std::optional<size_t> floodBytesBeforeHello;
    // Each line costs the reader some work (the AT snapshot's, say), so the writer stays ahead.
    LineReader floodLines([&](std::string_view line) {
        floodBytes += line.size() + 1;
        std::this_thread::sleep_for(std::chrono::microseconds(20));
    });
    LineReader quietLines([&](std::string_view) { floodBytesBeforeHello = floodBytes; });
    std::unique_ptr<EventSource> floodWatch;
    floodWatch = loop.watchFd(flood[0], EPOLLIN, [&](uint32_t) {
        if (floodLines.readFrom(flood[0]) == LineReader::Result::Closed) floodWatch.reset();
    });
    auto quietWatch = loop.watchFd(quiet[0], EPOLLIN, [&](uint32_t) { quietLines.readFrom(quiet[0]); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!floodBytesBeforeHello && std::chrono::steady_clock::now() < deadline) sd_event_run(loop.get(), 100'000);
    ASSERT_TRUE(floodBytesBeforeHello) << "the other line never came";
    // A few wakeups' worth (16 KiB each) at most; without a budget, all of the 2 MiB.
    EXPECT_LE(*floodBytesBeforeHello, kHelloAfter + (256 << 10))
        << "the flood held the loop while the other source waited";
    floodWatch.reset();
    ::close(flood[0]);  // the writer, if still writing, gets EPIPE and stops
    writer.join();
    ::close(quiet[0]);
    ::close(quiet[1]);
}

}  // namespace
}  // namespace dialupd
