// SPDX-License-Identifier: GPL-2.0-or-later
// Where a call's DNS goes, decided per call: systemd-resolved when it is on the bus, else
// resolvconf(8) when installed, else nowhere (the servers are still published on D-Bus).
#pragma once

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IProxy.h>

#include <memory>
#include <string>

#include "core/link_services.h"
#include "event_loop.h"
#include "resolvconf_dns.h"
#include "resolved_dns.h"

namespace dialupd {

class SystemDnsBackends final : public DnsBackends {
public:
    // `resolvconfProgram`: resolvconf's path (tests give a stand-in).
    SystemDnsBackends(EventLoop& loop, sdbus::IConnection& bus,
                      std::string resolvconfProgram = ResolvconfDns::kDefaultProgram);
    // A choice still waiting for the bus's answer is dropped: `chosen` is never called after this.
    ~SystemDnsBackends() override;
    SystemDnsBackends(const SystemDnsBackends&) = delete;
    SystemDnsBackends& operator=(const SystemDnsBackends&) = delete;

    // Always answers from the loop, never from inside choose(). The backends returned live as
    // long as this. An explicit `resolved` gets the resolved backend even when resolved is not on
    // the bus now: it may be starting (or bus-activated by the first call), and when it is not,
    // each call fails naming why ("systemd-resolved is not running ...") in the call log.
    void choose(DnsMode mode, Chosen chosen) override;

private:
    void answer(Chosen chosen, DnsBackend* backend, std::string whyNone);
    void chooseWithoutResolved(Chosen chosen, const std::string& resolvedState);

    EventLoop& loop_;
    ResolvedDns resolved_;
    ResolvconfDns resolvconf_;
    std::unique_ptr<sdbus::IProxy> busDaemon_;
    std::vector<sdbus::PendingAsyncCall> pending_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace dialupd
