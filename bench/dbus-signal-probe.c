// SPDX-License-Identifier: GPL-2.0-or-later
// dbus-signal-probe: the baselines of bench/guest-hangup-latency, a bare D-Bus signal. It
// connects with sd-bus (the library under dialupd's sdbus-c++) to the bus that
// DBUS_SYSTEM_BUS_ADDRESS names and prints "ready". Then, for each line on stdin:
//   "ping"  reads CLOCK_MONOTONIC, emits org.dialupd1.Bench.Ping(t sent_ns) on
//           /org/dialupd1/bench and flushes: the receiver subtracts sent_ns from its receipt.
//   "exit"  forks a child that exits after 200 ms, prints its pid (for the receiver to watch
//           with a pidfd of its own, as it watches pppd) and, the moment its own pidfd of the
//           child polls readable, reaps it and emits org.dialupd1.Bench.Exited(t now_ns): what
//           dialupd does when its pppd exits, with nothing else in between.
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

static uint64_t now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static int emit(sd_bus* bus, const char* member, uint64_t stamp) {
    int r = sd_bus_emit_signal(bus, "/org/dialupd1/bench", "org.dialupd1.Bench", member, "t", stamp);
    if (r >= 0) r = sd_bus_flush(bus);
    if (r < 0) fprintf(stderr, "dbus-signal-probe: cannot emit: %s\n", strerror(-r));
    return r;
}

static int exit_then_emit(sd_bus* bus) {
    pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
        _exit(0);
    }
    int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
    if (pidfd < 0) return -1;
    printf("%d\n", (int)child);
    fflush(stdout);
    struct pollfd watch = {.fd = pidfd, .events = POLLIN};
    while (poll(&watch, 1, -1) < 0) {
    }
    siginfo_t info;
    memset(&info, 0, sizeof info);
    waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED);
    close(pidfd);
    return emit(bus, "Exited", now_ns());
}

int main(void) {
    sd_bus* bus = NULL;
    int r = sd_bus_open_system(&bus);
    if (r < 0) {
        fprintf(stderr, "dbus-signal-probe: cannot connect to the bus: %s\n", strerror(-r));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "exit", 4) == 0)
            r = exit_then_emit(bus);
        else
            r = emit(bus, "Ping", now_ns());
        if (r < 0) return 1;
    }
    sd_bus_flush_close_unref(bus);
    return 0;
}
