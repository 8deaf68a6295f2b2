// Daemon-wide settings: where the tools are, where runtime files go, how long pppd may take to stop.
#pragma once

#include <chrono>
#include <string>

namespace dialupd {

struct DaemonSettings {
    std::string pppdPath = "/usr/sbin/pppd";
    std::string chatPath = "/usr/sbin/chat";
    std::string pluginPath;   // our pppd plugin; the build sets the installed default
    std::string runtimeDir = "/run/dialupd";
    // SIGTERM → SIGKILL window. pppd's own LCP terminate takes up to ~9 s (3 s × 3 tries), so the
    // default leaves room; NetworkManager's 1.5 s kills pppd mid-terminate and leaves a stuck module.
    std::chrono::seconds stopTimeout{20};
    bool pppdDebug = false;   // pass `debug` to pppd: every LCP/IPCP packet in the call log
    bool watchUdev = true;    // take supported USB modems as udev reports them
};

}  // namespace dialupd
