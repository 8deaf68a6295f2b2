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
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "line_reader.h"
#include "unique_fd.h"

namespace dialupd {
namespace {

std::string errnoText(int error) { return std::strerror(error); }

// The UUCP lock: /run/lock/LCK..<basename>, holding the owner's pid as ten characters and a
// newline (the format pppd, chat and minicom write). A lock whose owner is dead is stale.
class UucpLock {
public:
    UucpLock(const std::string& lockDir, const std::string& device)
        : path_(lockDir + "/LCK.." + std::filesystem::path(device).filename().string()) {}

    void acquire() {
        for (int attempt = 0; attempt < 2; ++attempt) {
            int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (fd >= 0) {
                std::string pid = fmt::format("{:10d}\n", ::getpid());
                bool written = ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
                ::close(fd);
                if (!written) {
                    ::unlink(path_.c_str());
                    throw AtPortError(AtPortError::Kind::Failed, "cannot write lock file " + path_);
                }
                held_ = true;
                return;
            }
            if (errno != EEXIST)
                throw AtPortError(AtPortError::Kind::Failed, fmt::format("cannot create {}: {}", path_, errnoText(errno)));
            pid_t owner = readOwner();
            if (owner > 0 && (::kill(owner, 0) == 0 || errno == EPERM))
                throw AtPortError(AtPortError::Kind::Busy, fmt::format("in use: {} is held by pid {}", path_, owner));
            spdlog::debug("removing stale lock {} (owner {} is gone)", path_, owner);
            ::unlink(path_.c_str());
        }
        throw AtPortError(AtPortError::Kind::Busy, "lock " + path_ + " keeps coming back");
    }

    ~UucpLock() {
        if (held_) ::unlink(path_.c_str());
    }

private:
    pid_t readOwner() const {
        std::ifstream file(path_);
        long pid = 0;
        file >> pid;
        return file ? static_cast<pid_t>(pid) : 0;
    }

    std::string path_;
    bool held_ = false;
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
        termios tty {};
        if (::tcgetattr(fd_.get(), &tty) == 0) {
            ::cfmakeraw(&tty);
            tty.c_cflag |= CLOCAL | CREAD;
            ::cfsetspeed(&tty, B115200);
            ::tcsetattr(fd_.get(), TCSANOW, &tty);
            ::tcflush(fd_.get(), TCIFLUSH);  // nothing left over from before counts as an answer
        }
        watch_ = loop.watchFd(fd_.get(), EPOLLIN, [this](uint32_t events) { readable(events); });
    }

    ~TtyAtChannel() override { watch_.reset(); }

    void send(std::string_view commandLine) override { sendRaw(std::string(commandLine) + "\r"); }

    void sendRaw(std::string_view bytes) override {
        ssize_t written = ::write(fd_.get(), bytes.data(), bytes.size());
        if (written != static_cast<ssize_t>(bytes.size()))
            spdlog::debug("AT port: {} of {} bytes of '{}' written", written, bytes.size(), bytes);
    }

private:
    void readable(uint32_t events) {
        if (closed_) return;
        bool open = reader_.readFrom(fd_.get());
        if (!open || (events & (EPOLLHUP | EPOLLERR))) {
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
