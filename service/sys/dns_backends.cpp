// SPDX-License-Identifier: GPL-2.0-or-later
#include "dns_backends.h"

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include "core/text.h"

namespace dialupd {
namespace {
// NameHasOwner is answered by dbus-daemon itself: a long wait means the bus is in trouble.
constexpr std::chrono::seconds kBusTimeout{25};
}  // namespace

SystemDnsBackends::SystemDnsBackends(EventLoop& loop, sdbus::IConnection& bus, std::string resolvconfProgram)
    : loop_(loop),
      resolved_(loop, bus),
      resolvconf_(loop, std::move(resolvconfProgram)),
      busDaemon_(sdbus::createProxy(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus")) {}

SystemDnsBackends::~SystemDnsBackends() {
    *alive_ = false;
    for (sdbus::PendingAsyncCall& call : pending_) call.cancel();
}

void SystemDnsBackends::answer(Chosen chosen, DnsBackend* backend, std::string whyNone) {
    loop_.defer(
        [alive = std::weak_ptr<bool>(alive_), chosen = std::move(chosen), backend, whyNone = std::move(whyNone)] {
            if (alive.lock()) chosen(backend, whyNone);
        });
}

void SystemDnsBackends::chooseWithoutResolved(Chosen chosen, const std::string& resolvedState) {
    if (ResolvconfDns::installed(resolvconf_.program())) return answer(std::move(chosen), &resolvconf_, "");
    answer(std::move(chosen), nullptr,
           "neither systemd-resolved on the bus nor resolvconf installed: DNS servers are only published on D-Bus" +
               resolvedState);
}

void SystemDnsBackends::choose(DnsMode mode, Chosen chosen) {
    switch (mode) {
        case DnsMode::None:
            return answer(std::move(chosen), nullptr, "dns = none");
        case DnsMode::Resolved:
            return answer(std::move(chosen), &resolved_, "");
        case DnsMode::Resolvconf:
            if (ResolvconfDns::installed(resolvconf_.program())) return answer(std::move(chosen), &resolvconf_, "");
            return answer(std::move(chosen), nullptr,
                          "dns = resolvconf, but " + resolvconf_.program() + " is not installed (or not executable)");
        case DnsMode::Auto:
            break;
    }
    std::erase_if(pending_, [](const sdbus::PendingAsyncCall& call) { return !call.isPending(); });
    auto decide = [this, alive = std::weak_ptr<bool>(alive_), chosen](const sdbus::Error* error, bool owned) {
        if (!alive.lock()) return;
        if (!error && owned) return answer(chosen, &resolved_, "");
        std::string resolvedState;
        if (error) {
            std::string why = shortened(sanitizeText(error->getMessage()), 200);
            spdlog::warn("cannot ask the bus whether systemd-resolved runs: {}", why);
            resolvedState = " (the bus did not say whether systemd-resolved runs: " + why + ")";
        }
        chooseWithoutResolved(chosen, resolvedState);
    };
    try {
        pending_.push_back(busDaemon_->callMethodAsync("NameHasOwner")
                               .onInterface("org.freedesktop.DBus")
                               .withTimeout(kBusTimeout)
                               .withArguments(std::string(resolve1::kService))
                               .uponReplyInvoke(decide));
    } catch (const sdbus::Error& error) {
        chooseWithoutResolved(std::move(chosen), " (the bus did not say whether systemd-resolved runs: " +
                                                     shortened(sanitizeText(error.getMessage()), 200) + ")");
    }
}

}  // namespace dialupd
