// SPDX-License-Identifier: GPL-2.0-or-later
// DeviceNodes on inotify. A node, or a link to one, is created, removed or renamed in its
// directory, so that directory is watched, not the node: /dev for /dev/ttyS1 (devtmpfs tells
// inotify of the nodes the kernel makes), /dev/serial/by-id for a udev link, and the directory
// a link points into. A directory that does not exist yet (/dev/serial/by-id before the first
// USB serial device) is watched through its nearest existing parent, and the watches are
// worked out again after every relevant event.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/device_nodes.h"
#include "event_loop.h"
#include "unique_fd.h"

namespace dialupd {

class InotifyDeviceNodes final : public DeviceNodes {
public:
    // Throws std::system_error when inotify is not available.
    explicit InotifyDeviceNodes(EventLoop& loop);
    void watch(const std::vector<std::string>& paths, std::function<void()> changed) override;
    std::string problem(const std::string& path) const override;

private:
    void rearm();
    void readEvents();

    EventLoop& loop_;
    UniqueFd inotify_;
    std::unique_ptr<EventSource> source_;
    std::vector<std::string> paths_;
    std::function<void()> changed_;
    std::map<int, std::set<std::string>> namesByWatch_;  // watch descriptor -> entry names that matter
};

}  // namespace dialupd
