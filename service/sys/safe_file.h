// SPDX-License-Identifier: GPL-2.0-or-later
// Reading a small file that someone else may have put in our way: a UUCP lock in the
// world-writable /run/lock, a pid file, a /proc entry, a kept call log. The file is opened
// without following a symlink, without blocking (a FIFO), without becoming our controlling
// terminal (a tty), must be a regular file, and is read only up to a bound (a huge sparse file,
// /dev/zero). Whatever is there instead is a named failure, never a hang or an allocation
// without bound.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace dialupd {

struct SmallFile {
    enum class Failure {
        None,
        Absent,          // nothing at the path (ENOENT, or a path component that is no directory)
        Symlink,         // a symbolic link: not followed
        NotRegularFile,  // a FIFO, a directory, a device, a socket
        TooLarge,        // more than the bound
        Unreadable,      // open or read failed otherwise (permissions, I/O)
    };
    // Over the bound: refuse the file, or keep its first `maxBytes` (a record whose tail is cut).
    enum class Oversize { Refuse, Cut };

    Failure failure = Failure::None;
    std::string content;  // with Failure::None
    std::string why;      // otherwise: "/run/lock/LCK..ttyUSB2 is a FIFO, not a regular file"
    dev_t device = 0;     // what was read (Failure::None): to check that a path still names it
    ino_t inode = 0;

    explicit operator bool() const { return failure == Failure::None; }
};

SmallFile readSmallFile(const std::string& path, size_t maxBytes,
                        SmallFile::Oversize oversize = SmallFile::Oversize::Refuse);

// "a FIFO", "a directory", ... for st_mode's file type.
const char* fileTypeName(mode_t mode);

}  // namespace dialupd
