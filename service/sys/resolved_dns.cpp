// SPDX-License-Identifier: GPL-2.0-or-later
#include "resolved_dns.h"

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "core/dns_servers.h"
#include "core/text.h"

namespace dialupd {

// One apply or revert: its calls' answers, counted down; the first error is the one told.
struct ResolvedDns::Batch {
    std::string ifname;
    int pending = 0;
    bool noSuchLinkIsDone = false;  // RevertLink: resolved forgot the link by itself
    std::optional<std::string> firstError;
    DnsDone done;
};

namespace {

constexpr size_t kMessageLimit = 200;

std::string readable(const std::string& name) {
    if (name == resolve1::kNoSuchLink) return "it does not know the link (the interface is gone)";
    if (name == "org.freedesktop.resolve1.LinkBusy") return "the link is managed by someone else (systemd-networkd)";
    if (name == "org.freedesktop.DBus.Error.ServiceUnknown" || name == "org.freedesktop.DBus.Error.NameHasNoOwner")
        return "systemd-resolved is not running (nobody owns org.freedesktop.resolve1 on the system bus)";
    if (name == "org.freedesktop.DBus.Error.AccessDenied") return "access denied (bus policy or polkit)";
    if (name == "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired")
        return "polkit wants an interactive authorization, which a daemon cannot give";
    if (name == "org.freedesktop.DBus.Error.NoReply" || name == "org.freedesktop.DBus.Error.Timeout" ||
        name == "org.freedesktop.DBus.Error.TimedOut")
        return "no answer in time";
    if (name == "org.freedesktop.DBus.Error.UnknownMethod" || name == "org.freedesktop.DBus.Error.UnknownInterface" ||
        name == "org.freedesktop.DBus.Error.UnknownObject")
        return "this systemd-resolved does not offer it (too old?)";
    if (name == "org.freedesktop.DBus.Error.InvalidArgs") return "it refused the arguments";
    if (name == "org.freedesktop.DBus.Error.Disconnected") return "the bus connection is gone";
    return "";
}

}  // namespace

std::string resolvedErrorText(const std::string& name, const std::string& message) {
    const std::string cleanName = shortened(sanitizeText(name), kMessageLimit);
    const std::string cleanMessage = shortened(sanitizeText(message), kMessageLimit);
    std::string meaning = readable(name);
    if (meaning.empty()) meaning = cleanName;
    return cleanMessage.empty() ? meaning : meaning + ": " + cleanMessage;
}

ResolvedDns::ResolvedDns(EventLoop& loop, sdbus::IConnection& bus, std::chrono::milliseconds timeout)
    : loop_(loop), timeout_(timeout), proxy_(sdbus::createProxy(bus, resolve1::kService, resolve1::kPath)) {}

ResolvedDns::~ResolvedDns() {
    *alive_ = false;
    for (sdbus::PendingAsyncCall& call : pending_) call.cancel();
}

void ResolvedDns::answerLater(DnsDone done, std::optional<std::string> error) {
    // From the loop, never from inside apply()/revert(): the caller may not expect the answer yet.
    loop_.defer([alive = std::weak_ptr<bool>(alive_), done = std::move(done), error = std::move(error)] {
        if (alive.lock()) done(error);
    });
}

template <typename... Args>
void ResolvedDns::call(const std::shared_ptr<Batch>& batch, const char* method, const Args&... args) {
    ++batch->pending;
    auto answered = [alive = std::weak_ptr<bool>(alive_), batch, method](const sdbus::Error* error) {
        if (!alive.lock()) return;  // the backend is gone; so is whoever asked
        if (error && !(batch->noSuchLinkIsDone && error->getName() == resolve1::kNoSuchLink) && !batch->firstError)
            batch->firstError = fmt::format("systemd-resolved {} for {}: {}", method, batch->ifname,
                                            resolvedErrorText(error->getName(), error->getMessage()));
        if (--batch->pending == 0 && batch->done) std::exchange(batch->done, nullptr)(batch->firstError);
    };
    std::erase_if(pending_, [](const sdbus::PendingAsyncCall& call) { return !call.isPending(); });
    try {
        pending_.push_back(proxy_->callMethodAsync(method)
                               .onInterface(resolve1::kManager)
                               .withTimeout(timeout_)
                               .withArguments(args...)
                               .uponReplyInvoke(answered));
    } catch (const sdbus::Error& error) {
        // The message could not even be queued (the connection is broken).
        --batch->pending;
        if (!batch->firstError)
            batch->firstError = fmt::format("systemd-resolved {} for {}: {}", method, batch->ifname,
                                            resolvedErrorText(error.getName(), error.getMessage()));
    }
}

void ResolvedDns::apply(const LinkDns& dns, DnsDone done) {
    const std::string ifname = shortened(sanitizeText(dns.ifname), 40);
    if (dns.ifindex <= 0)
        return answerLater(std::move(done), "systemd-resolved: " + ifname + " has no interface index");

    std::vector<sdbus::Struct<int32_t, std::vector<uint8_t>>> servers;
    for (const std::string& text : dns.servers) {
        if (std::optional<DnsServerAddress> address = parseDnsServer(text))
            servers.emplace_back(address->family, address->bytes);
        else
            spdlog::warn("{}: DNS server '{}' is no IP address: left out", ifname, shortened(sanitizeText(text), 64));
    }
    // "~." (here "." with routing-only set) routes every lookup without a better match to this
    // link; only the link with the default route may claim that.
    std::vector<sdbus::Struct<std::string, bool>> domains;
    if (dns.defaultRoute) domains.emplace_back(".", true);

    auto batch = std::make_shared<Batch>();
    batch->ifname = ifname;
    batch->done = std::move(done);
    ++batch->pending;  // held until every call is queued, so an early failure cannot finish it
    const int32_t ifindex = dns.ifindex;
    call(batch, "SetLinkDomains", ifindex, domains);
    call(batch, "SetLinkDefaultRoute", ifindex, dns.defaultRoute);
    call(batch, "SetLinkDNS", ifindex, servers);
    if (--batch->pending == 0) answerLater(std::exchange(batch->done, nullptr), batch->firstError);
}

void ResolvedDns::revert(const LinkDns& dns, DnsDone done) {
    const std::string ifname = shortened(sanitizeText(dns.ifname), 40);
    if (dns.ifindex <= 0)
        return answerLater(std::move(done), "systemd-resolved: " + ifname + " has no interface index");
    auto batch = std::make_shared<Batch>();
    batch->ifname = ifname;
    batch->noSuchLinkIsDone = true;
    batch->done = std::move(done);
    ++batch->pending;
    call(batch, "RevertLink", static_cast<int32_t>(dns.ifindex));
    if (--batch->pending == 0) answerLater(std::exchange(batch->done, nullptr), batch->firstError);
}

}  // namespace dialupd
