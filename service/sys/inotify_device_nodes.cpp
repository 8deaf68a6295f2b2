// SPDX-License-Identifier: GPL-2.0-or-later
#include "inotify_device_nodes.h"

#include <sys/inotify.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace dialupd {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kMask =
    IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
// A link to a link to ... : how far a chain is followed for the directories to watch.
constexpr int kMaxLinks = 8;

// Where `target` would appear: its directory and name, or, when that directory does not exist
// yet, the nearest existing ancestor and the name of the next component down.
std::pair<fs::path, std::string> watchPointFor(const fs::path& target) {
    fs::path dir = target.parent_path();
    std::string name = target.filename().string();
    std::error_code error;
    while (!fs::is_directory(dir, error) && dir.has_relative_path()) {
        name = dir.filename().string();
        dir = dir.parent_path();
    }
    return {dir, name};
}

// The path itself and every path on its chain of links (a dangling last link included).
std::vector<fs::path> pathsOnTheWay(const fs::path& path) {
    std::vector<fs::path> chain = {path.lexically_normal()};
    std::error_code error;
    for (int link = 0; link < kMaxLinks && fs::is_symlink(chain.back(), error); ++link) {
        fs::path next = fs::read_symlink(chain.back(), error);
        if (error) break;
        if (next.is_relative()) next = chain.back().parent_path() / next;
        chain.push_back(next.lexically_normal());
    }
    // Links inside the directories (a/b -> c) too: the canonical path is where the node lives.
    fs::path resolved = fs::weakly_canonical(path, error);
    if (!error) chain.push_back(resolved);
    return chain;
}

}  // namespace

InotifyDeviceNodes::InotifyDeviceNodes(EventLoop& loop) : loop_(loop) {
    inotify_.reset(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify_) throw std::system_error(errno, std::generic_category(), "inotify_init1");
    source_ = loop_.watchFd(inotify_.get(), EPOLLIN, [this](uint32_t) { readEvents(); });
}

void InotifyDeviceNodes::watch(const std::vector<std::string>& paths, std::function<void()> changed) {
    paths_ = paths;
    changed_ = std::move(changed);
    rearm();
}

void InotifyDeviceNodes::rearm() {
    std::map<fs::path, std::set<std::string>> wanted;
    for (const std::string& path : paths_)
        for (const fs::path& onTheWay : pathsOnTheWay(path)) {
            auto [dir, name] = watchPointFor(onTheWay);
            wanted[dir].insert(name);
        }
    std::map<int, std::set<std::string>> watches;
    for (const auto& [dir, names] : wanted) {
        int wd = inotify_add_watch(inotify_.get(), dir.c_str(), kMask);
        if (wd < 0) {
            spdlog::warn("cannot watch {} for modem devices: {}", dir.string(), std::strerror(errno));
            continue;
        }
        watches[wd].insert(names.begin(), names.end());  // one directory under two names: one watch
    }
    for (const auto& [wd, names] : namesByWatch_)
        if (!watches.count(wd)) inotify_rm_watch(inotify_.get(), wd);
    namesByWatch_ = std::move(watches);
}

void InotifyDeviceNodes::readEvents() {
    bool relevant = false;
    alignas(inotify_event) char buffer[16 * 1024];
    // Bounded: the fd is non-blocking, and one pass takes what is queued now.
    for (int reads = 0; reads < 64; ++reads) {
        ssize_t count = ::read(inotify_.get(), buffer, sizeof buffer);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) break;
        for (char* at = buffer; at < buffer + count;) {
            const auto* event = reinterpret_cast<const inotify_event*>(at);
            at += sizeof(inotify_event) + event->len;
            auto watched = namesByWatch_.find(event->wd);
            // Events lost, or a watched directory itself went (IN_IGNORED also follows our own
            // inotify_rm_watch, for a watch no longer in the map: that one is no news).
            if ((event->mask & IN_Q_OVERFLOW) ||
                ((event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) && watched != namesByWatch_.end())) {
                relevant = true;
                continue;
            }
            if (event->len > 0 && watched != namesByWatch_.end() && watched->second.count(event->name)) relevant = true;
        }
    }
    if (!relevant) return;
    rearm();
    if (changed_) changed_();
}

std::string InotifyDeviceNodes::problem(const std::string& path) const {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0) return S_ISCHR(info.st_mode) ? "" : "not a character device (a tty)";
    int error = errno;
    std::error_code linkError;
    if (error == ENOENT && fs::is_symlink(path, linkError)) {
        fs::path target = fs::read_symlink(path, linkError);
        return fmt::format("a link to {}, which does not exist", target.string());
    }
    return std::strerror(error);
}

}  // namespace dialupd
