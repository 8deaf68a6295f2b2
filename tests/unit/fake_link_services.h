// SPDX-License-Identifier: GPL-2.0-or-later
// Fakes of the system services that put a link online (core/link_services.h): a routing table
// that records routes, a link watch the test feeds events into, DNS backends that answer when told.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "core/link_services.h"

namespace dialupd::testing {

class FakeRouteTable final : public RouteTable {
public:
    int ifindex(const std::string& ifname) override {
        ++lookups;
        auto found = interfaces.find(ifname);
        return found == interfaces.end() ? 0 : found->second;
    }
    void addDefaultRoute(int ifindex, uint32_t metric) override {
        if (failAdd) throw Error(error_name::kInternal, "Operation not permitted");
        routes.insert({ifindex, metric});
    }
    bool removeDefaultRoute(int ifindex, uint32_t metric) override {
        ++removals;
        return routes.erase({ifindex, metric}) > 0;
    }
    // The interface goes, and its routes with it.
    void removeInterface(const std::string& ifname) {
        int index = ifindex(ifname);
        interfaces.erase(ifname);
        std::erase_if(routes, [&](const auto& route) { return route.first == index; });
    }

    std::map<std::string, int> interfaces{{"ppp0", 7}};
    std::set<std::pair<int, uint32_t>> routes;
    bool failAdd = false;
    int removals = 0;
    int lookups = 0;
};

// The list of open watches is shared: a watch may outlive the factory (a test fixture destroys
// its fakes before the modem that holds the watch).
class FakeLinkWatch final : public LinkWatch {
public:
    explicit FakeLinkWatch(std::shared_ptr<std::vector<FakeLinkWatch*>> open) : open_(std::move(open)) {
        open_->push_back(this);
    }
    ~FakeLinkWatch() override { std::erase(*open_, this); }
    void follow(int ifindex, LinkEventsObserver& observer) override {
        followed = ifindex;
        observer_ = &observer;
    }
    void addresses(const std::vector<std::string>& list) { observer_->linkIpv6AddressesChanged(list); }
    void rdnss(const std::vector<std::string>& list) { observer_->linkRdnssChanged(list); }

    int followed = 0;

private:
    std::shared_ptr<std::vector<FakeLinkWatch*>> open_;
    LinkEventsObserver* observer_ = nullptr;
};

class FakeLinkWatchFactory final : public LinkWatchFactory {
public:
    std::unique_ptr<LinkWatch> open() override {
        if (failOpen) throw Error(error_name::kInternal, "Protocol not supported");
        ++opened;
        return std::make_unique<FakeLinkWatch>(watches);
    }
    FakeLinkWatch* current() const { return watches->empty() ? nullptr : watches->back(); }

    std::shared_ptr<std::vector<FakeLinkWatch*>> watches = std::make_shared<std::vector<FakeLinkWatch*>>();  // open now
    int opened = 0;
    bool failOpen = false;
};

// Answers every apply/revert when the test says (answerAll), or at once with `immediate`.
class FakeDnsBackend final : public DnsBackend {
public:
    explicit FakeDnsBackend(std::string name, bool forgets) : name_(std::move(name)), forgets_(forgets) {}
    std::string_view name() const override { return name_; }
    bool forgetsWithInterface() const override { return forgets_; }
    void apply(const LinkDns& dns, DnsDone done) override {
        applied.push_back(dns);
        pending.push_back(std::move(done));
        if (immediate) answerAll();
    }
    void revert(const LinkDns& dns, DnsDone done) override {
        reverted.push_back(dns);
        done(std::nullopt);
    }
    void answerAll(const std::optional<std::string>& error = std::nullopt) {
        auto answers = std::move(pending);
        pending.clear();
        for (auto& done : answers) done(error);
    }

    std::vector<LinkDns> applied;
    std::vector<LinkDns> reverted;
    std::vector<DnsDone> pending;
    bool immediate = true;

private:
    std::string name_;
    bool forgets_;
};

class FakeDnsBackends final : public DnsBackends {
public:
    void choose(DnsMode mode, Chosen chosen) override {
        modes.push_back(mode);
        if (mode == DnsMode::None) return chosen(nullptr, "dns = none");
        if (mode == DnsMode::Resolvconf) return chosen(&resolvconf, "");
        if (!resolvedRunning) return chosen(nullptr, "neither systemd-resolved nor resolvconf");
        chosen(&resolved, "");
    }

    FakeDnsBackend resolved{"resolved", true};
    FakeDnsBackend resolvconf{"resolvconf", false};
    bool resolvedRunning = true;
    std::vector<DnsMode> modes;
};

}  // namespace dialupd::testing
