// SPDX-License-Identifier: GPL-2.0-or-later
#include "file_call_log_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/text.h"
#include "safe_file.h"
#include "unique_fd.h"

namespace dialupd {
namespace {

namespace fs = std::filesystem;

bool makePrivateDirectory(const std::string& path) {
    std::error_code error;
    fs::create_directories(path, error);
    if (error) {
        spdlog::error("call logs: cannot create {}: {}", path, error.message());
        return false;
    }
    ::chmod(path.c_str(), 0700);
    return true;
}

// "<digits><suffix>": a record (".log") or a DM log (".qmdl") of ours.
bool isKeptName(const std::string& name, std::string_view suffix) {
    const size_t digits = name.size() - std::min(name.size(), suffix.size());
    return digits > 0 && name.ends_with(suffix) &&
           std::all_of(name.begin(), name.begin() + static_cast<std::ptrdiff_t>(digits),
                       [](char c) { return c >= '0' && c <= '9'; });
}

class KeptFileFd final : public KeptFile {
public:
    KeptFileFd(UniqueFd fd, uint64_t size, std::string path)
        : fd_(std::move(fd)), size_(size), path_(std::move(path)) {}
    int fd() const override { return fd_.get(); }
    uint64_t size() const override { return size_; }
    const std::string& path() const override { return path_; }

private:
    UniqueFd fd_;
    uint64_t size_;
    std::string path_;
};

uint64_t number(const std::string& text) {
    uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

}  // namespace

std::string formatCallRecord(const CallRecord& record) {
    // Header values are single lines: descriptions come from our own exit-reason table.
    return fmt::format(
        "started-usec: {}\nduration-usec: {}\nbytes-in: {}\nbytes-out: {}\nreason-code: {}\n"
        "reason-name: {}\nreason-description: {}\nrequested: {}\n\n{}",
        record.startedAtUsec, record.durationUsec, record.bytesIn, record.bytesOut, record.reason.code,
        record.reason.name, record.reason.description, record.requested ? "yes" : "no", record.text);
}

bool parseCallRecord(const std::string& content, CallRecord& record) {
    size_t end = content.find("\n\n");
    if (end == std::string::npos) return false;
    std::map<std::string, std::string> header;
    std::istringstream lines(content.substr(0, end));
    for (std::string line; std::getline(lines, line);) {
        size_t colon = line.find(": ");
        if (colon == std::string::npos) return false;
        header[line.substr(0, colon)] = line.substr(colon + 2);
    }
    for (const char* key : {"started-usec", "duration-usec", "reason-code", "reason-name"})
        if (!header.count(key)) return false;
    record.startedAtUsec = number(header["started-usec"]);
    record.durationUsec = number(header["duration-usec"]);
    record.bytesIn = number(header["bytes-in"]);
    record.bytesOut = number(header["bytes-out"]);
    // A file read back is outside text like any other (edited by hand, from an older dialupd, a
    // disk error): what goes on to D-Bus is sanitized (core/text.h), header values as one line.
    record.reason = {static_cast<uint32_t>(number(header["reason-code"])), sanitizeText(header["reason-name"]),
                     sanitizeText(header["reason-description"])};
    record.requested = header["requested"] == "yes";
    record.text = sanitizeMultilineText(std::string_view(content).substr(end + 2));
    return true;
}

FileCallLogStore::FileCallLogStore(std::string stateDir, size_t keep, size_t maxFileBytes, uint64_t maxTotalBytes)
    : stateDir_(std::move(stateDir)),
      root_(stateDir_ + "/calls"),
      keep_(keep),
      maxFileBytes_(maxFileBytes),
      maxTotalBytes_(maxTotalBytes) {}

std::string FileCallLogStore::directoryFor(const std::string& modemId) const {
    return root_ + "/" + modemId;  // ids are [A-Za-z0-9_]: no path tricks possible
}

std::vector<std::string> FileCallLogStore::filesNewestFirst(const std::string& directory,
                                                            std::string_view suffix) const {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(directory, error)) {
        std::string name = entry.path().filename().string();
        if (isKeptName(name, suffix)) names.push_back(name);
    }
    // Same-length numbers sort like strings; shorter ones are older.
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() > b.size() : a > b;
    });
    return names;
}

