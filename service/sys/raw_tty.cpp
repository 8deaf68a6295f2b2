// SPDX-License-Identifier: GPL-2.0-or-later
#include "raw_tty.h"

#include <termios.h>

namespace dialupd {

void makeRawTty(int fd, int flushQueue) {
    termios tty{};
    if (::tcgetattr(fd, &tty) != 0) return;
    ::cfmakeraw(&tty);
    tty.c_cflag |= CLOCAL | CREAD;
    ::cfsetspeed(&tty, B115200);
    ::tcsetattr(fd, TCSANOW, &tty);
    ::tcflush(fd, flushQueue);
}

}  // namespace dialupd
