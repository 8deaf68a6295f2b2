// SPDX-License-Identifier: GPL-2.0-or-later
/* A bare libudev monitor: the baseline for dialupd's udev add -> object latency
 * (bench/udev-add-latency). Prints "<CLOCK_MONOTONIC ns> <action> <sysname>" for every tty
 * event the moment libudev hands it over, and "ready" once listening. */
#include <libudev.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>

int main(void) {
    struct udev* udev = udev_new();
    struct udev_monitor* monitor = udev ? udev_monitor_new_from_netlink(udev, "udev") : NULL;
    if (!monitor || udev_monitor_filter_add_match_subsystem_devtype(monitor, "tty", NULL) < 0 ||
        udev_monitor_enable_receiving(monitor) < 0) {
        fprintf(stderr, "udev-monitor-probe: cannot monitor udev\n");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        struct pollfd fd = {udev_monitor_get_fd(monitor), POLLIN, 0};
        if (poll(&fd, 1, -1) < 0) return 1;
        struct udev_device* device;
        while ((device = udev_monitor_receive_device(monitor))) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            printf("%lld %s %s\n", (long long)now.tv_sec * 1000000000LL + now.tv_nsec, udev_device_get_action(device),
                   udev_device_get_sysname(device));
            fflush(stdout);
            udev_device_unref(device);
        }
    }
}
