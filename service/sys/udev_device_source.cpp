// SPDX-License-Identifier: GPL-2.0-or-later
#include "udev_device_source.h"

#include <libudev.h>
#include <sys/epoll.h>

#include <cerrno>
#include <string_view>
#include <system_error>

#include <spdlog/spdlog.h>

namespace dialupd {
namespace {

std::string text(const char* value) { return value ? value : ""; }

// A USB modem's ports are ttyUSBn (usb-serial drivers: option, qcserial) or ttyACMn (cdc-acm).
// Only those are looked at: a machine has hundreds of other ttys (consoles, ptys, UARTs), and
// describing each costs sysfs reads (10 s for 595 of them in the User-mode Linux guest).
constexpr const char* kUsbTtyNames[] = {"ttyUSB*", "ttyACM*"};

bool isUsbTtyName(std::string_view name) { return name.starts_with("ttyUSB") || name.starts_with("ttyACM"); }

}  // namespace

TtyDevice describeTty(udev_device* device) {
    TtyDevice tty;
    tty.sysPath = text(udev_device_get_syspath(device));
    tty.devNode = text(udev_device_get_devnode(device));
    // The parents belong to `device`: no unref.
    if (udev_device* interface = udev_device_get_parent_with_subsystem_devtype(device, "usb", "usb_interface"))
        tty.interfaceNumber = text(udev_device_get_sysattr_value(interface, "bInterfaceNumber"));
    if (udev_device* usb = udev_device_get_parent_with_subsystem_devtype(device, "usb", "usb_device")) {
        tty.usbSysPath = text(udev_device_get_syspath(usb));
        tty.usbPortPath = text(udev_device_get_sysname(usb));
        tty.vendorId = text(udev_device_get_sysattr_value(usb, "idVendor"));
        tty.productId = text(udev_device_get_sysattr_value(usb, "idProduct"));
        tty.serial = text(udev_device_get_sysattr_value(usb, "serial"));
    }
    return tty;
}

UdevDeviceSource::UdevDeviceSource(EventLoop& loop) : loop_(loop) {}

UdevDeviceSource::~UdevDeviceSource() {
    watch_.reset();
    if (monitor_) udev_monitor_unref(monitor_);
    if (udev_) udev_unref(udev_);
}

void UdevDeviceSource::start(DeviceListener& listener) {
    listener_ = &listener;
    udev_ = udev_new();
    if (!udev_) throw std::system_error(errno, std::generic_category(), "udev_new");
    // "udev", not "kernel": the events come after the rules ran, so properties and the device
    // node are in place (and ModemManager's ignore flag with them).
    monitor_ = udev_monitor_new_from_netlink(udev_, "udev");
    if (!monitor_) throw std::system_error(errno, std::generic_category(), "cannot open the udev monitor");
    // A burst (a hub with several modems re-enumerating) must not overflow the socket: a lost
    // remove would leave a stale object. Best effort: without CAP_NET_ADMIN the kernel caps it.
    if (udev_monitor_set_receive_buffer_size(monitor_, 4 * 1024 * 1024) < 0)
        spdlog::debug("udev: could not enlarge the monitor's receive buffer");
    int error = udev_monitor_filter_add_match_subsystem_devtype(monitor_, "tty", nullptr);
    if (error >= 0) error = udev_monitor_enable_receiving(monitor_);
    if (error < 0) throw std::system_error(-error, std::generic_category(), "cannot start the udev monitor");
    watch_ = loop_.watchFd(udev_monitor_get_fd(monitor_), EPOLLIN, [this](uint32_t) { receiveEvents(); });

    // Listing after the monitor is live: a tty added in between shows up in both, and the
    // listener drops the repeat; one removed in between comes as a remove after its add.
    udev_enumerate* enumerate = udev_enumerate_new(udev_);
    if (!enumerate) throw std::system_error(errno, std::generic_category(), "udev_enumerate_new");
    udev_enumerate_add_match_subsystem(enumerate, "tty");
    for (const char* pattern : kUsbTtyNames) udev_enumerate_add_match_sysname(enumerate, pattern);
    error = udev_enumerate_scan_devices(enumerate);
    if (error < 0) {
        udev_enumerate_unref(enumerate);
        throw std::system_error(-error, std::generic_category(), "cannot list tty devices");
    }
    udev_list_entry* entry = nullptr;
    size_t count = 0;
    udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(enumerate)) {
        udev_device* device = udev_device_new_from_syspath(udev_, udev_list_entry_get_name(entry));
        if (!device) continue;  // gone since the scan
        report(device, true);
        udev_device_unref(device);
        ++count;
    }
    udev_enumerate_unref(enumerate);
    spdlog::debug("udev: {} tty device(s) present at start", count);
}

void UdevDeviceSource::receiveEvents() {
    // The monitor socket is non-blocking: drain what is queued.
    while (udev_device* device = udev_monitor_receive_device(monitor_)) {
        std::string action = text(udev_device_get_action(device));
        if (!isUsbTtyName(text(udev_device_get_sysname(device)))) {
            udev_device_unref(device);
            continue;
        }
        if (action == "add" || action == "change" || action == "bind")
            report(device, true);
        else if (action == "remove")
            report(device, false);
        udev_device_unref(device);
    }
}

void UdevDeviceSource::report(udev_device* device, bool added) {
    // A listener that throws must not take the event loop down with it: log and go on.
    try {
        if (added)
            listener_->ttyAdded(describeTty(device));
        else
            listener_->ttyRemoved(text(udev_device_get_syspath(device)));
    } catch (const std::exception& error) {
        spdlog::error("udev event for {} not handled: {}", text(udev_device_get_syspath(device)), error.what());
    }
}

}  // namespace dialupd
