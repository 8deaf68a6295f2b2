// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's one event loop, on sd-event: timers, fd watches, signals and deferred work.
// Implements the core's Scheduler; the bus connection and pppd's fds hang off it too.
#pragma once

#include <systemd/sd-event.h>

#include <functional>
#include <memory>
#include <vector>

#include "core/scheduler.h"

namespace dialupd {

// An sd_event_source that is released (and so disabled) when this is destroyed.
class EventSource : public TimerHandle {
public:
    explicit EventSource(sd_event_source* source) : source_(source) {}
    ~EventSource() override;
    EventSource(const EventSource&) = delete;
    EventSource& operator=(const EventSource&) = delete;
    sd_event_source* get() const { return source_; }

private:
    sd_event_source* source_;
};

class EventLoop final : public Scheduler {
public:
    EventLoop();
    ~EventLoop() override;
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    std::unique_ptr<TimerHandle> after(std::chrono::microseconds delay, std::function<void()> callback) override;
    void defer(std::function<void()> callback) override;
    std::chrono::microseconds monotonicNow() const override;
    uint64_t realtimeNowUsec() const override;

    // `callback(revents)` whenever fd is ready for `events` (EPOLLIN, ...).
    std::unique_ptr<EventSource> watchFd(int fd, uint32_t events, std::function<void(uint32_t)> callback);
    // Blocks `signal` for the process and delivers it here instead.
    std::unique_ptr<EventSource> onSignal(int signal, std::function<void()> callback);

    int run();  // until exit(); returns its code
    void exit(int code);
    sd_event* get() const { return event_; }

private:
    static int runDeferred(sd_event_source* source, void* self);

    sd_event* event_ = nullptr;
    // Deferred work is ours, not sd-event's: whatever a callback holds (a finished pppd process,
    // say) is released by ~EventLoop even when the loop stopped before running it.
    sd_event_source* deferSource_ = nullptr;
    std::vector<std::function<void()>> deferred_;
};

}  // namespace dialupd
