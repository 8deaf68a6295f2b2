// SPDX-License-Identifier: GPL-2.0-or-later
#include "tty_at_port.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/secret.h"
#include "line_reader.h"
#include "raw_tty.h"
#include "safe_file.h"
#include "unique_fd.h"

namespace dialupd {
namespace {

std::string errnoText(int error) { return std::strerror(error); }

// The UUCP lock: /run/lock/LCK..<basename>, holding the owner's pid as ten characters and a
// newline (the format pppd, chat and minicom write). A lock whose owner is dead is stale.
// /run/lock is writable by every user, so whatever sits at the lock's path may have been put
// there to trip us (a FIFO that blocks an open, a symlink to a tty, a huge file): an existing
// lock is read with readSmallFile (no symlink, no blocking, no controlling tty, a bound), and
// only a lock file that was read and found stale, and that the path still names with the same
// content, is removed (an inode number alone can be reused at once by a new file).
class UucpLock {
public:
    UucpLock(const std::string& lockDir, const std::string& device)
        : path_(lockDir + "/LCK.." + std::filesystem::path(device).filename().string()) {}

    void acquire() {
        for (int attempt = 0; attempt < 3; ++attempt) {
            int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (fd >= 0) {
                std::string pid = fmt::format("{:10d}\n", ::getpid());
                bool written = ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
                struct stat info {};
                bool known = ::fstat(fd, &info) == 0;
                ::close(fd);
                if (!written || !known) {
                    ::unlink(path_.c_str());
                    throw AtPortError(AtPortError::Kind::Failed, "cannot write lock file " + path_);
                }
                held_ = {info.st_dev, info.st_ino, pid};
                return;
            }
            if (errno != EEXIST)
                throw AtPortError(AtPortError::Kind::Failed,
                                  fmt::format("cannot create {}: {}", path_, errnoText(errno)));
            SmallFile existing = readSmallFile(path_, kMaxLockBytes);
            if (existing.failure == SmallFile::Failure::Absent) continue;  // released meanwhile
            if (!existing)
                throw AtPortError(AtPortError::Kind::Failed,
                                  fmt::format("cannot tell who holds the port: {}; left alone", existing.why));
            std::optional<pid_t> owner = lockOwner(existing.content);
            if (!owner) throw AtPortError(AtPortError::Kind::Busy, fmt::format("in use: {} holds no pid yet", path_));
            if (*owner > 0 && (::kill(*owner, 0) == 0 || errno == EPERM))
                throw AtPortError(AtPortError::Kind::Busy, fmt::format("in use: {} is held by pid {}", path_, *owner));
            if (!stillThere({existing.device, existing.inode, existing.content})) continue;  // replaced: look again
            spdlog::debug("removing stale lock {} (owner {} is gone)", path_, *owner);
            ::unlink(path_.c_str());
        }
        throw AtPortError(AtPortError::Kind::Busy, "lock " + path_ + " keeps coming back");
    }

    ~UucpLock() {
        // Ours, unless someone replaced it (possible only where the directory lacks the sticky bit).
        if (held_ && stillThere(*held_)) ::unlink(path_.c_str());
    }

private:
    // A UUCP lock is 11 bytes; some writers add a name after the pid.
    static constexpr size_t kMaxLockBytes = 128;

    struct SeenLock {
        dev_t device;
        ino_t inode;
        std::string content;
    };

    // The pid as pppd reads it (atoi of the first bytes): blanks, then digits; anything else
    // counts as 0, a lock nobody holds. Empty: its creator has not written its pid yet.
    static std::optional<pid_t> lockOwner(const std::string& content) {
        if (content.empty()) return std::nullopt;
        size_t at = content.find_first_not_of(" \t");
        long pid = 0;
        for (; at < content.size() && content[at] >= '0' && content[at] <= '9'; ++at) {
            pid = pid * 10 + (content[at] - '0');
            if (pid > std::numeric_limits<pid_t>::max()) return 0;
        }
        return static_cast<pid_t>(pid);
    }

