// SPDX-License-Identifier: GPL-2.0-or-later
// The DeviceSource of the daemon: libudev's monitor (events after udev's rules ran) plus an
// enumeration of the ttys already present, on the daemon's event loop.
#pragma once

#include <memory>

#include "core/device_source.h"
#include "event_loop.h"

struct udev;
struct udev_monitor;
struct udev_device;

namespace dialupd {

class UdevDeviceSource final : public DeviceSource {
public:
    explicit UdevDeviceSource(EventLoop& loop);
    ~UdevDeviceSource() override;
    UdevDeviceSource(const UdevDeviceSource&) = delete;
    UdevDeviceSource& operator=(const UdevDeviceSource&) = delete;

    // Throws std::system_error when udev cannot be watched.
    void start(DeviceListener& listener) override;

private:
    void receiveEvents();
    void report(udev_device* device, bool added);

    EventLoop& loop_;
    DeviceListener* listener_ = nullptr;
    udev* udev_ = nullptr;
    udev_monitor* monitor_ = nullptr;
    std::unique_ptr<EventSource> watch_;
};

// What sysfs says about one tty and its USB parents (exposed for the benchmark's bare monitor).
TtyDevice describeTty(udev_device* device);

}  // namespace dialupd
