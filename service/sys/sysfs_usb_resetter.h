// SPDX-License-Identifier: GPL-2.0-or-later
// USB reset through sysfs, the last rung of module recovery: writing 0 then 1 to the device's
// `authorized` attribute unbinds every interface driver and binds them again, so the module
// re-enumerates as if it had been unplugged and plugged back in (usbreset's ioctl would need
// the /dev/bus/usb node, which the unit's DeviceAllow= does not grant).
#pragma once

#include <string>

#include "core/module_recovery.h"

namespace dialupd {

class SysfsUsbResetter final : public UsbResetter {
public:
    explicit SysfsUsbResetter(std::string sysfsRoot = "/sys") : sysfsRoot_(std::move(sysfsRoot)) {}
    // `usbPortPath` is udev's port path ("1-1.2"); anything else is refused.
    void reset(const std::string& usbPortPath) override;

private:
    std::string sysfsRoot_;
};

}  // namespace dialupd
