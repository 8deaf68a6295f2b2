// SPDX-License-Identifier: GPL-2.0-or-later
// Call logs on disk: the format, file modes, pruning to the newest N, and files that are not
// ours.
#include "sys/file_call_log_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace dialupd {
namespace {

using ::testing::HasSubstr;

class FileCallLogStoreTest : public ::testing::Test {
protected:
    FileCallLogStoreTest() : state(::testing::TempDir() + "/dialupd-state-" + std::to_string(::getpid())) {}
    ~FileCallLogStoreTest() override { std::filesystem::remove_all(state); }

    static CallRecord record(uint64_t started, uint32_t code) {
        CallRecord call;
        call.startedAtUsec = started;
        call.durationUsec = 5'500'000;
        call.bytesIn = 168;
        call.bytesOut = 170;
        call.reason = {code, "hangup", "the modem hung up"};
        call.text = "== call ==\nline one\n\nline after a blank\n";
        return call;
    }
    static mode_t modeOf(const std::string& path) {
        struct stat info {};
        ::stat(path.c_str(), &info);
        return info.st_mode & 07777;
    }

    std::string state;
};

TEST_F(FileCallLogStoreTest, RoundTripsNewestFirstWithPrivateModes) {
    FileCallLogStore store(state, 10, 1 << 20);
    store.save("ec25", record(1000, 8));
    store.save("ec25", record(2000, 16));
    auto calls = store.load("ec25", 10);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].startedAtUsec, 2000u);
    EXPECT_EQ(calls[0].reason, (ExitReason{16, "hangup", "the modem hung up"}));
    EXPECT_EQ(calls[0].bytesIn, 168u);
    EXPECT_EQ(calls[0].durationUsec, 5'500'000u);
    EXPECT_EQ(calls[0].text, record(0, 0).text);
    EXPECT_EQ(calls[1].startedAtUsec, 1000u);
    EXPECT_EQ(modeOf(state), 0700u);
    EXPECT_EQ(modeOf(state + "/calls/ec25"), 0700u);
    EXPECT_EQ(modeOf(state + "/calls/ec25/2000.log"), 0600u);
    EXPECT_EQ(store.load("ec25", 1).size(), 1u);
    EXPECT_TRUE(store.load("other", 10).empty());
}

TEST_F(FileCallLogStoreTest, KeepsOnlyTheNewest) {
    FileCallLogStore store(state, 3, 1 << 20);
    for (uint64_t started : {5, 10, 999, 1000, 20}) store.save("m0", record(started, 16));
    auto calls = store.load("m0", 10);
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(calls[0].startedAtUsec, 1000u);  // numeric order, not text order
    EXPECT_EQ(calls[1].startedAtUsec, 999u);
    EXPECT_EQ(calls[2].startedAtUsec, 20u);
}

TEST_F(FileCallLogStoreTest, SurvivesARestart) {
    FileCallLogStore(state, 10, 1 << 20).save("m0", record(42, 15));
    EXPECT_EQ(FileCallLogStore(state, 10, 1 << 20).load("m0", 10).at(0).reason.code, 15u);
}

TEST_F(FileCallLogStoreTest, ForeignFilesAreSkippedAndBigOnesCut) {
    FileCallLogStore store(state, 10, 200);
    store.save("m0", record(1, 16));
    std::ofstream(state + "/calls/m0/2.log") << "not a call log";
    std::ofstream(state + "/calls/m0/notes.txt") << "ignored";
    CallRecord big = record(3, 16);
    big.text = std::string(10000, 'x');
    store.save("m0", big);
    auto calls = store.load("m0", 10);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_LT(calls[0].text.size(), 200u);
    EXPECT_EQ(calls[1].startedAtUsec, 1u);
}

TEST_F(FileCallLogStoreTest, WhatIsNotARegularFileIsSkippedWithoutBlocking) {
    FileCallLogStore store(state, 10, 1 << 20);
    store.save("m0", record(1, 16));
    std::string dir = state + "/calls/m0/";
    ASSERT_EQ(::mkfifo((dir + "2.log").c_str(), 0600), 0);  // would block a plain open
    std::filesystem::create_symlink(dir + "1.log", dir + "3.log");
    std::filesystem::create_symlink("/dev/zero", dir + "4.log");
    std::filesystem::create_directory(dir + "5.log");
    auto calls = store.load("m0", 10);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].startedAtUsec, 1u);
}

