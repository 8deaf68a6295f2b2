// SPDX-License-Identifier: GPL-2.0-or-later
#include "modem_registry.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "text.h"

namespace dialupd {
namespace {

// Like a config id (config.cpp): an id is an object path element and names files (the chat
// script, the kept call logs), so one derived from what a USB device says is bounded the same way.
constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxModelPrefixLength = 16;  // a [usb-model] name may be long

bool isIdChar(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Like sd_bus_path_encode: unambiguous, and only characters an object path element allows.
std::string escapeForId(char c) {
    return isIdChar(c) ? std::string(1, c) : fmt::format("_{:02x}", static_cast<unsigned char>(c));
}

std::string modelPrefix(const UsbIdentity& identity) {
    std::string prefix;
    for (char c : identity.model.substr(0, kMaxModelPrefixLength))
        prefix += isIdChar(c) ? static_cast<char>(std::tolower(c)) : '_';
    return prefix.empty() ? "usb" : prefix;
}

// `prefix` followed by `text`, each character escaped by `escape`. When that is longer than an id
// may be (a serial of 126 '-' escapes to 378 characters), as much of it as fits before "_" and 16
// hex digits of the whole text's stable hash: the same text gives the same id on every plug and
// every run, and texts that share a long beginning still get different ids.
template <typename Escape>
std::string boundedId(const std::string& prefix, std::string_view text, Escape escape) {
    std::string id = prefix;
    for (char c : text) id += escape(c);
    if (id.size() <= kMaxIdLength) return id;
    const std::string tail = fmt::format("_{:016x}", stableHash(text));
    id = prefix;
    for (char c : text) {
        std::string unit = escape(c);  // whole escapes only: "_2d", never "_2"
        if (id.size() + unit.size() + tail.size() > kMaxIdLength) break;
        id += unit;
    }
    return id + tail;
}

// udev's strings (sysfs attributes the USB device chose, its serial above all) enter the core
// here: from now on they are clean text (text.h), in D-Bus properties and the journal alike.
TtyDevice sanitized(const TtyDevice& tty) {
    TtyDevice clean;
    clean.sysPath = sanitizeText(tty.sysPath);
    clean.devNode = sanitizeText(tty.devNode);
    clean.interfaceNumber = sanitizeText(tty.interfaceNumber);
    clean.usbSysPath = sanitizeText(tty.usbSysPath);
    clean.usbPortPath = sanitizeText(tty.usbPortPath);
    clean.vendorId = sanitizeText(tty.vendorId);
    clean.productId = sanitizeText(tty.productId);
    clean.serial = sanitizeText(tty.serial);
    return clean;
}

std::string describe(const TtyDevice& tty) {
    return fmt::format("{} ({}, usb {}:{} interface '{}')", tty.devNode.empty() ? tty.sysPath : tty.devNode,
                       tty.usbPortPath, tty.vendorId, tty.productId, tty.interfaceNumber);
}

}  // namespace

std::string usbModemIdFromSerial(const UsbIdentity& identity) {
    return boundedId(modelPrefix(identity) + "_", identity.serial, escapeForId);
}

std::string usbModemIdFromPortPath(const UsbIdentity& identity) {
    // A port path is digits, '-' and '.': "1-1.2" becomes "usb1_1_2".
    return boundedId(modelPrefix(identity) + "_usb", identity.portPath,
                     [](char c) { return (c == '-' || c == '.') ? std::string(1, '_') : escapeForId(c); });
}

ModemRegistry::ModemRegistry(const Config& config, PppdRunner& runner, Scheduler& scheduler,
                             Modem::DeviceExists deviceExists, ModemRegistryListener& listener, ResolvePath resolvePath)
    : config_(config),
      runner_(runner),
      scheduler_(scheduler),
      deviceExists_(std::move(deviceExists)),
      listener_(listener),
      resolvePath_(resolvePath ? std::move(resolvePath) : [](const std::string& path) { return path; }),
      models_(config.usbModels) {}

ModemRegistry::~ModemRegistry() = default;

void ModemRegistry::addConfiguredModems() {
    std::vector<std::string> devices;
    for (const ModemConfig& modemConfig : config_.modems) {
        if (modemConfig.device.empty()) continue;  // a section for a USB modem: used when it appears
        Modem* modem = add(modemConfig);
        if (!modem) continue;  // could not be published: add() said why
        devices.push_back(modemConfig.device);
        // Its AT port's node too: the live status reopens it when it comes back.
        if (!modemConfig.atPort.empty() && modemConfig.atPort != modemConfig.device)
            devices.push_back(modemConfig.atPort);
        if (modem->state() == ModemState::Unavailable) {
            std::string why = deviceNodes_ ? deviceNodes_->problem(modemConfig.device) : "";
            spdlog::warn("[{}] {}: {}: unavailable until it appears", modem->id(), modemConfig.device,
                         why.empty() ? "not there" : why);
        }
        if (modemConfig.autoconnect) autoconnect(*modem);
    }
    if (deviceNodes_ && !devices.empty()) deviceNodes_->watch(devices, [this] { fixedDevicesChanged(); });
}

void ModemRegistry::fixedDevicesChanged() {
    for (const auto& modem : modems_)
        if (modem->usb().vendorId.empty()) modem->recheckDevice();
}

Modem* ModemRegistry::add(ModemConfig modemConfig) {
    Modem::DeviceExists exists = deviceExists_;
    if (!modemConfig.usb.vendorId.empty()) {
        // udev's word is the presence of a USB modem's tty; its node is not stat'ed.
        exists = [](const std::string&) { return true; };
    }
    ModemServices services = modemServices_;
    if (!services.ttyExists) services.ttyExists = deviceExists_;
    modems_.push_back(std::make_unique<Modem>(std::move(modemConfig), config_.daemon, runner_, scheduler_, exists,
                                              std::move(services)));
    Modem& modem = *modems_.back();
    try {
        listener_.modemAdded(modem);
    } catch (const std::exception& error) {
        // A modem nobody can reach is worse than none: it could still dial (autoconnect) and hold
        // its tty. It is dropped, loudly; a USB modem is tried again when it is plugged again.
        spdlog::error("[{}] cannot be published, so it is not taken: {}", modem.id(), error.what());
        modems_.pop_back();
        return nullptr;
    }
    return &modem;
}

void ModemRegistry::autoconnect(Modem& modem) {
    // A modem that dials on its own keeps its link up on its own, unless told otherwise.
    CallOverrides overrides;
    overrides.reconnect = modem.config().call.reconnect.enabled.value_or(true);
    try {
        spdlog::info("[{}] autoconnect: dialling", modem.id());
        modem.connect(overrides, false, [](const Error*) {});
    } catch (const Error& error) {
        spdlog::warn("[{}] autoconnect failed: {}", modem.id(), error.what());
        if (std::string_view(error.name()) == error_name::kDataLimitReached && modem.redialAtNextDataPeriod(overrides))
            spdlog::info("[{}] autoconnect: dialling when the next data period begins", modem.id());
    }
}

void ModemRegistry::ttyAdded(const TtyDevice& reported) {
    const TtyDevice tty = sanitized(reported);
    if (tty.usbSysPath.empty()) return;  // not a USB tty: a UART, a console, a pty
    for (const auto& [path, device] : usbDevices_) {
        if (device.ppp.sysPath == tty.sysPath || device.at.sysPath == tty.sysPath || device.dm.sysPath == tty.sysPath) {
            spdlog::trace("{} reported again", tty.sysPath);
            return;
        }
    }
    auto vendor = parseUsbId(tty.vendorId);
    auto product = parseUsbId(tty.productId);
    if (!vendor || !product) {
        spdlog::debug("ignoring {}: idVendor/idProduct missing or malformed", describe(tty));
        return;
    }
    const UsbModel* model = models_.find(*vendor, *product);
    if (!model) {
        spdlog::trace("ignoring {}: not a modem we know", describe(tty));
        return;
    }
    auto interface = parseInterfaceNumber(tty.interfaceNumber);
    if (!interface) {
        spdlog::debug("ignoring {}: bInterfaceNumber missing or malformed", describe(tty));
        return;
    }
    bool isPpp = *interface == model->pppInterface;
    bool isAt = model->atInterface && *interface == *model->atInterface;
    bool isDm = model->dmInterface && *interface == *model->dmInterface;
    if (!isPpp && !isAt && !isDm) {
        spdlog::trace("ignoring {}: interface {} of a {} is neither its modem, its AT nor its DM port", describe(tty),
                      *interface, model->name);
        return;
    }
    if (tty.devNode.empty()) {
        spdlog::debug("ignoring {}: no device node", describe(tty));
        return;
    }

    auto [it, isNew] = usbDevices_.try_emplace(tty.usbSysPath);
    UsbDevice& device = it->second;
    if (isNew) {
        device.model = *model;
        device.identity = {formatUsbId(*vendor), formatUsbId(*product), model->name, tty.usbPortPath, tty.serial};
    }
    Port& port = isPpp ? device.ppp : isAt ? device.at : device.dm;
    if (!port.sysPath.empty()) {
        spdlog::debug("ignoring {}: {} already has that port ({})", describe(tty), tty.usbPortPath, port.devNode);
        return;
    }
    port = {tty.sysPath, tty.devNode};
    spdlog::debug("{} port of {} at {}: {}",
                  isPpp  ? "modem"
                  : isAt ? "AT"
                         : "DM",
                  model->name, tty.usbPortPath, tty.devNode);
    if (isAt && device.modem) device.modem->setAtPort(tty.devNode);
    if (isDm && device.modem) device.modem->setDmPort(tty.devNode);
    if (isPpp) announceUsbModem(device);
}

const ModemConfig* ModemRegistry::configFor(const UsbIdentity& identity) const {
    for (const ModemConfig& modemConfig : config_.modems)
        // The identity's serial is sanitized (ttyAdded): the config's is compared the same way.
        if (!identity.serial.empty() && sanitizeText(modemConfig.matchUsbSerial) == identity.serial)
            return &modemConfig;
    for (const ModemConfig& modemConfig : config_.modems)
        if (!modemConfig.matchUsbPath.empty() && modemConfig.matchUsbPath == identity.portPath) return &modemConfig;
    return nullptr;
}

const Modem* ModemRegistry::fixedModemOn(const std::string& devNode) const {
    for (const auto& modem : modems_)
        if (modem->usb().vendorId.empty() && resolvePath_(modem->device()) == devNode) return modem.get();
    return nullptr;
}

void ModemRegistry::announceUsbModem(UsbDevice& device) {
    if (device.modem || device.ppp.sysPath.empty()) return;
    // A config written before udev support (device = /dev/ttyUSB3, or a by-id link to it)
    // already owns this port: a second object would dial the same tty.
    if (const Modem* fixed = fixedModemOn(device.ppp.devNode)) {
        spdlog::info("{} at {}: its modem port {} is configured as [modem {}]; not added twice", device.model.name,
                     device.identity.portPath, device.ppp.devNode, fixed->id());
        return;
    }
    const ModemConfig* matched = configFor(device.identity);
    std::vector<std::string> candidates;
    if (matched) candidates.push_back(matched->id);
    if (!device.identity.serial.empty()) candidates.push_back(usbModemIdFromSerial(device.identity));
    candidates.push_back(usbModemIdFromPortPath(device.identity));

    std::string id;
    for (const std::string& candidate : candidates) {
        Modem* holder = find(candidate);
        if (!holder) {
            id = candidate;
            break;
        }
        if (holder->detachedDuringReset()) {
            // The module re-enumerated during a recovery (AT+CFUN=1,1, USB reset): same object.
            spdlog::info("[{}] back on usb {} after re-enumerating: modem port {}", candidate, device.identity.portPath,
                         device.ppp.devNode);
            device.modem = holder;
            holder->deviceReattached(device.ppp.devNode, device.at.devNode);
            holder->setDmPort(device.dm.devNode);
            return;
        }
        if (holder->removed()) {
            // The same modem plugged back in while its old object still ends its call: it comes
            // back under its own id once the old one is gone (see removeModem).
            spdlog::debug("{}: waiting for the unplugged {} to go first", device.ppp.devNode, candidate);
            return;
        }
        spdlog::warn("{} at {}: id {} is taken by another modem (same serial?), trying the next", device.model.name,
                     device.identity.portPath, candidate);
    }
    if (id.empty()) {
        spdlog::warn("{} at {}: no free object id, ignored", device.model.name, device.identity.portPath);
        return;
    }

    ModemConfig modemConfig;
    if (matched)
        modemConfig = *matched;
    else
        modemConfig.call = config_.defaults;
    modemConfig.id = id;
    modemConfig.device = device.ppp.devNode;
    modemConfig.atPort = device.at.devNode;
    modemConfig.dmPort = device.dm.devNode;
    modemConfig.usb = device.identity;
    device.modem = add(std::move(modemConfig));
    if (!device.modem) return;
    spdlog::info("[{}] {} {}:{} at usb {} serial '{}': modem port {}, AT port {}", id, device.model.name,
                 device.identity.vendorId, device.identity.productId, device.identity.portPath, device.identity.serial,
                 device.ppp.devNode, device.at.devNode.empty() ? "none" : device.at.devNode);
    if (matched && matched->autoconnect) autoconnect(*device.modem);
}

void ModemRegistry::ttyRemoved(const std::string& reportedSysPath) {
    const std::string sysPath = sanitizeText(reportedSysPath);  // as ttyAdded kept it
    for (auto it = usbDevices_.begin(); it != usbDevices_.end(); ++it) {
        UsbDevice& device = it->second;
        if (device.at.sysPath == sysPath) {
            spdlog::debug("AT port {} of {} removed", device.at.devNode, device.identity.portPath);
            device.at = {};
            if (device.modem) device.modem->setAtPort("");
        } else if (device.dm.sysPath == sysPath) {
            spdlog::debug("DM port {} of {} removed", device.dm.devNode, device.identity.portPath);
            device.dm = {};
            if (device.modem) device.modem->setDmPort("");
        } else if (device.ppp.sysPath == sysPath) {
            device.ppp = {};
            if (Modem* modem = std::exchange(device.modem, nullptr)) {
                // Destroyed on a later turn: `gone` may run inside the modem's own callback.
                auto gone = [this, modem] { scheduler_.defer([this, modem] { removeModem(modem); }); };
                if (modem->resetting()) {
                    modem->deviceDetachedDuringReset(gone);  // a restart re-enumerates: expected
                } else {
                    spdlog::info("[{}] removed", modem->id());
                    modem->deviceRemoved(gone);
                }
            }
        } else {
            continue;
        }
        if (device.ppp.sysPath.empty() && device.at.sysPath.empty() && device.dm.sysPath.empty()) usbDevices_.erase(it);
        return;
    }
}

void ModemRegistry::removeModem(Modem* modem) {
    listener_.modemRemoved(*modem);
    std::erase_if(modems_, [&](const auto& owned) { return owned.get() == modem; });
    // A re-plugged modem that waited for this id can come now.
    for (auto& [path, device] : usbDevices_) announceUsbModem(device);
}

std::vector<Modem*> ModemRegistry::modems() const {
    std::vector<Modem*> all;
    for (const auto& modem : modems_) all.push_back(modem.get());
    return all;
}

Modem* ModemRegistry::find(const std::string& id) const {
    for (const auto& modem : modems_)
        if (modem->id() == id) return modem.get();
    return nullptr;
}

}  // namespace dialupd
