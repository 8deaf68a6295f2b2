// SPDX-License-Identifier: GPL-2.0-or-later
// Time for the core: timers, deferred work and clocks, from the event loop (sd-event in the
// daemon, a hand-advanced fake in unit tests).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace dialupd {

// Cancels its timer when destroyed.
class TimerHandle {
public:
    virtual ~TimerHandle() = default;
};

class Scheduler {
public:
    virtual ~Scheduler() = default;
    virtual std::unique_ptr<TimerHandle> after(std::chrono::microseconds delay, std::function<void()> callback) = 0;
    // Runs `callback` on a later turn of the loop, outside whatever callback is running now.
    virtual void defer(std::function<void()> callback) = 0;
    // Frees `object` on a later turn: for an object whose own callback is running now (a process
    // reporting its exit, a snapshot calling its completion).
    template <typename T>
    void deferRelease(std::unique_ptr<T> object) {
        if (object) defer([owned = std::shared_ptr<T>(std::move(object))] {});
    }
    virtual std::chrono::microseconds monotonicNow() const = 0;
    virtual uint64_t realtimeNowUsec() const = 0;
};

}  // namespace dialupd
