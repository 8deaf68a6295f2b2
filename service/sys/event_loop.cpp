// SPDX-License-Identifier: GPL-2.0-or-later
#include "event_loop.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

#include <spdlog/spdlog.h>

namespace dialupd {
namespace {

void check(int result, const char* what) {
    if (result < 0) throw std::system_error(-result, std::generic_category(), what);
}

// Callbacks live in heap cells owned by their source (freed through its destroy callback), so a
// source may be released from inside its own callback: sd-event defers the free until the
// dispatch returns.
using Callback = std::function<void()>;
using FdCallback = std::function<void(uint32_t)>;

template <typename T>
void destroyCell(void* cell) {
    delete static_cast<T*>(cell);
}

// An exception escaping into sd-event would unwind through C frames: log it and carry on.
template <typename Call>
int guarded(Call&& call) {
    try {
        call();
    } catch (const std::exception& error) {
        spdlog::error("unhandled error in event callback: {}", error.what());
    }
    return 0;
}

int onTime(sd_event_source*, uint64_t, void* cell) {
    return guarded([&] { (*static_cast<Callback*>(cell))(); });
}

int onIo(sd_event_source*, int, uint32_t revents, void* cell) {
    return guarded([&] { (*static_cast<FdCallback*>(cell))(revents); });
}

int onSignalInfo(sd_event_source*, const struct signalfd_siginfo*, void* cell) {
    return guarded([&] { (*static_cast<Callback*>(cell))(); });
}

}  // namespace

EventSource::~EventSource() { sd_event_source_disable_unref(source_); }

EventLoop::EventLoop() {
    check(sd_event_new(&event_), "sd_event_new");
    check(sd_event_add_defer(event_, &deferSource_, runDeferred, this), "sd_event_add_defer");
    sd_event_source_set_enabled(deferSource_, SD_EVENT_OFF);
}

EventLoop::~EventLoop() {
    deferred_.clear();
    sd_event_source_disable_unref(deferSource_);
    sd_event_unref(event_);
}

std::unique_ptr<TimerHandle> EventLoop::after(std::chrono::microseconds delay, std::function<void()> callback) {
    sd_event_source* source = nullptr;
    uint64_t due = static_cast<uint64_t>((monotonicNow() + delay).count());
    auto* cell = new Callback(std::move(callback));
    int result = sd_event_add_time(event_, &source, CLOCK_MONOTONIC, due, 0, onTime, cell);
    if (result < 0) {
        delete cell;
        check(result, "sd_event_add_time");
    }
    sd_event_source_set_destroy_callback(source, destroyCell<Callback>);
    return std::make_unique<EventSource>(source);
}

void EventLoop::defer(std::function<void()> callback) {
    deferred_.push_back(std::move(callback));
    sd_event_source_set_enabled(deferSource_, SD_EVENT_ONESHOT);
}

int EventLoop::runDeferred(sd_event_source*, void* self) {
    // Work deferred while this batch runs waits for the next turn.
    auto batch = std::move(static_cast<EventLoop*>(self)->deferred_);
    static_cast<EventLoop*>(self)->deferred_.clear();
    for (auto& callback : batch) {
        guarded(callback);
        // What it owned goes now, before the next one runs: a port let go by a deferred release
        // (AtSession::letGo) is free when the work deferred after it (the snapshot's `done`,
        // which hands the port back to the live status) runs.
        callback = nullptr;
    }
    return 0;
}

std::chrono::microseconds EventLoop::monotonicNow() const {
    uint64_t now = 0;
    sd_event_now(event_, CLOCK_MONOTONIC, &now);
    return std::chrono::microseconds(now);
}

uint64_t EventLoop::realtimeNowUsec() const {
    uint64_t now = 0;
    sd_event_now(event_, CLOCK_REALTIME, &now);
    return now;
}

std::unique_ptr<EventSource> EventLoop::watchFd(int fd, uint32_t events, std::function<void(uint32_t)> callback) {
    sd_event_source* source = nullptr;
    auto* cell = new FdCallback(std::move(callback));
    int result = sd_event_add_io(event_, &source, fd, events, onIo, cell);
    if (result < 0) {
        delete cell;
        check(result, "sd_event_add_io");
    }
    sd_event_source_set_destroy_callback(source, destroyCell<FdCallback>);
    return std::make_unique<EventSource>(source);
}

std::unique_ptr<EventSource> EventLoop::onSignal(int signal, std::function<void()> callback) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, signal);
    if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) check(-errno, "sigprocmask");
    sd_event_source* source = nullptr;
    auto* cell = new Callback(std::move(callback));
    int result = sd_event_add_signal(event_, &source, signal, onSignalInfo, cell);
    if (result < 0) {
        delete cell;
        check(result, "sd_event_add_signal");
    }
    sd_event_source_set_destroy_callback(source, destroyCell<Callback>);
    return std::make_unique<EventSource>(source);
}

int EventLoop::run() {
    int result = sd_event_loop(event_);
    check(result, "sd_event_loop");
    return result;
}

void EventLoop::exit(int code) { sd_event_exit(event_, code); }

}  // namespace dialupd
