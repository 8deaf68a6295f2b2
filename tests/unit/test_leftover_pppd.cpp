// SPDX-License-Identifier: GPL-2.0-or-later
// Link pid files: a stale one is removed; what is not a regular file is neither followed, nor
// waited on, nor removed.
#include "sys/leftover_pppd.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace dialupd {
namespace {

class LeftoverPppdTest : public ::testing::Test {
protected:
    LeftoverPppdTest() : dir(::testing::TempDir() + "/dialupd-pids-" + std::to_string(::getpid())) {
        std::filesystem::create_directories(dir);
    }
    ~LeftoverPppdTest() override { std::filesystem::remove_all(dir); }
    std::string dir;
};

TEST_F(LeftoverPppdTest, AStalePidFileIsRemoved) {
    std::ofstream(dir + "/ppp-dialupd-m0.pid") << ::getpid() << "\n";  // alive, but not a pppd
    std::ofstream(dir + "/ppp-dialupd-m1.pid") << "4000000\n";         // above pid_max
    std::ofstream(dir + "/ppp-dialupd-m2.pid") << "99999999999999999999\n";
    EXPECT_TRUE(findLeftoverPppd(dir).empty());
    EXPECT_FALSE(std::filesystem::exists(dir + "/ppp-dialupd-m0.pid"));
    EXPECT_FALSE(std::filesystem::exists(dir + "/ppp-dialupd-m1.pid"));
    EXPECT_FALSE(std::filesystem::exists(dir + "/ppp-dialupd-m2.pid"));
}

TEST_F(LeftoverPppdTest, WhatIsNotARegularFileIsLeftAloneWithoutBlocking) {
    ASSERT_EQ(::mkfifo((dir + "/ppp-dialupd-fifo.pid").c_str(), 0600), 0);
    std::filesystem::create_symlink("/dev/zero", dir + "/ppp-dialupd-zero.pid");
    std::filesystem::create_directory(dir + "/ppp-dialupd-dir.pid");
    {
        std::ofstream(dir + "/ppp-dialupd-big.pid").close();
        ASSERT_EQ(::truncate((dir + "/ppp-dialupd-big.pid").c_str(), off_t(1) << 30), 0);
    }
    EXPECT_TRUE(findLeftoverPppd(dir).empty());
    for (const char* name : {"fifo", "zero", "dir", "big"})
        EXPECT_TRUE(std::filesystem::symlink_status(dir + "/ppp-dialupd-" + name + ".pid").type() !=
                    std::filesystem::file_type::not_found)
            << name << " was removed unread";
}

}  // namespace
}  // namespace dialupd
