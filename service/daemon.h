// Wires the daemon together: the loop, the bus, the pppd runner and one Modem (+ adaptor) per
// configured modem; handles SIGTERM/SIGINT by ending every call gracefully before exiting.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <memory>
#include <vector>

#include "bus/modem_adaptor.h"
#include "bus/object_manager.h"
#include "core/config.h"
#include "core/modem.h"
#include "sys/bus_binding.h"
#include "sys/event_loop.h"
#include "sys/pppd_process.h"

namespace dialupd {

class Daemon {
public:
    explicit Daemon(Config config);
    ~Daemon();
    // Returns the process exit code: 0 after a requested stop, non-zero when the bus broke.
    int run();

private:
    void prepareRuntimeDir();
    void shutdown(int exitCode);

    Config config_;
    EventLoop loop_;
    SystemPppdRunner runner_;
    std::vector<std::unique_ptr<Modem>> modems_;
    std::unique_ptr<sdbus::IConnection> bus_;
    std::unique_ptr<BusBinding> busBinding_;
    std::unique_ptr<ObjectManagerAdaptor> objectManager_;
    std::vector<std::unique_ptr<ModemAdaptor>> adaptors_;
    std::vector<std::unique_ptr<EventSource>> signalSources_;
    bool shuttingDown_ = false;
};

}  // namespace dialupd
