// SPDX-License-Identifier: GPL-2.0-or-later
// Where ttys come from: udev in the daemon (sys/udev_device_source), a fake in unit tests.
// The source reports what sysfs says, unparsed and unsanitized; the core decides what it means
// and sanitizes it (ModemRegistry), so malformed or hostile attributes are handled (and tested)
// in one place.
#pragma once

#include <string>

namespace dialupd {

struct TtyDevice {
    std::string sysPath;  // the tty's sysfs path: its identity until it is removed
    std::string devNode;  // "/dev/ttyUSB3"
    // From the parent USB interface and USB device; empty when there is none or the
    // attribute is missing.
    std::string interfaceNumber;  // bInterfaceNumber, "03"
    std::string usbSysPath;       // the USB device's sysfs path: groups one modem's ttys
    std::string usbPortPath;      // the USB device's name: "1-1.2" (bus 1, port 1, port 2)
    std::string vendorId;         // idVendor, "2c7c"
    std::string productId;        // idProduct, "0125"
    std::string serial;           // serial (absent on many modules)
};

class DeviceListener {
public:
    // Called for every tty present at start and every one added later. The same tty may be
    // reported twice (the start-up enumeration and a queued add event overlap): the listener
    // treats a known sysPath as a repeat.
    virtual void ttyAdded(const TtyDevice& tty) = 0;
    virtual void ttyRemoved(const std::string& sysPath) = 0;

protected:
    ~DeviceListener() = default;
};

class DeviceSource {
public:
    virtual ~DeviceSource() = default;
    // Starts watching for changes, then reports every tty already present, then (from the
    // event loop) every change until destroyed. Watching before listing is what keeps a tty
    // added in between from being lost.
    virtual void start(DeviceListener& listener) = 0;
};

}  // namespace dialupd