void FileCallLogStore::save(const std::string& modemId, const CallRecord& record) {
    if (keep_ == 0) return;
    std::string directory = directoryFor(modemId);
    if (!makePrivateDirectory(stateDir_) || !makePrivateDirectory(root_) || !makePrivateDirectory(directory)) return;
    std::string path = fmt::format("{}/{}.log", directory, record.startedAtUsec);
    std::string temporary = path + ".new";
    std::string content = formatCallRecord(record);
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    bool written = fd && ::write(fd.get(), content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
                   ::fsync(fd.get()) == 0;
    int error = errno;
    fd.reset();
    if (!written || ::rename(temporary.c_str(), path.c_str()) < 0) {
        spdlog::error("[{}] call log not kept: {}: {}", modemId, path, std::strerror(written ? errno : error));
        ::unlink(temporary.c_str());
        return;
    }
    prune(modemId, directory);
}

void FileCallLogStore::prune(const std::string& modemId, const std::string& directory) const {
    // Each call by its start (µs): its record's and its DM log's sizes, when there.
    struct Call {
        std::optional<uint64_t> log, qmdl;
    };
    std::map<uint64_t, Call, std::greater<>> calls;  // newest first
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(directory, error)) {
        const std::string name = entry.path().filename().string();
        const bool log = name.ends_with(".log"), qmdl = name.ends_with(".qmdl");
        const size_t stem = name.size() - (log ? 4 : 5);
        if ((!log && !qmdl) || stem == 0 || stem > 19 ||
            !std::all_of(name.begin(), name.begin() + stem, [](char c) { return c >= '0' && c <= '9'; }))
            continue;  // not ours: never counted, never removed
        struct stat info {};
        if (::lstat(entry.path().c_str(), &info) < 0 || !S_ISREG(info.st_mode)) continue;
        Call& call = calls[number(name.substr(0, stem))];
        (log ? call.log : call.qmdl) = static_cast<uint64_t>(info.st_size);
    }
    size_t records = 0;
    uint64_t total = 0;
    bool over = false;  // once a call goes, every older one goes too
    bool newest = true;
    std::optional<uint64_t> oldestKept;  // the oldest record that stays
    size_t keptRecords = 0;
    for (const auto& [started, call] : calls) {
        if (!over) {
            records += call.log.has_value();
            total += call.log.value_or(0) + call.qmdl.value_or(0);
            // The newest call stays whatever its size (one DM log is bounded by dm-log-size).
            over = records > keep_ || (!newest && total > maxTotalBytes_);
            if (!over && call.log) {
                oldestKept = started;
                ++keptRecords;
            }
        }
        newest = false;
        if (!over) continue;
        if (call.log) ::unlink(fmt::format("{}/{}.log", directory, started).c_str());
        if (call.qmdl) {
            ::unlink(fmt::format("{}/{}.qmdl", directory, started).c_str());
            spdlog::debug("[{}] call logs: {}.qmdl removed with its call ({} bytes kept in all)", modemId, started,
                          total);
        }
    }
    // DM logs older than every record kept lost theirs (or never had one: saved on request
    // during a call the daemon did not live to end, the likeliest to be wanted): they go once
    // `keep` newer calls are kept, as their record would have. Newer ones wait for their record
    // (the Hangup's snapshot comes between the two).
    for (const auto& [started, call] : calls)
        if (call.qmdl && !call.log && keptRecords >= keep_ && oldestKept && started < *oldestKept)
            ::unlink(fmt::format("{}/{}.qmdl", directory, started).c_str());
}

