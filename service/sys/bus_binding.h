// SPDX-License-Identifier: GPL-2.0-or-later
// Drives an sdbus-c++ 1.2 connection from our sd-event loop. 1.2 has no attachSdEventLoop, so
// before every poll we ask the connection which events and timeout it wants (they change: POLLOUT
// while writes are queued) and process requests until it has none left.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <functional>
#include <memory>

#include "event_loop.h"

namespace dialupd {

class BusBinding {
public:
    // `onFailure` runs once when the connection breaks (dbus-daemon gone).
    BusBinding(EventLoop& loop, sdbus::IConnection& connection, std::function<void()> onFailure);
    ~BusBinding();
    BusBinding(const BusBinding&) = delete;
    BusBinding& operator=(const BusBinding&) = delete;

private:
    static int prepare(sd_event_source* source, void* self);
    static int dispatchIo(sd_event_source* source, int fd, uint32_t revents, void* self);
    static int dispatchTime(sd_event_source* source, uint64_t usec, void* self);
    void processAll();
    void fail(const std::exception& error);

    EventLoop& loop_;
    sdbus::IConnection& connection_;
    std::function<void()> onFailure_;
    sd_event_source* io_ = nullptr;
    sd_event_source* timer_ = nullptr;
};

}  // namespace dialupd
