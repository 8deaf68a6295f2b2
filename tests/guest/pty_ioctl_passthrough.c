// SPDX-License-Identifier: GPL-2.0-or-later
// LD_PRELOAD shim for ModemManager under umockdev in the guest (tests/guest/modemmanager.py),
// preloaded before libumockdev-preload.so. The simulated EC25's ttys are ptys behind
// /dev/ttyUSB* links, not umockdev's emulated devices, yet umockdev's ioctl() wrapper answers
// some tty ioctls on them with an error, so ModemManager's serial port open fails before it
// sends a byte. The tty ioctls a serial port's open and configuration use go straight to the
// kernel here; every other ioctl goes on to umockdev (and through it to libc).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

static int passes_through(unsigned long request) {
    switch (request) {
        case TIOCEXCL:
        case TIOCNXCL:
        case TIOCGEXCL:
        case TIOCSETD:
        case TIOCGETD:
        case TCGETS:
        case TCSETS:
        case TCSETSW:
        case TCSETSF:
        case TCFLSH:
        case TCXONC:
        case TIOCMGET:
        case TIOCMSET:
        case TIOCMBIS:
        case TIOCMBIC:
        case TIOCOUTQ:
        case TIOCINQ:
        case TIOCGSERIAL:
        case TIOCSSERIAL:
            return 1;
        default:
            return 0;
    }
}

int ioctl(int fd, unsigned long request, ...) {
    va_list args;
    va_start(args, request);
    void* argument = va_arg(args, void*);
    va_end(args);
    if (passes_through(request)) return (int)syscall(SYS_ioctl, fd, request, argument);
    static int (*next)(int, unsigned long, ...);
    if (!next) next = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
    return next(fd, request, argument);
}
