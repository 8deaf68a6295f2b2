// SPDX-License-Identifier: GPL-2.0-or-later
// Blocking D-Bus method calls in a loop, from N connections at once: the client of
// bench/get-throughput. One thread per connection; every thread connects first, then all start
// together and call until the deadline, one call at a time (send, wait for the reply, read it).
// The same code calls either target, so the only difference between two runs is who answers:
//
//   get    org.freedesktop.DBus.Properties.Get("org.dialupd1.Modem", "State") on DEST PATH
//   getid  org.freedesktop.DBus.GetId() on the bus daemon itself (the baseline)
//
// Prints one JSON object: {"target":..., "clients":N, "seconds":elapsed, "calls":total,
// "calls_per_second":..., "per_client":[...], "errors":0}. Exit 1 on any failed call.
//
// Usage: dbus-call-loop --address unix:path=... --target get|getid --clients N --seconds S
//                       [--dest org.dialupd1] [--path /org/dialupd1/modem/m0] [--warmup S]
#include <systemd/sd-bus.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
    std::string address;
    std::string target = "get";
    std::string dest = "org.dialupd1";
    std::string path;
    int clients = 1;
    double seconds = 3;
    double warmup = 0.3;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "dbus-call-loop: %s\nusage: dbus-call-loop --address ADDR --target get|getid --clients N "
                 "--seconds S [--dest NAME] [--path PATH] [--warmup S]\n",
                 why);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string name = argv[i];
        if (i + 1 >= argc) usage(("missing value for " + name).c_str());
        const char* value = argv[++i];
        if (name == "--address")
            options.address = value;
        else if (name == "--target")
            options.target = value;
        else if (name == "--dest")
            options.dest = value;
        else if (name == "--path")
            options.path = value;
        else if (name == "--clients")
            options.clients = std::atoi(value);
        else if (name == "--seconds")
            options.seconds = std::atof(value);
        else if (name == "--warmup")
            options.warmup = std::atof(value);
        else
            usage(("unknown option " + name).c_str());
    }
    if (options.address.empty()) usage("--address is required");
    if (options.target != "get" && options.target != "getid") usage("--target is get or getid");
    if (options.target == "get" && options.path.empty()) usage("--target get needs --path");
    if (options.clients < 1 || options.clients > 256) usage("--clients is 1..256");
    if (options.seconds <= 0) usage("--seconds must be positive");
    return options;
}

sd_bus* connectTo(const std::string& address) {
    sd_bus* bus = nullptr;
    int result = sd_bus_new(&bus);
    if (result >= 0) result = sd_bus_set_address(bus, address.c_str());
    if (result >= 0) result = sd_bus_set_bus_client(bus, 1);
    if (result >= 0) result = sd_bus_start(bus);
    if (result < 0) {
        std::fprintf(stderr, "dbus-call-loop: cannot connect to %s: %s\n", address.c_str(), std::strerror(-result));
        std::exit(1);
    }
    return bus;
}

// One blocking call and the read of its reply; false on any error.
bool callOnce(sd_bus* bus, const Options& options) {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    int result;
    const char* text = nullptr;
    if (options.target == "get") {
        result = sd_bus_call_method(bus, options.dest.c_str(), options.path.c_str(), "org.freedesktop.DBus.Properties",
                                    "Get", &error, &reply, "ss", "org.dialupd1.Modem", "State");
        if (result >= 0) result = sd_bus_message_read(reply, "v", "s", &text);
    } else {
        result = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                    "GetId", &error, &reply, "");
        if (result >= 0) result = sd_bus_message_read(reply, "s", &text);
    }
    if (result < 0) {
        static std::atomic<bool> reported{false};
        if (!reported.exchange(true))
            std::fprintf(stderr, "dbus-call-loop: call failed: %s %s\n", error.name ? error.name : "",
                         error.message ? error.message : std::strerror(-result));
    }
    sd_bus_error_free(&error);
    sd_bus_message_unref(reply);
    return result >= 0 && text != nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse(argc, argv);
    using Clock = std::chrono::steady_clock;

    std::vector<sd_bus*> buses;
    for (int i = 0; i < options.clients; ++i) buses.push_back(connectTo(options.address));

    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::atomic<bool> measuring{false};
    std::atomic<bool> stop{false};
    std::vector<unsigned long long> counts(options.clients, 0);
    std::vector<unsigned long long> errors(options.clients, 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < options.clients; ++i) {
        threads.emplace_back([&, i] {
            ++ready;
            while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
            unsigned long long calls = 0;
            bool counting = false;
            while (!stop.load(std::memory_order_relaxed)) {
                bool ok = callOnce(buses[i], options);
                // Calls are counted from the moment the warm-up ends, by every thread alike.
                if (!counting && measuring.load(std::memory_order_relaxed)) {
                    counting = true;
                    calls = 0;
                }
                if (ok)
                    ++calls;
                else if (++errors[i] > 10)
                    break;
            }
            counts[i] = counting ? calls : 0;
        });
    }
    while (ready.load() < options.clients) std::this_thread::yield();
    go.store(true, std::memory_order_release);
    std::this_thread::sleep_for(std::chrono::duration<double>(options.warmup));
    measuring.store(true);
    Clock::time_point start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
    stop.store(true);
    Clock::time_point end = Clock::now();
    for (std::thread& thread : threads) thread.join();
    for (sd_bus* bus : buses) sd_bus_flush_close_unref(bus);

    double elapsed = std::chrono::duration<double>(end - start).count();
    unsigned long long total = 0, failed = 0;
    for (int i = 0; i < options.clients; ++i) {
        total += counts[i];
        failed += errors[i];
    }
    std::printf(
        "{\"target\": \"%s\", \"clients\": %d, \"seconds\": %.4f, \"calls\": %llu, "
        "\"calls_per_second\": %.1f, \"errors\": %llu, \"per_client\": [",
        options.target.c_str(), options.clients, elapsed, total, total / elapsed, failed);
    for (int i = 0; i < options.clients; ++i) std::printf("%s%llu", i ? ", " : "", counts[i]);
    std::printf("]}\n");
    return failed ? 1 : 0;
}
