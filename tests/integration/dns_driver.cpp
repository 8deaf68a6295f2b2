// SPDX-License-Identifier: GPL-2.0-or-later
// Drives the real DNS backends (sys/dns_backends.h) on the daemon's loop and bus binding against
// whatever the test put on the bus (DBUS_SYSTEM_BUS_ADDRESS) and at the resolvconf path, and
// prints what came back, one line each:
//   backend NAME | none REASON        what choose() gave
//   ok | error REASON                 what apply/revert answered
// Usage: dns-driver [--resolvconf PATH] MODE OP IFINDEX IFNAME yes|no [SERVER...]
//   OP: apply, revert, apply-revert (both at once: their order must hold), apply-abandoned (an
//   apply whose chooser and backend are destroyed before the answer comes, then a second apply
//   on fresh ones: only the second may answer).
#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "core/link_services.h"
#include "sys/bus_binding.h"
#include "sys/dns_backends.h"
#include "sys/event_loop.h"
#include "sys/system_bus.h"

using namespace dialupd;

namespace {

int usage() {
    std::cerr << "usage: dns-driver [--resolvconf PATH] MODE apply|revert|apply-revert|apply-abandoned IFINDEX IFNAME "
                 "yes|no [SERVER...]\n";
    return 2;
}

void say(const std::string& line) { std::cout << line << std::endl; }

std::string result(const std::optional<std::string>& error) { return error ? "error " + *error : "ok"; }

}  // namespace

int main(int argc, char** argv) {
    // stdout carries the results; the backends' log lines go to stderr.
    spdlog::set_default_logger(spdlog::stderr_logger_st("dns-driver"));
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string resolvconf = ResolvconfDns::kDefaultProgram;
    if (args.size() >= 2 && args[0] == "--resolvconf") {
        resolvconf = args[1];
        args.erase(args.begin(), args.begin() + 2);
    }
    if (args.size() < 5) return usage();
    std::optional<DnsMode> mode = parseDnsMode(args[0]);
    const std::string op = args[1];
    if (!mode || (args[4] != "yes" && args[4] != "no")) return usage();
    LinkDns dns;
    dns.ifindex = std::stoi(args[2]);
    dns.ifname = args[3];
    dns.defaultRoute = args[4] == "yes";
    dns.servers.assign(args.begin() + 5, args.end());

    EventLoop loop;
    std::unique_ptr<sdbus::IConnection> bus = openSystemBus();
    BusBinding binding(loop, *bus, [&loop] { loop.exit(3); });
    auto backends = std::make_unique<SystemDnsBackends>(loop, *bus, resolvconf);
    std::unique_ptr<SystemDnsBackends> second;

    auto finishWith = [&loop](const std::optional<std::string>& error) {
        say(result(error));
        loop.exit(0);
    };
    backends->choose(*mode, [&](DnsBackend* backend, const std::string& whyNone) {
        if (!backend) {
            say("none " + whyNone);
            loop.exit(0);
            return;
        }
        say("backend " + std::string(backend->name()));
        if (op == "apply") {
            backend->apply(dns, finishWith);
        } else if (op == "revert") {
            backend->revert(dns, finishWith);
        } else if (op == "apply-revert") {
            backend->apply(dns, [](const std::optional<std::string>& error) { say("apply " + result(error)); });
            backend->revert(dns, [finishWith](const std::optional<std::string>& error) {
                std::cout << "revert ";
                finishWith(error);
            });
        } else if (op == "apply-abandoned") {
            backend->apply(dns, [](const std::optional<std::string>& error) {
                say("abandoned apply answered: " + result(error));
            });
            // Before any answer can have come (we have not been back to the loop): the backend,
            // and whatever its answer would have reached, go away now.
            backends.reset();
            second = std::make_unique<SystemDnsBackends>(loop, *bus, resolvconf);
            second->choose(*mode, [&, finishWith](DnsBackend* fresh, const std::string& why) {
                if (!fresh) return say("none " + why), loop.exit(1);
                fresh->apply(dns, finishWith);
            });
        } else {
            say("unknown op " + op);
            loop.exit(2);
        }
    });
    int code = loop.run();
    second.reset();
    backends.reset();
    return code;
}
