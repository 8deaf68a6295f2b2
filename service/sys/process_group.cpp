// SPDX-License-Identifier: GPL-2.0-or-later
#include "process_group.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "unique_fd.h"

namespace dialupd {
namespace {

std::optional<pid_t> parsePid(std::string_view text) {
    pid_t pid = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (error != std::errc() || end != text.data() + text.size() || pid <= 0) return std::nullopt;
    return pid;
}

// A small /proc file, whole (stat is one short line; comm is at most 16 bytes).
std::string readSmall(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return {};
    char buffer[1024];
    ssize_t count = ::read(fd.get(), buffer, sizeof buffer);
    return count > 0 ? std::string(buffer, static_cast<size_t>(count)) : std::string();
}

// Field 5 of /proc/PID/stat, for a process that is not a zombie (one that already exited and
// only waits to be reaped is no leftover). The name (field 2) is in parentheses and may itself
// hold spaces and parentheses: the fields after it start after the last ')'.
std::optional<pid_t> liveGroupOf(const std::string& stat) {
    size_t close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::string_view rest(stat);
    rest.remove_prefix(close + 1);
    // " S ppid pgrp ..."
    for (int field = 0; field < 3; ++field) {
        size_t start = rest.find_first_not_of(' ');
        if (start == std::string_view::npos) return std::nullopt;
        rest.remove_prefix(start);
        size_t end = rest.find(' ');
        std::string_view value = rest.substr(0, end);
        if (field == 0 && (value == "Z" || value == "X")) return std::nullopt;
        if (field == 2) return parsePid(value);
        if (end == std::string_view::npos) return std::nullopt;
        rest.remove_prefix(end);
    }
    return std::nullopt;
}

}  // namespace

std::vector<GroupMember> processGroupMembers(pid_t pgid, pid_t leader, const std::string& procDir, size_t limit) {
    std::vector<GroupMember> members;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(procDir.c_str()), ::closedir);
    if (!dir) return members;
    while (dirent* entry = ::readdir(dir.get())) {
        std::optional<pid_t> pid = parsePid(entry->d_name);
        if (!pid || *pid == leader) continue;
        const std::string base = procDir + "/" + entry->d_name;
        if (liveGroupOf(readSmall(base + "/stat")) != pgid) continue;
        std::string name = readSmall(base + "/comm");
        if (!name.empty() && name.back() == '\n') name.pop_back();
        members.push_back({*pid, name});
        if (members.size() >= limit) break;
    }
    return members;
}

}  // namespace dialupd
