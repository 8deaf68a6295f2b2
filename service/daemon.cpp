// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon.h"

#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include "core/prometheus_text.h"
#include "sys/inotify_device_nodes.h"
#include "sys/leftover_pppd.h"
#include "sys/sim_pin_file.h"
#include "sys/system_bus.h"
#include "sys/udev_device_source.h"

namespace dialupd {
namespace {

bool deviceExists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISCHR(info.st_mode);
}

// Where pppd writes its link pid files (ppp-<linkname>.pid): built into pppd as /var/run.
constexpr const char* kPppdPidDir = "/run";

// Creating and restricting /run/dialupd needs root: say so, not only that it failed.
[[noreturn]] void runtimeDirFailed(const std::string& what, std::error_code error) {
    std::string message = what;
    if ((error == std::errc::operation_not_permitted || error == std::errc::permission_denied) && ::geteuid() != 0)
        message += " (dialupd runs as root, or under its systemd unit)";
    throw std::system_error(error, message);
}

std::string resolvePath(const std::string& path) {
    std::error_code error;
    std::filesystem::path resolved = std::filesystem::canonical(path, error);
    return error ? path : resolved.string();
}

}  // namespace

Daemon::Daemon(Config config)
    : config_(std::move(config)),
      runner_(loop_),
      atPorts_(loop_, config_.daemon.lockDir),
      // A kept file: the call's captured log, plus the summary and the AT snapshot (16 KiB at most).
      callLogs_(config_.daemon.stateDir, config_.daemon.keptCallLogs, config_.daemon.callLogBytes + 64 * 1024,
                config_.daemon.callLogsMaxBytes),
      counters_(config_.daemon.stateDir) {}

Daemon::~Daemon() {
    // No more udev or device node events; objects leave the bus before the connection closes.
    devices_.reset();
    deviceNodes_.reset();
    adaptors_.clear();
    registry_.reset();
    dnsBackends_.reset();
    objectManager_.reset();
    busBinding_.reset();
}

void Daemon::prepareRuntimeDir() {
    // Chat scripts live here; nobody else needs to look in. (The state dir is made by the call
    // log store when it first keeps a call.)
    const std::string& dir = config_.daemon.runtimeDir;
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) runtimeDirFailed("cannot create runtime directory " + dir, error);
    if (::chmod(dir.c_str(), 0700) < 0)
        runtimeDirFailed("cannot restrict runtime directory " + dir, std::error_code(errno, std::generic_category()));
}

void Daemon::refuseIfNameTaken() {
    // A daemon with another runtime directory on the same bus is not stopped by the lock.
    if (std::optional<long> owner = nameOwnerPid(*bus_, kBusName))
        throw AnotherInstance(anotherInstanceMessage(*owner) + " (it owns " + kBusName + " on the system bus)");
}

