// SPDX-License-Identifier: GPL-2.0-or-later
// The device nodes of fixed-port modems (`device` in a [modem] section: a tty, a pty, or a
// link to one such as /dev/serial/by-id/...), as the system shows them. Nothing tells a
// fixed-port modem that its node came or went the way udev tells of a USB modem, so the nodes
// are watched and the registry re-checks its modems when one may have changed. The real one
// is sys/inotify_device_nodes; unit tests fake it.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace dialupd {

class DeviceNodes {
public:
    virtual ~DeviceNodes() = default;
    // From now on, `changed` runs (from the event loop) after any of `paths` may have appeared,
    // gone or been pointed elsewhere. A later call replaces the set.
    virtual void watch(const std::vector<std::string>& paths, std::function<void()> changed) = 0;
    // Why `path` is not a usable tty, for the log ("" when it is one).
    virtual std::string problem(const std::string& path) const = 0;
};

}  // namespace dialupd
