// SPDX-License-Identifier: GPL-2.0-or-later
// DNS through systemd-resolved, per link over D-Bus, as its "writing network configuration
// managers" guide asks of a PPP daemon (and as NetworkManager does): SetLinkDomains ("~." when
// the link carries the default route), SetLinkDefaultRoute, SetLinkDNS; RevertLink to take it
// away. Every call is asynchronous on the daemon's bus connection, with a timeout: a resolved
// that hangs cannot hold a call's end.
#pragma once

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IProxy.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/link_services.h"
#include "event_loop.h"

namespace dialupd {

namespace resolve1 {
inline constexpr const char* kService = "org.freedesktop.resolve1";
inline constexpr const char* kPath = "/org/freedesktop/resolve1";
inline constexpr const char* kManager = "org.freedesktop.resolve1.Manager";
inline constexpr const char* kNoSuchLink = "org.freedesktop.resolve1.NoSuchLink";
}  // namespace resolve1

class ResolvedDns final : public DnsBackend {
public:
    // sd-bus's own default; resolved answers these at once unless it is wedged.
    static constexpr std::chrono::seconds kDefaultTimeout{25};

    ResolvedDns(EventLoop& loop, sdbus::IConnection& bus, std::chrono::milliseconds timeout = kDefaultTimeout);
    // Answers still on their way are dropped: `done` is never called after this.
    ~ResolvedDns() override;
    ResolvedDns(const ResolvedDns&) = delete;
    ResolvedDns& operator=(const ResolvedDns&) = delete;

    std::string_view name() const override { return "resolved"; }
    // Servers that are no plain IPv4/IPv6 address are left out (and logged).
    void apply(const LinkDns& dns, DnsDone done) override;
    void revert(const LinkDns& dns, DnsDone done) override;
    // resolved drops a link's settings when the interface goes (RevertLink then: NoSuchLink).
    bool forgetsWithInterface() const override { return true; }

private:
    struct Batch;
    template <typename... Args>
    void call(const std::shared_ptr<Batch>& batch, const char* method, const Args&... args);
    void answerLater(DnsDone done, std::optional<std::string> error);

    EventLoop& loop_;
    std::chrono::milliseconds timeout_;
    std::unique_ptr<sdbus::IProxy> proxy_;
    std::vector<sdbus::PendingAsyncCall> pending_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// A resolved (or bus) error as one readable line: what it means for the link, then the
// sanitized message. `name` and `message` come from the bus: untrusted.
std::string resolvedErrorText(const std::string& name, const std::string& message);

}  // namespace dialupd
