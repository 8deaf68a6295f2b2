// SPDX-License-Identifier: GPL-2.0-or-later
// The counters' file on a real file system (0600 in a 0700 directory, replaced atomically, never
// through a link), and the live byte counters read from the real sysfs.
#include "sys/file_counters_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace dialupd {
namespace {

namespace fs = std::filesystem;

class FileCountersStoreTest : public ::testing::Test {
protected:
    FileCountersStoreTest() {
        char pattern[] = "/tmp/dialupd-counters-XXXXXX";
        root = ::mkdtemp(pattern);
    }
    ~FileCountersStoreTest() override { fs::remove_all(root); }
    std::string root;
};

TEST_F(FileCountersStoreTest, SavedTextReadsBackPrivately) {
    FileCountersStore store(root + "/state");
    std::string why;
    EXPECT_EQ(store.load("m0", why), std::nullopt);
    EXPECT_EQ(why, "") << "no file yet is no problem";
    store.save("m0", "dialupd-counters 1\n");
    EXPECT_EQ(store.load("m0", why), "dialupd-counters 1\n");
    struct stat info {};
    ASSERT_EQ(::stat((root + "/state/counters/m0").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((root + "/state/counters").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u);
    store.save("m0", "second\n");
    EXPECT_EQ(store.load("m0", why), "second\n");
    EXPECT_FALSE(fs::exists(root + "/state/counters/m0.new"));
}

TEST_F(FileCountersStoreTest, LinksAreNeitherReadNorWrittenThrough) {
    FileCountersStore store(root + "/state");
    store.save("m0", "first\n");
    const std::string target = root + "/target";
    std::ofstream(target) << "someone else's\n";
    fs::remove(root + "/state/counters/m0");
    fs::create_symlink(target, root + "/state/counters/m0");
    fs::create_symlink(target, root + "/state/counters/m0.new");
    std::string why;
    EXPECT_EQ(store.load("m0", why), std::nullopt);
    EXPECT_NE(why.find("symbolic link"), std::string::npos) << why;
    store.save("m0", "mine\n");
    EXPECT_FALSE(fs::is_symlink(root + "/state/counters/m0"));
    EXPECT_EQ(store.load("m0", why), "mine\n");
    std::ifstream kept(target);
    std::string line;
    std::getline(kept, line);
    EXPECT_EQ(line, "someone else's");
}

TEST(LinkBytes, TheLoopbacksCountersAreRead) {
    // sysfs gives every attribute a size of 4096: the reader must not take that for too large.
    std::optional<LinkBytes> bytes = readLinkBytes("lo");
    ASSERT_TRUE(bytes.has_value());
    std::ifstream rx("/sys/class/net/lo/statistics/rx_bytes");
    uint64_t now = 0;
    rx >> now;
    EXPECT_LE(bytes->in, now);
}

TEST(LinkBytes, OnlyInterfaceNamesAreLookedUp) {
    for (const char* name : {"", ".", "..", "../lo", "lo/..", "a_name_far_too_long_for_linux"})
        EXPECT_EQ(readLinkBytes(name), std::nullopt) << name;
    EXPECT_EQ(readLinkBytes("nosuch0"), std::nullopt);
}

}  // namespace
}  // namespace dialupd
