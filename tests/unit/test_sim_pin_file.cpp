// SPDX-License-Identifier: GPL-2.0-or-later
// The sim-pin-file as the daemon reads it: its first line when only its owner can read it, a
// named refusal (never quoting the file) otherwise.
#include "sys/sim_pin_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.h"

namespace dialupd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SimPinFileTest : public ::testing::Test {
protected:
    SimPinFileTest() {
        dir = std::filesystem::temp_directory_path() / ("dialupd-pin-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        path = (dir / "modem.pin").string();
    }
    ~SimPinFileTest() override { std::filesystem::remove_all(dir); }
    void write(const std::string& content, mode_t mode) {
        std::filesystem::remove(path);
        std::ofstream(path) << content;
        ::chmod(path.c_str(), mode);
    }
    std::string refusal() {
        try {
            readSimPinFile(path);
        } catch (const Error& error) {
            EXPECT_STREQ(error.name(), error_name::kSimPinRequired);
            return error.what();
        }
        return "";
    }
    std::filesystem::path dir;
    std::string path;
};

TEST_F(SimPinFileTest, ReadsTheFirstLineOfAPrivateFile) {
    write("1234\n", 0600);
    EXPECT_EQ(readSimPinFile(path).value(), "1234");
    write("87654321\r\nsecond line\n", 0400);
    EXPECT_EQ(readSimPinFile(path).value(), "87654321");
    write("4321", 0600);
    EXPECT_EQ(readSimPinFile(path).value(), "4321");
}

TEST_F(SimPinFileTest, AFileOthersCanReadIsNotRead) {
    write("1234\n", 0644);
    EXPECT_THAT(refusal(), HasSubstr("can be read or written by other users (mode 0644)"));
    write("1234\n", 0620);
    EXPECT_THAT(refusal(), HasSubstr("mode 0620"));
}

TEST_F(SimPinFileTest, WhatIsNoPinIsRefusedWithoutQuotingIt) {
    for (const char* content : {"12\n", "123456789\n", "12a4\n", "\n", "", "secretword\n"}) {
        write(content, 0600);
        std::string why = refusal();
        EXPECT_THAT(why, HasSubstr("does not hold a PIN")) << content;
        EXPECT_THAT(why, Not(HasSubstr("secretword")));
    }
}

TEST_F(SimPinFileTest, AMissingFileOrASymlinkIsRefused) {
    EXPECT_THAT(refusal(), HasSubstr("cannot be used"));
    write("1234\n", 0600);
    std::string link = (dir / "link.pin").string();
    std::filesystem::create_symlink(path, link);
    path = link;
    EXPECT_THAT(refusal(), HasSubstr("symbolic link"));
}

}  // namespace
}  // namespace dialupd
