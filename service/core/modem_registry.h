// SPDX-License-Identifier: GPL-2.0-or-later
// Every modem the daemon knows: the config's fixed-port modems and the USB modems udev
// reports, each grouped from its ttys by parent USB device. Tells the listener (the D-Bus
// side) as each one comes and goes.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "device_nodes.h"
#include "device_source.h"
#include "modem.h"
#include "usb_models.h"

namespace dialupd {

class ModemRegistryListener {
public:
    // May throw (the bus refused the object): the modem is then dropped with an error in the
    // journal, not kept unreachable; a USB modem is tried again when it is plugged in again.
    virtual void modemAdded(Modem& modem) = 0;
    // Called once the modem has no pppd left; it is destroyed right after.
    virtual void modemRemoved(Modem& modem) = 0;

protected:
    ~ModemRegistryListener() = default;
};

class ModemRegistry final : public DeviceListener {
public:
    // Resolves a path through symlinks ("/dev/serial/by-id/..." -> "/dev/ttyUSB3"); returns it
    // unchanged when it cannot be resolved.
    using ResolvePath = std::function<std::string(const std::string& path)>;

    ModemRegistry(const Config& config, PppdRunner& runner, Scheduler& scheduler, Modem::DeviceExists deviceExists,
                  ModemRegistryListener& listener, ResolvePath resolvePath = {});
    ~ModemRegistry();
    ModemRegistry(const ModemRegistry&) = delete;
    ModemRegistry& operator=(const ModemRegistry&) = delete;

    // The services every modem gets (optional; set before the first modem is added). Without a
    // ttyExists of their own, modems ask `deviceExists` whether their tty is still there.
    void setModemServices(ModemServices services) { modemServices_ = std::move(services); }
    // Where the fixed-port modems' nodes are watched (optional; set before addConfiguredModems):
    // without it their state follows the node only at each call's end.
    void setDeviceNodes(DeviceNodes* nodes) { deviceNodes_ = nodes; }

    // The config's fixed-port modems, each saying why when its node is missing; those with
    // autoconnect dial now.
    void addConfiguredModems();
    // A fixed-port modem's node may have appeared or gone: each one's state follows.
    void fixedDevicesChanged();

    // What udev reports is sanitized here (text.h) before anything else looks at it.
    void ttyAdded(const TtyDevice& tty) override;
    void ttyRemoved(const std::string& sysPath) override;

    // Every modem, including unplugged ones whose call is still ending (for shutdown).
    std::vector<Modem*> modems() const;
    Modem* find(const std::string& id) const;

private:
    struct Port {
        std::string sysPath;
        std::string devNode;
    };
    // The ttys seen so far of one USB device.
    struct UsbDevice {
        UsbModel model;
        UsbIdentity identity;
        Port ppp;
        Port at;
        Port dm;                 // the DIAG port, for the DM log (dm-log = yes)
        Modem* modem = nullptr;  // once the PPP port is there and an id is free
    };

    void announceUsbModem(UsbDevice& device);
    const ModemConfig* configFor(const UsbIdentity& identity) const;
    const Modem* fixedModemOn(const std::string& devNode) const;
    Modem* add(ModemConfig config);
    void autoconnect(Modem& modem);
    void removeModem(Modem* modem);

    const Config& config_;
    PppdRunner& runner_;
    Scheduler& scheduler_;
    Modem::DeviceExists deviceExists_;
    ModemRegistryListener& listener_;
    ResolvePath resolvePath_;
    ModemServices modemServices_;
    DeviceNodes* deviceNodes_ = nullptr;
    UsbModelTable models_;

    std::vector<std::unique_ptr<Modem>> modems_;
    std::map<std::string, UsbDevice> usbDevices_;  // by the USB device's sysfs path
};

// The object id of a USB modem without a config section: "<model>_<serial>", or
// "<model>_usb<port path>" without a serial; anything outside [A-Za-z0-9] escaped as _xx. At
// most 64 characters, like a config id: a longer one keeps what fits of its beginning and ends
// in "_" and 16 hex digits of a stable hash of the whole serial (or port path), so it is the
// same on every plug.
std::string usbModemIdFromSerial(const UsbIdentity& identity);
std::string usbModemIdFromPortPath(const UsbIdentity& identity);

}  // namespace dialupd
