// SPDX-License-Identifier: GPL-2.0-or-later
#include "tty_dm_port.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "raw_tty.h"
#include "unique_fd.h"

namespace dialupd {
namespace {

// One read's worth: a few DIAG log packets. At most kReadsPerWakeup reads a wakeup, so a port
// that streams without pause cannot hold the loop.
constexpr size_t kReadChunk = 16 * 1024;
constexpr int kReadsPerWakeup = 8;

class TtyDmChannel final : public DmChannel {
public:
    TtyDmChannel(EventLoop& loop, const std::string& path, DmPortObserver& observer)
        : path_(path), observer_(observer) {
        struct stat info {};
        if (::stat(path.c_str(), &info) < 0)
            throw DmPortError(errno == ENOENT ? DmPortError::Kind::Absent : DmPortError::Kind::Failed,
                              std::strerror(errno));
        if (!S_ISCHR(info.st_mode)) throw DmPortError(DmPortError::Kind::Failed, "not a character device");
        fd_.reset(::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
        if (!fd_) {
            int error = errno;
            DmPortError::Kind kind = error == ENOENT || error == ENODEV || error == ENXIO ? DmPortError::Kind::Absent
                                     : error == EBUSY                                     ? DmPortError::Kind::Busy
                                                                                          : DmPortError::Kind::Failed;
            throw DmPortError(kind, fmt::format("cannot open it: {}", std::strerror(error)));
        }
        makeRawTty(fd_.get(), TCIOFLUSH);
        if (::ioctl(fd_.get(), TIOCEXCL) == 0) exclusive_ = true;
        watch_ = loop.watchFd(fd_.get(), EPOLLIN, [this](uint32_t events) { readable(events); });
    }

    ~TtyDmChannel() override {
        watch_.reset();
        if (exclusive_) ::ioctl(fd_.get(), TIOCNXCL);
    }

    bool write(std::span<const uint8_t> bytes) override {
        if (closed_) return false;
        size_t done = 0;
        while (done < bytes.size()) {
            ssize_t n = ::write(fd_.get(), bytes.data() + done, bytes.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                spdlog::debug("DM port {}: {} of {} bytes written: {}", path_, done, bytes.size(),
                              n < 0 ? std::strerror(errno) : "nothing taken");
                return false;
            }
            done += static_cast<size_t>(n);
        }
        return true;
    }

private:
    void readable(uint32_t events) {
        if (closed_) return;
        for (int round = 0; round < kReadsPerWakeup; ++round) {
            ssize_t n = ::read(fd_.get(), buffer_.data(), buffer_.size());
            if (n > 0) {
                observer_.dmBytes(std::span<const uint8_t>(buffer_.data(), static_cast<size_t>(n)));
                if (closed_) return;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (events & (EPOLLHUP | EPOLLERR)) close("the tty hung up");
                return;
            }
            close(n == 0 ? "end of file" : fmt::format("read error: {}", std::strerror(errno)));
            return;
        }
    }

    void close(const std::string& why) {
        closed_ = true;
        watch_.reset();
        observer_.dmClosed(why);
    }

    std::string path_;
    DmPortObserver& observer_;
    UniqueFd fd_;
    std::unique_ptr<EventSource> watch_;
    std::array<uint8_t, kReadChunk> buffer_{};
    bool exclusive_ = false;
    bool closed_ = false;
};

}  // namespace

std::unique_ptr<DmChannel> TtyDmPortOpener::open(const std::string& path, DmPortObserver& observer) {
    return std::make_unique<TtyDmChannel>(loop_, path, observer);
}

}  // namespace dialupd
