#include "sys/line_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dialupd {
namespace {

using ::testing::ElementsAre;

class LineReaderTest : public ::testing::Test {
protected:
    LineReaderTest() {
        EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    }
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
    EXPECT_TRUE(reader.readFrom(fds[0]));
    EXPECT_THAT(lines, ElementsAre("one", "two"));
    send("ee\n");
    EXPECT_TRUE(reader.readFrom(fds[0]));
    EXPECT_THAT(lines, ElementsAre("one", "two", "three"));
}

TEST_F(LineReaderTest, EndOfFileDeliversTheLastPartialLine) {
    send("partial");
    closeWriter();
    EXPECT_FALSE(reader.readFrom(fds[0]));
    EXPECT_THAT(lines, ElementsAre("partial"));
}

TEST_F(LineReaderTest, EndlessLinesAreCut) {
    send(std::string(LineReader::kMaxLine * 2, 'x') + "\nnext\n");
    EXPECT_TRUE(reader.readFrom(fds[0]));
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].size(), LineReader::kMaxLine);
    EXPECT_EQ(lines[1], "next");
}

}  // namespace
}  // namespace dialupd
