// SPDX-License-Identifier: GPL-2.0-or-later
#include "bus_binding.h"

#include <poll.h>

#include <cstdint>
#include <system_error>
#include <utility>

#include <spdlog/spdlog.h>

namespace dialupd {

BusBinding::BusBinding(EventLoop& loop, sdbus::IConnection& connection, std::function<void()> onFailure)
    : loop_(loop), connection_(connection), onFailure_(std::move(onFailure)) {
    auto poll = connection_.getEventLoopPollData();
    int result = sd_event_add_io(loop_.get(), &io_, poll.fd, static_cast<uint32_t>(poll.events), dispatchIo, this);
    if (result < 0) throw std::system_error(-result, std::generic_category(), "sd_event_add_io(bus)");
    result = sd_event_add_time(loop_.get(), &timer_, CLOCK_MONOTONIC, UINT64_MAX, 0, dispatchTime, this);
    if (result < 0) throw std::system_error(-result, std::generic_category(), "sd_event_add_time(bus)");
    sd_event_source_set_enabled(timer_, SD_EVENT_OFF);
    sd_event_source_set_prepare(io_, prepare);
}

BusBinding::~BusBinding() {
    sd_event_source_disable_unref(timer_);
    sd_event_source_disable_unref(io_);
}

int BusBinding::prepare(sd_event_source*, void* self) {
    auto* binding = static_cast<BusBinding*>(self);
    try {
        auto poll = binding->connection_.getEventLoopPollData();
        sd_event_source_set_io_events(binding->io_, static_cast<uint32_t>(poll.events));
        if (poll.timeout_usec == UINT64_MAX) {
            sd_event_source_set_enabled(binding->timer_, SD_EVENT_OFF);
        } else {
            sd_event_source_set_time(binding->timer_, poll.timeout_usec);
            sd_event_source_set_enabled(binding->timer_, SD_EVENT_ONESHOT);
        }
    } catch (const std::exception& error) {
        binding->fail(error);
    }
    return 0;
}

int BusBinding::dispatchIo(sd_event_source*, int, uint32_t, void* self) {
    static_cast<BusBinding*>(self)->processAll();
    return 0;
}

int BusBinding::dispatchTime(sd_event_source*, uint64_t, void* self) {
    static_cast<BusBinding*>(self)->processAll();
    return 0;
}

void BusBinding::processAll() {
    try {
        while (connection_.processPendingRequest()) {
        }
    } catch (const std::exception& error) {
        fail(error);
    }
}

void BusBinding::fail(const std::exception& error) {
    // The bus is gone (dbus-daemon stopped, connection reset): stop watching it, tell the owner once.
    spdlog::error("D-Bus connection failed: {}", error.what());
    sd_event_source_set_enabled(io_, SD_EVENT_OFF);
    sd_event_source_set_enabled(timer_, SD_EVENT_OFF);
    if (auto onFailure = std::exchange(onFailure_, nullptr)) onFailure();
}

}  // namespace dialupd
