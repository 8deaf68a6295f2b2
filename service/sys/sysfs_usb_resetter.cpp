// SPDX-License-Identifier: GPL-2.0-or-later
#include "sysfs_usb_resetter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace dialupd {
namespace {

// "1-1", "3-1.4.2": a bus number, a dash, dot-separated port numbers. Nothing that could
// climb out of /sys/bus/usb/devices.
bool isUsbPortPath(const std::string& path) {
    if (path.empty() || path.size() > 64 || path.front() == '-' || path.front() == '.') return false;
    bool dash = false;
    char previous = 0;
    for (char c : path) {
        bool digit = c >= '0' && c <= '9';
        if (!digit && c != '-' && c != '.') return false;
        if (!digit && (previous == '-' || previous == '.')) return false;
        if (c == '-') {
            if (dash) return false;
            dash = true;
        }
        previous = c;
    }
    return dash && previous != '-' && previous != '.';
}

void writeAttribute(const std::string& path, const char* value) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) throw std::runtime_error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    ssize_t written = ::write(fd, value, 1);
    int error = errno;
    ::close(fd);
    if (written != 1)
        throw std::runtime_error(fmt::format("cannot write {} to {}: {}", value, path, std::strerror(error)));
}

}  // namespace

void SysfsUsbResetter::reset(const std::string& usbPortPath) {
    if (!isUsbPortPath(usbPortPath)) throw std::runtime_error(fmt::format("'{}' is not a USB port path", usbPortPath));
    std::string attribute = fmt::format("{}/bus/usb/devices/{}/authorized", sysfsRoot_, usbPortPath);
    spdlog::info("USB reset of {}: 0 then 1 to {}", usbPortPath, attribute);
    writeAttribute(attribute, "0");
    writeAttribute(attribute, "1");
}

}  // namespace dialupd