int Daemon::run() {
    prepareRuntimeDir();
    // First of all: a second daemon must leave the first one's pppd and bus name alone.
    instanceLock_.emplace(config_.daemon.runtimeDir);
    // A write to a closed pipe must be an error return, not a dead daemon.
    std::signal(SIGPIPE, SIG_IGN);
    signalSources_.push_back(loop_.onSignal(SIGTERM, [this] { shutdown(0); }));
    signalSources_.push_back(loop_.onSignal(SIGINT, [this] { shutdown(0); }));

    bus_ = openSystemBus();
    refuseIfNameTaken();
    // Before any modem is taken: never two pppd on one tty.
    const std::vector<LeftoverPppd> leftovers = findLeftoverPppd(kPppdPidDir);
    stopLeftoverPppd(leftovers, config_.daemon.stopTimeout);
    for (const LeftoverPppd& leftover : leftovers) leftoverPppdStopped_.insert(leftover.modemId);

    busBinding_ = std::make_unique<BusBinding>(loop_, *bus_, [this] { shutdown(1); });
    objectManager_ = std::make_unique<ObjectManagerAdaptor>(*bus_);
    registry_ = std::make_unique<ModemRegistry>(config_, runner_, loop_, deviceExists,
                                                static_cast<ModemRegistryListener&>(*this), resolvePath);
    dnsBackends_ = std::make_unique<SystemDnsBackends>(loop_, *bus_);
    ModemServices services;
    services.atPorts = &atPorts_;
    services.dmPorts = &dmPorts_;
    services.usbResetter = &usbResetter_;
    services.commands = &commands_;
    services.callLogs = &callLogs_;
    services.counters = &counters_;
    services.linkBytes = [](const std::string& interface) { return readLinkBytes(interface); };
    services.statsChanged = [this] { metricsChanged(); };
    services.providers = &providers_;
    services.prober = &prober_;
    services.readSimPinFile = readSimPinFile;
    services.online = OnlineServices{&routes_, &linkWatches_, dnsBackends_.get()};
    registry_->setModemServices(std::move(services));
    try {
        deviceNodes_ = std::make_unique<InotifyDeviceNodes>(loop_);
        registry_->setDeviceNodes(deviceNodes_.get());
    } catch (const std::system_error& error) {
        spdlog::error(
            "cannot watch device nodes ({}): a fixed-port modem's state follows its tty only at "
            "each call's end",
            error.what());
    }
    registry_->addConfiguredModems();
    if (config_.daemon.watchUdev) {
        try {
            devices_ = std::make_unique<UdevDeviceSource>(loop_);
            devices_->start(*registry_);
        } catch (const std::system_error& error) {
            // The configured fixed-port modems still work; say loudly what is missing.
            devices_.reset();
            spdlog::error(
                "cannot watch udev ({}): USB modems will not be found (set udev = no in [daemon] for "
                "fixed ports only)",
                error.what());
        }
    }
    // The name last: a client that sees it finds every object already in place.
    try {
        bus_->requestName(kBusName);
    } catch (const sdbus::Error&) {
        refuseIfNameTaken();  // another daemon came up meanwhile
        throw;
    }
    spdlog::info("dialupd {} ready on the system bus as {} with {} modem(s){}", DIALUPD_VERSION, kBusName,
                 registry_->modems().size(), config_.daemon.watchUdev ? ", watching udev" : "");
    sd_notify(0, "READY=1");
    // Under WatchdogSec= (WATCHDOG_USEC set), sd-event sends WATCHDOG=1 from the loop itself at
    // half to three quarters of the interval: a loop stuck anywhere stops the pings and systemd
    // restarts us.
    if (int error = sd_event_set_watchdog(loop_.get(), true); error < 0)
        spdlog::warn("cannot feed the service watchdog: {}", std::strerror(-error));
    else if (error > 0)
        spdlog::info("feeding the service watchdog from the event loop");

    int exitCode = loop_.run();
    sd_notify(0, "STOPPING=1");
    spdlog::info("dialupd stopped");
    return exitCode;
}

void Daemon::shutdown(int exitCode) {
    if (shuttingDown_) {
        spdlog::info("already stopping: waiting for pppd to exit");
        return;
    }
    shuttingDown_ = true;
    sd_notify(0, "STOPPING=1");
    // Plugged-in modems while stopping would only be dialled by autoconnect: stop listening.
    devices_.reset();
    std::vector<Modem*> modems = registry_ ? registry_->modems() : std::vector<Modem*>{};
    auto remaining = std::make_shared<size_t>(modems.size());
    spdlog::info("stopping: ending {} call(s)",
                 std::count_if(modems.begin(), modems.end(), [](Modem* modem) { return modem->callActive(); }));
    if (*remaining == 0) {
        loop_.exit(exitCode);
        return;
    }
    for (Modem* modem : modems) {
        modem->stop([this, remaining, exitCode] {
            if (--*remaining == 0) loop_.exit(exitCode);
        });
    }
}

void Daemon::modemAdded(Modem& modem) {
    // Stopped without knowing how its link ended: the module may be left in data mode.
    if (leftoverPppdStopped_.erase(modem.id()))
        modem.markSuspect("a pppd an earlier dialupd left running on it was stopped");
    // Before its adaptor, which publishes what it reads.
    if (config_.daemon.liveStatus) modem.setLiveStatus(std::make_unique<LiveStatus>(atPorts_, loop_, modem.id()));
    // A constructor that throws leaves no entry here; the registry then drops the modem.
    auto adaptor = std::make_unique<ModemAdaptor>(*bus_, modem);
    adaptors_[&modem] = std::move(adaptor);
    metricsChanged();
}

void Daemon::modemRemoved(Modem& modem) {
    adaptors_.erase(&modem);
    metricsChanged();
}

void Daemon::metricsChanged() {
    if (config_.daemon.metricsDir.empty() || metricsPending_) return;
    metricsPending_ = true;
    loop_.defer([this] { writeMetrics(); });
}

void Daemon::writeMetrics() {
    metricsPending_ = false;
    if (!registry_) return;
    std::vector<ModemMetrics> modems;
    for (Modem* modem : registry_->modems())
        if (!modem->removed()) modems.push_back({modem->id(), modem->state(), modem->statistics(false)});
    std::string text = formatPrometheus(modems);
    if (text == metricsWritten_) return;
    const std::string path = config_.daemon.metricsDir + "/dialupd.prom";
    // Others read it (node_exporter runs as its own user): 0644, like the collector's other files.
    if (std::string why = writeFileAtomically(path, text, 0644); !why.empty()) {
        spdlog::warn("metrics not written: {}", why);
        return;
    }
    metricsWritten_ = std::move(text);
}

}  // namespace dialupd
