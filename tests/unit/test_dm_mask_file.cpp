// SPDX-License-Identifier: GPL-2.0-or-later
// dm-mask-file as read at start: a good file's frames, and every refusal named (a symlink, not
// a regular file, writable by others, not DIAG frames).
#include "sys/dm_mask_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/diag_hdlc.h"

namespace dialupd {
namespace {

using ::testing::HasSubstr;

class DmMaskFileTest : public ::testing::Test {
protected:
    DmMaskFileTest() : dir(::testing::TempDir() + "/dialupd-mask-" + std::to_string(::getpid())) {
        std::filesystem::create_directories(dir);
    }
    ~DmMaskFileTest() override { std::filesystem::remove_all(dir); }
    std::string write(const std::string& name, const std::vector<uint8_t>& content, mode_t mode = 0644) {
        std::string path = dir + "/" + name;
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
        ::chmod(path.c_str(), mode);
        return path;
    }
    std::string dir;
    std::vector<std::vector<uint8_t>> commands;
};

TEST_F(DmMaskFileTest, AGoodFileGivesItsFramesVerbatim) {
    std::vector<uint8_t> first = hdlcEncode(std::vector<uint8_t>{0x73, 0, 0, 0, 3, 0, 0, 0});
    std::vector<uint8_t> second = hdlcEncode(std::vector<uint8_t>{0x7d, 0x7e, 0x01});
    std::vector<uint8_t> content = first;
    content.insert(content.end(), second.begin(), second.end());
    EXPECT_EQ(readDmMaskFile(write("good.cfg", content), commands), "");
    ASSERT_EQ(commands.size(), 2u);
    EXPECT_EQ(commands[0], first);
    EXPECT_EQ(commands[1], second);
}

TEST_F(DmMaskFileTest, RefusalsAreNamed) {
    std::vector<uint8_t> good = hdlcEncode(std::vector<uint8_t>{0x73, 0, 0, 0, 0, 0, 0, 0});
    EXPECT_THAT(readDmMaskFile(write("open.cfg", good, 0666), commands),
                HasSubstr("writable by its group or by others"));
    EXPECT_TRUE(commands.empty());
    std::vector<uint8_t> broken = good;
    broken[1] ^= 0xff;
    EXPECT_THAT(readDmMaskFile(write("bad.cfg", broken), commands), HasSubstr("is not a DIAG mask file (bad-frame)"));
    EXPECT_THAT(readDmMaskFile(write("empty.cfg", {}), commands), HasSubstr("is not a DIAG mask file"));
    std::filesystem::create_symlink(dir + "/bad.cfg", dir + "/link.cfg");
    EXPECT_THAT(readDmMaskFile(dir + "/link.cfg", commands), HasSubstr("symbolic link"));
    EXPECT_THAT(readDmMaskFile(dir, commands), HasSubstr("a directory, not a regular file"));
    EXPECT_THAT(readDmMaskFile(dir + "/missing.cfg", commands), HasSubstr("cannot be opened"));
}

}  // namespace
}  // namespace dialupd