    bool stillThere(const SeenLock& seen) const {
        SmallFile now = readSmallFile(path_, kMaxLockBytes);
        return now && now.device == seen.device && now.inode == seen.inode && now.content == seen.content;
    }

    std::string path_;
    std::optional<SeenLock> held_;
};

class TtyAtChannel final : public AtChannel {
public:
    TtyAtChannel(EventLoop& loop, const std::string& lockDir, const std::string& path, AtChannelObserver& observer)
        : lock_(lockDir, path), observer_(observer), reader_([this](std::string_view line) { lineArrived(line); }) {
        struct stat info {};
        if (::stat(path.c_str(), &info) < 0)
            throw AtPortError(errno == ENOENT ? AtPortError::Kind::Absent : AtPortError::Kind::Failed,
                              fmt::format("{}: {}", path, errnoText(errno)));
        if (!S_ISCHR(info.st_mode)) throw AtPortError(AtPortError::Kind::Failed, path + " is not a character device");
        lock_.acquire();
        fd_.reset(::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
        if (!fd_)
            throw AtPortError(errno == ENOENT || errno == ENODEV || errno == ENXIO ? AtPortError::Kind::Absent
                                                                                   : AtPortError::Kind::Failed,
                              fmt::format("cannot open {}: {}", path, errnoText(errno)));
        // A pppd that was killed leaves its PPP line discipline on a tty someone else still holds
        // (a pty's master, a modem's other users): writes would then go nowhere. AT wants N_TTY.
        int ldisc = N_TTY;
        if (::ioctl(fd_.get(), TIOCSETD, &ldisc) < 0)
            spdlog::debug("{}: cannot set the N_TTY line discipline: {}", path, errnoText(errno));
        makeRawTty(fd_.get(), TCIFLUSH);  // nothing left over from before counts as an answer
        watch_ = loop.watchFd(fd_.get(), EPOLLIN, [this](uint32_t events) { readable(events); });
    }

    ~TtyAtChannel() override { watch_.reset(); }

    void send(std::string_view commandLine) override { sendRaw(std::string(commandLine) + "\r"); }

    void sendSecret(std::string_view commandLine) override {
        std::string line;
        WipeOnExit wipe(line);
        line.reserve(commandLine.size() + 1);  // no reallocation leaves an unwiped copy behind
        line.append(commandLine);
        line += '\r';
        ssize_t written = ::write(fd_.get(), line.data(), line.size());
        if (written != static_cast<ssize_t>(line.size()))
            spdlog::debug("AT port: {} of {} bytes of a command with a secret written", written, line.size());
    }

    void sendRaw(std::string_view bytes) override {
        ssize_t written = ::write(fd_.get(), bytes.data(), bytes.size());
        if (written != static_cast<ssize_t>(bytes.size()))
            spdlog::debug("AT port: {} of {} bytes of '{}' written", written, bytes.size(), bytes);
    }

private:
    void readable(uint32_t events) {
        if (closed_) return;
        LineReader::Result read = reader_.readFrom(fd_.get());
        bool open = read != LineReader::Result::Closed;
        // A hangup with more still to read closes on a later round, once that has been read.
        bool hungUp = (events & (EPOLLHUP | EPOLLERR)) && read != LineReader::Result::MoreLeft;
        if (!open || hungUp) {
            closed_ = true;
            watch_.reset();
            observer_.atClosed(open ? "the tty hung up" : "end of file or read error");
        }
    }

    void lineArrived(std::string_view line) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!closed_) observer_.atLine(line);
    }

    UucpLock lock_;
    AtChannelObserver& observer_;
    LineReader reader_;
    UniqueFd fd_;
    std::unique_ptr<EventSource> watch_;
    bool closed_ = false;
};

}  // namespace

std::unique_ptr<AtChannel> TtyAtPortOpener::open(const std::string& path, AtChannelObserver& observer) {
    return std::make_unique<TtyAtChannel>(loop_, lockDir_, path, observer);
}

}  // namespace dialupd
