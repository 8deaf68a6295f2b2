// SPDX-License-Identifier: GPL-2.0-or-later
// readSmallFile against what another user can put where we expect a small file: each is a named
// failure, at once, with nothing opened that could block or become our terminal.
#include "sys/safe_file.h"

#include <fcntl.h>
#include <pty.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace dialupd {
namespace {

using ::testing::HasSubstr;

class SafeFileTest : public ::testing::Test {
protected:
    SafeFileTest() : dir(::testing::TempDir() + "/dialupd-safe-file-" + std::to_string(::getpid())) {
        std::filesystem::create_directories(dir);
        path = dir + "/LCK..ttyUSB2";
    }
    ~SafeFileTest() override { std::filesystem::remove_all(dir); }

    std::string dir;
    std::string path;
};

TEST_F(SafeFileTest, ARegularFileIsRead) {
    std::ofstream(path) << "      1234\n";
    SmallFile file = readSmallFile(path, 128);
    ASSERT_TRUE(file) << file.why;
    EXPECT_EQ(file.content, "      1234\n");
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(file.inode, info.st_ino);
    EXPECT_EQ(file.device, info.st_dev);
}

TEST_F(SafeFileTest, NothingThereIsAbsent) { EXPECT_EQ(readSmallFile(path, 128).failure, SmallFile::Failure::Absent); }

TEST_F(SafeFileTest, AFifoIsRefusedWithoutBlocking) {
    ASSERT_EQ(::mkfifo(path.c_str(), 0666), 0);
    SmallFile file = readSmallFile(path, 128);
    EXPECT_EQ(file.failure, SmallFile::Failure::NotRegularFile);
    EXPECT_THAT(file.why, HasSubstr("is a FIFO"));
}

TEST_F(SafeFileTest, ASymlinkIsNotFollowed) {
    std::ofstream(dir + "/target") << "1\n";
    std::filesystem::create_symlink(dir + "/target", path);
    EXPECT_EQ(readSmallFile(path, 128).failure, SmallFile::Failure::Symlink);
    std::filesystem::remove(path);
    std::filesystem::create_symlink("/dev/zero", path);
    EXPECT_EQ(readSmallFile(path, 128).failure, SmallFile::Failure::Symlink);
}

TEST_F(SafeFileTest, ASymlinkToATtyIsNeitherFollowedNorOurTerminal) {
    int master = -1, slave = -1;
    char name[64];
    ASSERT_EQ(::openpty(&master, &slave, name, nullptr, nullptr), 0);
    std::filesystem::create_symlink(name, path);
    EXPECT_EQ(readSmallFile(path, 128).failure, SmallFile::Failure::Symlink);
    ::close(master);
    ::close(slave);
}

TEST_F(SafeFileTest, ADirectoryOrADeviceIsRefused) {
    std::filesystem::create_directory(path);
    SmallFile file = readSmallFile(path, 128);
    EXPECT_EQ(file.failure, SmallFile::Failure::NotRegularFile);
    EXPECT_THAT(file.why, HasSubstr("is a directory"));
    EXPECT_EQ(readSmallFile("/dev/zero", 128).failure, SmallFile::Failure::NotRegularFile);
    EXPECT_EQ(readSmallFile("/dev/null", 128).failure, SmallFile::Failure::NotRegularFile);
}

TEST_F(SafeFileTest, AHugeSparseFileIsRefusedUnread) {
    { std::ofstream touch(path); }
    ASSERT_EQ(::truncate(path.c_str(), off_t(1) << 30), 0);
    SmallFile file = readSmallFile(path, 128);
    EXPECT_EQ(file.failure, SmallFile::Failure::TooLarge);
    EXPECT_THAT(file.why, HasSubstr("1073741824 bytes"));
    EXPECT_TRUE(file.content.empty());
}

TEST_F(SafeFileTest, CutKeepsTheStartOfALargerFile) {
    std::ofstream(path) << std::string(1000, 'x');
    SmallFile file = readSmallFile(path, 100, SmallFile::Oversize::Cut);
    ASSERT_TRUE(file);
    EXPECT_EQ(file.content, std::string(100, 'x'));
    EXPECT_EQ(readSmallFile(path, 100).failure, SmallFile::Failure::TooLarge);
    EXPECT_TRUE(readSmallFile(path, 1000));
}

TEST_F(SafeFileTest, ProcFilesThatSaySizeZeroAreStillBounded) {
    SmallFile comm = readSmallFile("/proc/self/comm", 64);
    ASSERT_TRUE(comm) << comm.why;
    EXPECT_FALSE(comm.content.empty());
    // /proc/self/maps of a test binary is more than 16 bytes while it says size 0.
    EXPECT_EQ(readSmallFile("/proc/self/maps", 16).failure, SmallFile::Failure::TooLarge);
    EXPECT_EQ(readSmallFile("/proc/self/maps", 16, SmallFile::Oversize::Cut).content.size(), 16u);
}

TEST_F(SafeFileTest, AnUnreadableFileSaysWhy) {
    if (::geteuid() == 0) GTEST_SKIP() << "root reads everything";
    std::ofstream(path) << "1\n";
    ::chmod(path.c_str(), 0);
    SmallFile file = readSmallFile(path, 128);
    EXPECT_EQ(file.failure, SmallFile::Failure::Unreadable);
    EXPECT_THAT(file.why, HasSubstr("Permission denied"));
}

}  // namespace
}  // namespace dialupd
