// SPDX-License-Identifier: GPL-2.0-or-later
// Daemon-wide settings: where the tools are, where runtime files go, how long pppd may take to
// stop, how long diagnostics and recovery may take.
#pragma once

#include <chrono>
#include <string>

namespace dialupd {

struct DaemonSettings {
    std::string pppdPath = "/usr/sbin/pppd";
    std::string chatPath = "/usr/sbin/chat";
    std::string pluginPath;  // our pppd plugin; the build sets the installed default
    std::string runtimeDir = "/run/dialupd";
    // UUCP lock files (LCK..<tty>) the AT port is taken under: the directory pppd and chat use
    // (built into them: /var/lock, which is /run/lock on Debian). Every user can write there.
    std::string lockDir = "/run/lock";
    // SIGTERM → SIGKILL window. pppd's own LCP terminate takes up to ~9 s (3 s × 3 tries), so the
    // default leaves room; NetworkManager's 1.5 s kills pppd mid-terminate and leaves a stuck module.
    std::chrono::seconds stopTimeout{20};
    bool pppdDebug = false;                     // pass `debug` to pppd: every LCP/IPCP packet in the call log
    bool watchUdev = true;                      // take supported USB modems as udev reports them
    std::string stateDir = "/var/lib/dialupd";  // kept call logs (calls/<modem id>/), created 0700
    size_t callLogBytes = 64 * 1024;            // one call's captured log; the oldest lines go first
    uint32_t keptCallLogs = 10;                 // per modem; 0 = keep none
    // What one modem's kept calls take on disk in all, their .qmdl DM logs included
    // (sys/file_call_log_store.h): 64 of the default dm-log-size's 4 MiB.
    uint64_t callLogsMaxBytes = 256ull << 20;
    // The AT snapshot after a call ends by itself: the whole, and each command.
    std::chrono::milliseconds diagnosticsTimeout{3000};
    std::chrono::milliseconds diagnosticsCommandTimeout{1000};
    // How long module recovery waits for the modem port to answer after AT+CFUN=1,1 or a USB
    // reset (an EC25 takes 10-20 s to restart and re-enumerate).
    std::chrono::seconds recoveryWait{45};
    // Hold each modem's AT port between snapshots and publish SIM, registration, operator and
    // signal from its URCs (core/live_status.h).
    bool liveStatus = true;
    // Where the counters and states go in Prometheus' text format (dialupd.prom), for
    // node_exporter's textfile collector; "" = nowhere.
    std::string metricsDir;
};

}  // namespace dialupd