TEST_F(FileCallLogStoreTest, ReadsBackNoMoreThanOneBusMessageCarries) {
    // GetCallLogs answers in one D-Bus message, and dbus-daemon cuts off a sender whose message
    // is over its limit (32 MiB on the system bus). Three kept calls of 11 MiB (call-log-size
    // may be up to 16 MiB): the newest two come back.
    FileCallLogStore store(state, 10, (16 << 20) + 64 * 1024);
    for (uint64_t started : {1, 2, 3}) {
        CallRecord big = record(started, 16);
        big.text = std::string(11 << 20, 'x');
        store.save("m0", big);
    }
    auto calls = store.load("m0", 10);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].startedAtUsec, 3u);
    EXPECT_EQ(calls[1].startedAtUsec, 2u);
    EXPECT_EQ(calls[0].text.size(), 11u << 20);
    EXPECT_EQ(store.load("m0", 1).size(), 1u);
}

TEST_F(FileCallLogStoreTest, KeepingNoneWritesNothing) {
    FileCallLogStore(state, 0, 1 << 20).save("m0", record(1, 16));
    EXPECT_FALSE(std::filesystem::exists(state));
}

TEST_F(FileCallLogStoreTest, ADmLogSitsBesideItsRecordPrivateAndGoesWithIt) {
    FileCallLogStore store(state, 2, 1 << 20);
    const std::vector<uint8_t> qmdl = {0x73, 0x00, 0x7d, 0x5e, 0x7e};
    std::string why;
    std::string path = store.saveDmLog("ec25", 1000, qmdl, why);
    EXPECT_EQ(path, state + "/calls/ec25/1000.qmdl");
    EXPECT_EQ(why, "");
    EXPECT_EQ(modeOf(path), 0600u);
    std::ifstream file(path, std::ios::binary);
    std::vector<uint8_t> back((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_EQ(back, qmdl);
    store.save("ec25", record(1000, 16));
    // Read back as text: only the record, never the DM log.
    ASSERT_EQ(store.load("ec25", 10).size(), 1u);
    store.save("ec25", record(2000, 16));
    EXPECT_TRUE(std::filesystem::exists(path));
    store.save("ec25", record(3000, 16));  // the record of 1000 is pruned: its DM log with it
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::exists(state + "/calls/ec25/1000.log"));
}

TEST_F(FileCallLogStoreTest, TheSizeBoundCountsDmLogsAndTheOldestCallsGoFirst) {
    const std::string dir = state + "/calls/ec25/";
    const uint64_t recordBytes = formatCallRecord(record(1000, 16)).size();
    const std::vector<uint8_t> qmdl(10'000, 0x7e);
    // Room for two calls with their DM logs, not three; the count (10) never binds here.
    FileCallLogStore store(state, 10, 1 << 20, 2 * (recordBytes + qmdl.size()) + 100);
    std::string why;
    for (uint64_t started : {1000, 2000}) {
        ASSERT_NE(store.saveDmLog("ec25", started, qmdl, why), "") << why;
        store.save("ec25", record(started, 16));
    }
    EXPECT_TRUE(std::filesystem::exists(dir + "1000.qmdl"));
    // The third call's DM log comes before its record (the Hangup's snapshot is between them):
    // already it takes the oldest call over the bound, record and DM log together.
    ASSERT_NE(store.saveDmLog("ec25", 3000, qmdl, why), "") << why;
    EXPECT_FALSE(std::filesystem::exists(dir + "1000.qmdl"));
    EXPECT_FALSE(std::filesystem::exists(dir + "1000.log"));
    EXPECT_TRUE(std::filesystem::exists(dir + "2000.qmdl"));
    store.save("ec25", record(3000, 16));
    EXPECT_TRUE(std::filesystem::exists(dir + "3000.qmdl"));
    ASSERT_EQ(store.load("ec25", 10).size(), 2u);
    // Calls without a DM log are small: many fit where the DM logs were.
    for (uint64_t started = 4000; started < 9000; started += 1000) store.save("ec25", record(started, 16));
    EXPECT_EQ(store.load("ec25", 10).size(), 6u);  // 3000 to 8000: 2000 went for the bound
    EXPECT_FALSE(std::filesystem::exists(dir + "2000.qmdl")) << "the oldest DM logs went first";
    uint64_t total = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) total += entry.file_size();
    EXPECT_LE(total, 2 * (recordBytes + qmdl.size()) + 100);
}

TEST_F(FileCallLogStoreTest, TheNewestCallStaysWhateverItsSize) {
    FileCallLogStore store(state, 10, 1 << 20, 100);
    std::string why;
    store.save("ec25", record(1000, 16));
    ASSERT_NE(store.saveDmLog("ec25", 2000, std::vector<uint8_t>(1000, 0x7e), why), "") << why;
    store.save("ec25", record(2000, 16));
    EXPECT_TRUE(std::filesystem::exists(state + "/calls/ec25/2000.qmdl"));
    ASSERT_EQ(store.load("ec25", 10).size(), 1u);
    EXPECT_EQ(store.load("ec25", 10)[0].startedAtUsec, 2000u);
}

TEST_F(FileCallLogStoreTest, ADmLogWithoutItsRecordGoesOnceOlderThanEveryRecord) {
    FileCallLogStore store(state, 1, 1 << 20);  // one record kept: the first one makes the count
    const std::string dir = state + "/calls/ec25/";
    std::string why;
    ASSERT_NE(store.saveDmLog("ec25", 1000, std::vector<uint8_t>{0x7e}, why), "");  // its record never comes
    EXPECT_TRUE(std::filesystem::exists(dir + "1000.qmdl")) << "no record yet: it may still come";
    store.save("ec25", record(2000, 16));
    EXPECT_FALSE(std::filesystem::exists(dir + "1000.qmdl")) << "older than every record kept, and keep reached";
    // A DM log newer than the records waits for its own (a redial's end can come before the
    // last Hangup's record is written).
    ASSERT_NE(store.saveDmLog("ec25", 4000, std::vector<uint8_t>{0x7e}, why), "");
    store.save("ec25", record(3000, 16));
    EXPECT_TRUE(std::filesystem::exists(dir + "4000.qmdl"));
    // Files that are not ours are neither counted nor removed.
    std::ofstream(dir + "notes.qmdl") << "mine";
    store.save("ec25", record(4000, 16));
    EXPECT_TRUE(std::filesystem::exists(dir + "notes.qmdl"));
    EXPECT_TRUE(std::filesystem::exists(dir + "4000.qmdl"));
    EXPECT_FALSE(std::filesystem::exists(dir + "2000.log")) << "the count bound still holds";
}

TEST_F(FileCallLogStoreTest, ADmLogIsNotWrittenThroughASymlink) {
    FileCallLogStore store(state, 2, 1 << 20);
    std::filesystem::create_directories(state + "/calls/ec25");
    std::string target = state + "/elsewhere";
    std::filesystem::create_symlink(target, state + "/calls/ec25/1000.qmdl.new");
    std::string why;
    std::string path = store.saveDmLog("ec25", 1000, std::vector<uint8_t>{1, 2}, why);
    // The leftover is unlinked, not followed; the file is written in its own right.
    EXPECT_EQ(path, state + "/calls/ec25/1000.qmdl");
    EXPECT_FALSE(std::filesystem::exists(target));
    EXPECT_FALSE(std::filesystem::is_symlink(path));
}

TEST_F(FileCallLogStoreTest, KeepingNoneKeepsNoDmLog) {
    FileCallLogStore store(state, 0, 1 << 20);
    std::string why;
    EXPECT_EQ(store.saveDmLog("ec25", 1000, std::vector<uint8_t>{1, 2}, why), "");
    EXPECT_EQ(why, "call-logs-kept is 0");
    EXPECT_FALSE(std::filesystem::exists(state));
}

TEST_F(FileCallLogStoreTest, ListsRecordsAndDmLogsNewestFirst) {
    FileCallLogStore store(state, 5, 1 << 20);
    std::string why;
    store.save("ec25", record(900, 16));
    store.save("ec25", record(1000, 16));
    store.saveDmLog("ec25", 1000, std::vector<uint8_t>{1}, why);
    store.saveDmLog("ec25", 1100, std::vector<uint8_t>{2}, why);  // saved during a call: no record yet
    EXPECT_EQ(store.recordStarts("ec25"), (std::vector<uint64_t>{1000, 900}));
    EXPECT_EQ(store.dmLogStarts("ec25"), (std::vector<uint64_t>{1100, 1000}));
    EXPECT_EQ(store.recordStarts("other"), std::vector<uint64_t>{});
}

TEST_F(FileCallLogStoreTest, OpensAKeptDmLogReadOnly) {
    FileCallLogStore store(state, 2, 1 << 20);
    const std::vector<uint8_t> qmdl = {0x73, 0x00, 0x7d, 0x5e, 0x7e};
    std::string why;
    store.saveDmLog("ec25", 1000, qmdl, why);
    std::unique_ptr<KeptFile> file = store.openDmLog("ec25", 1000, why);
    ASSERT_TRUE(file) << why;
    EXPECT_EQ(file->size(), qmdl.size());
    EXPECT_EQ(file->path(), state + "/calls/ec25/1000.qmdl");
    const int flags = ::fcntl(file->fd(), F_GETFL);
    EXPECT_EQ(flags & O_ACCMODE, O_RDONLY);
    EXPECT_EQ(flags & O_NONBLOCK, 0);  // the caller's descriptor: blocking as any file's
    EXPECT_NE(::fcntl(file->fd(), F_GETFD) & FD_CLOEXEC, 0);
    std::vector<uint8_t> back(16);
    ASSERT_EQ(::pread(file->fd(), back.data(), back.size(), 0), static_cast<ssize_t>(qmdl.size()));
    back.resize(qmdl.size());
    EXPECT_EQ(back, qmdl);
    EXPECT_FALSE(store.openDmLog("ec25", 2000, why));
    EXPECT_THAT(why, HasSubstr("2000.qmdl: No such file or directory"));
}

TEST_F(FileCallLogStoreTest, ADmLogThatIsALinkOrAFifoIsNotOpened) {
    FileCallLogStore store(state, 2, 1 << 20);
    std::filesystem::create_directories(state + "/calls/ec25");
    std::string secret = state + "/secret";
    std::ofstream(secret) << "not a DM log";
    std::filesystem::create_symlink(secret, state + "/calls/ec25/1000.qmdl");
    ASSERT_EQ(::mkfifo((state + "/calls/ec25/2000.qmdl").c_str(), 0600), 0);
    std::string why;
    EXPECT_FALSE(store.openDmLog("ec25", 1000, why));
    EXPECT_THAT(why, HasSubstr("1000.qmdl: Too many levels of symbolic links"));
    EXPECT_FALSE(store.openDmLog("ec25", 2000, why));  // returns at once: O_NONBLOCK
    EXPECT_THAT(why, HasSubstr("2000.qmdl: not a regular file"));
}

TEST_F(FileCallLogStoreTest, ADmLogWhoseRecordNeverCameGoesOnceOlderThanTheKeptRecords) {
    FileCallLogStore store(state, 2, 1 << 20);
    std::string why;
    // Saved on request during call 500, whose daemon died before the call's end.
    std::string orphan = store.saveDmLog("ec25", 500, std::vector<uint8_t>{1}, why);
    store.save("ec25", record(1000, 16));
    EXPECT_TRUE(std::filesystem::exists(orphan));  // fewer records than kept: nothing is due yet
    // The running call's DM log, saved before its record, stays whatever is pruned.
    std::string running = store.saveDmLog("ec25", 3000, std::vector<uint8_t>{3}, why);
    store.save("ec25", record(2000, 16));
    EXPECT_FALSE(std::filesystem::exists(orphan));
    EXPECT_TRUE(std::filesystem::exists(running));
    EXPECT_EQ(store.dmLogStarts("ec25"), std::vector<uint64_t>{3000});
}

TEST(CallRecordFormat, RejectsTruncatedHeaders) {
    CallRecord parsed;
    EXPECT_FALSE(parseCallRecord("started-usec: 1\n", parsed));
    EXPECT_FALSE(parseCallRecord("garbage\n\ntext", parsed));
    CallRecord original;
    original.reason = {0, "none", ""};
    EXPECT_TRUE(parseCallRecord(formatCallRecord(original), parsed));
}

TEST(CallRecordFormat, WhatIsReadBackIsCleanText) {
    // A record from an older dialupd (which kept U+FFFE as it came) or edited by hand: GetCallLogs
    // once answered InvalidArgs for it until it rotated out.
    CallRecord parsed;
    ASSERT_TRUE(
        parseCallRecord("started-usec: 1\nduration-usec: 2\nreason-code: 16\n"
                        "reason-name: hang\x1b[2Jup\xef\xbf\xbe\nreason-description: \xff\xc2\x9b\r\n\n"
                        "line one \xef\xbf\xbe\n+CME ERROR: \xff\xfe\x1b]0;x\x07\nlast\r\n",
                        parsed));
    EXPECT_EQ(parsed.reason.code, 16u);
    EXPECT_EQ(parsed.reason.name, "hang\\x1b[2Jup\\u{FFFE}");
    EXPECT_EQ(parsed.reason.description, "\\xff\\u{009B}\\x0d");
    EXPECT_EQ(parsed.text, "line one \\u{FFFE}\n+CME ERROR: \\xff\\xfe\\x1b]0;x\\x07\nlast\\x0d\n");
}

}  // namespace
}  // namespace dialupd