std::string FileCallLogStore::saveDmLog(const std::string& modemId, uint64_t startedAtUsec,
                                        std::span<const uint8_t> qmdl, std::string& why) {
    if (keep_ == 0) {
        why = "call-logs-kept is 0";
        return "";
    }
    std::string directory = directoryFor(modemId);
    if (!makePrivateDirectory(stateDir_) || !makePrivateDirectory(root_) || !makePrivateDirectory(directory)) {
        why = "cannot create " + directory;
        return "";
    }
    std::string path = fmt::format("{}/{}.qmdl", directory, startedAtUsec);
    std::string temporary = path + ".new";
    ::unlink(temporary.c_str());  // a leftover of a crash; O_EXCL below refuses whatever else is there
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600));
    bool written = static_cast<bool>(fd);
    for (size_t done = 0; written && done < qmdl.size();) {
        ssize_t n = ::write(fd.get(), qmdl.data() + done, qmdl.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            written = false;
        else
            done += static_cast<size_t>(n);
    }
    written = written && ::fsync(fd.get()) == 0;
    int error = errno;
    fd.reset();
    if (!written || ::rename(temporary.c_str(), path.c_str()) < 0) {
        why = fmt::format("{}: {}", path, std::strerror(written ? errno : error));
        spdlog::error("[{}] DM log not kept: {}", modemId, why);
        ::unlink(temporary.c_str());
        return "";
    }
    prune(modemId, directory);  // this file may take the directory over its size bound
    return path;
}

std::vector<uint64_t> FileCallLogStore::recordStarts(const std::string& modemId) const {
    std::vector<uint64_t> starts;
    for (const std::string& name : filesNewestFirst(directoryFor(modemId), ".log"))
        starts.push_back(number(name.substr(0, name.size() - 4)));
    return starts;
}

std::vector<uint64_t> FileCallLogStore::dmLogStarts(const std::string& modemId) const {
    std::vector<uint64_t> starts;
    for (const std::string& name : filesNewestFirst(directoryFor(modemId), ".qmdl"))
        starts.push_back(number(name.substr(0, name.size() - 5)));
    return starts;
}

std::unique_ptr<KeptFile> FileCallLogStore::openDmLog(const std::string& modemId, uint64_t startedAtUsec,
                                                      std::string& why) const {
    // The name is ours (the id and a number): nothing of the caller's reaches the path. No link is
    // followed, and O_NONBLOCK keeps a FIFO put there from stopping the daemon; it is cleared
    // once the file is known to be a regular one (it is the caller's descriptor then).
    std::string path = fmt::format("{}/{}.qmdl", directoryFor(modemId), startedAtUsec);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) {
        why = fmt::format("{}: {}", path, std::strerror(errno));
        return nullptr;
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) < 0 || !S_ISREG(info.st_mode)) {
        why = fmt::format("{}: not a regular file", path);
        return nullptr;
    }
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    return std::make_unique<KeptFileFd>(std::move(fd), static_cast<uint64_t>(info.st_size), path);
}

std::vector<CallRecord> FileCallLogStore::load(const std::string& modemId, size_t last) const {
    std::vector<CallRecord> records;
    size_t loaded = 0;
    std::string directory = directoryFor(modemId);
    for (const std::string& name : filesNewestFirst(directory)) {
        if (records.size() >= last) break;
        SmallFile file = readSmallFile(directory + "/" + name, maxFileBytes_, SmallFile::Oversize::Cut);
        if (!file) {
            spdlog::warn("[{}] call log skipped: {}", modemId, file.why);
            continue;
        }
        std::string& content = file.content;
        if (!records.empty() && loaded + content.size() > kMaxLoadBytes) {
            spdlog::debug("[{}] call logs from {} on left out: more than {} MiB in all", modemId, name,
                          kMaxLoadBytes >> 20);
            break;
        }
        CallRecord record;
        if (parseCallRecord(content, record)) {
            loaded += content.size();
            records.push_back(std::move(record));
        } else {
            spdlog::warn("[{}] call log {} is not in dialupd's format: skipped", modemId, name);
        }
    }
    return records;
}

}  // namespace dialupd
