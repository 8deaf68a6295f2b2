// SPDX-License-Identifier: GPL-2.0-or-later
// Wires the daemon together: the loop, the bus, the pppd runner, udev and the registry of
// modems, with one D-Bus adaptor per modem while it exists; handles SIGTERM/SIGINT by ending
// every call gracefully before exiting.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bus/modem_adaptor.h"
#include "bus/object_manager.h"
#include "core/config.h"
#include "core/modem.h"
#include "core/modem_registry.h"
#include "sys/bus_binding.h"
#include "sys/connectivity_probes.h"
#include "sys/dns_backends.h"
#include "sys/netlink_link_watch.h"
#include "sys/netlink_route_table.h"
#include "sys/event_loop.h"
#include "sys/file_call_log_store.h"
#include "sys/file_counters_store.h"
#include "sys/instance_lock.h"
#include "sys/pppd_process.h"
#include "sys/provider_db_file.h"
#include "sys/process_command_runner.h"
#include "sys/sysfs_usb_resetter.h"
#include "sys/tty_at_port.h"
#include "sys/tty_dm_port.h"

namespace dialupd {

class Daemon final : private ModemRegistryListener {
public:
    explicit Daemon(Config config);
    ~Daemon();
    // Returns the process exit code: 0 after a requested stop, non-zero when the bus broke.
    int run();

private:
    void prepareRuntimeDir();
    // Throws AnotherInstance when some other process owns our bus name.
    void refuseIfNameTaken();
    void shutdown(int exitCode);
    void modemAdded(Modem& modem) override;
    void modemRemoved(Modem& modem) override;
    // A counter or a state changed: the metrics file is rewritten on a later turn, if its text
    // changed (metrics-dir set).
    void metricsChanged();
    void writeMetrics();

    Config config_;
    std::optional<InstanceLock> instanceLock_;  // held while we run; released last
    EventLoop loop_;
    SystemPppdRunner runner_;
    TtyAtPortOpener atPorts_;
    TtyDmPortOpener dmPorts_{loop_};
    SysfsUsbResetter usbResetter_;
    ProcessCommandRunner commands_{loop_};
    ProviderDatabaseFile providers_;
    FileCallLogStore callLogs_;
    FileCountersStore counters_;
    bool metricsPending_ = false;
    std::string metricsWritten_;  // the text last written
    std::unique_ptr<sdbus::IConnection> bus_;
    std::unique_ptr<BusBinding> busBinding_;
    NetlinkRouteTable routes_;
    SystemConnectivityProber prober_{loop_};
    NetlinkLinkWatchFactory linkWatches_{loop_};
    std::unique_ptr<SystemDnsBackends> dnsBackends_;  // on bus_: made after it, gone before it
    std::unique_ptr<ObjectManagerAdaptor> objectManager_;
    std::map<Modem*, std::unique_ptr<ModemAdaptor>> adaptors_;
    std::unique_ptr<ModemRegistry> registry_;
    std::unique_ptr<DeviceSource> devices_;
    std::unique_ptr<DeviceNodes> deviceNodes_;  // fixed-port modems' ttys
    std::vector<std::unique_ptr<EventSource>> signalSources_;
    std::set<std::string> leftoverPppdStopped_;  // modem ids whose earlier pppd we had to stop
    bool shuttingDown_ = false;
};

}  // namespace dialupd
