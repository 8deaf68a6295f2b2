// SPDX-License-Identifier: GPL-2.0-or-later
// A call's link handed to the system (route, DNS, IPv6), against fake system services.
#include "core/link_online.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_link_services.h"

namespace dialupd {
namespace {

using ::testing::ElementsAre;
using testing::FakeDnsBackends;
using testing::FakeLinkWatchFactory;
using testing::FakeRouteTable;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

IpConfig ppp0() {
    IpConfig ip;
    ip.interface = "ppp0";
    ip.localAddress = "10.64.0.2";
    ip.peerAddress = "10.64.0.1";
    ip.dns = {"10.64.0.53", "10.64.0.54"};
    return ip;
}

class LinkOnlineTest : public ::testing::Test {
protected:
    LinkOnline& online() {
        if (!online_) {
            online_ = std::make_unique<LinkOnline>(
                call, OnlineServices{&routes, &watches, &dns},
                [this](std::string_view line) { log += std::string(line) + "\n"; }, [this] { ++changes; });
            online_->prepare();
        }
        return *online_;
    }
    void up() {
        online().interfaceKnown("ppp0");
        online().linkUp(ppp0(), [this] { ++onlineCalls; });
    }

    CallSettings call;
    FakeRouteTable routes;
    FakeLinkWatchFactory watches;
    FakeDnsBackends dns;
    std::string log;
    int changes = 0;
    int onlineCalls = 0;
    std::unique_ptr<LinkOnline> online_;
};

TEST_F(LinkOnlineTest, AddsTheDefaultRouteAtTheMetricAndHandsDnsToResolved) {
    call.routeMetric = 700;
    up();
    EXPECT_EQ(routes.routes, (std::set<std::pair<int, uint32_t>>{{7, 700}}));
    ASSERT_EQ(dns.resolved.applied.size(), 1u);
    const LinkDns& applied = dns.resolved.applied[0];
    EXPECT_EQ(applied.ifindex, 7);
    EXPECT_EQ(applied.ifname, "ppp0");
    EXPECT_THAT(applied.servers, ElementsAre("10.64.0.53", "10.64.0.54"));
    EXPECT_TRUE(applied.defaultRoute);
    EXPECT_EQ(onlineCalls, 1);
    EXPECT_TRUE(online().state().defaultRoute);
    EXPECT_EQ(online().state().dnsBackend, "resolved");
    EXPECT_THAT(log, HasSubstr("default route via ppp0 added at metric 700"));
    EXPECT_THAT(log, HasSubstr("DNS: servers 10.64.0.53 10.64.0.54 to resolved for ppp0 (ifindex 7)"));
}

TEST_F(LinkOnlineTest, OnlineOnlyOnceResolvedHasAnswered) {
    dns.resolved.immediate = false;
    up();
    EXPECT_EQ(onlineCalls, 0);
    dns.resolved.answerAll();
    EXPECT_EQ(onlineCalls, 1);
}

TEST_F(LinkOnlineTest, AResolvedErrorIsLoggedAndTheLinkIsStillOnline) {
    dns.resolved.immediate = false;
    up();
    dns.resolved.answerAll("Access denied");
    EXPECT_EQ(onlineCalls, 1);
    EXPECT_EQ(online().state().dnsBackend, "none");
    EXPECT_THAT(log, HasSubstr("DNS: resolved refused ppp0's servers: Access denied"));
}

TEST_F(LinkOnlineTest, NoDefaultRouteMeansNoRouteAndNotTheDefaultForLookups) {
    call.defaultRoute = false;
    up();
    EXPECT_THAT(routes.routes, IsEmpty());
    ASSERT_EQ(dns.resolved.applied.size(), 1u);
    EXPECT_FALSE(dns.resolved.applied[0].defaultRoute);
    EXPECT_FALSE(online().state().defaultRoute);
    EXPECT_THAT(log, HasSubstr("default route: none added (default-route = no)"));
}

TEST_F(LinkOnlineTest, DnsNoneLeavesTheSystemAlone) {
    call.dns = DnsMode::None;
    up();
    EXPECT_THAT(dns.resolved.applied, IsEmpty());
    EXPECT_THAT(dns.resolvconf.applied, IsEmpty());
    EXPECT_EQ(online().state().dnsBackend, "none");
    EXPECT_EQ(onlineCalls, 1);
}

TEST_F(LinkOnlineTest, AutoWithNothingToHandDnsToSaysSoAndIsOnline) {
    dns.resolvedRunning = false;
    up();
    EXPECT_EQ(online().state().dnsBackend, "none");
    EXPECT_THAT(log, HasSubstr("DNS: not handed to the system: neither systemd-resolved nor resolvconf"));
    EXPECT_EQ(onlineCalls, 1);
}

TEST_F(LinkOnlineTest, ARouteThatCannotBeAddedIsLoggedAndDnsStillGoes) {
    routes.failAdd = true;
    up();
    EXPECT_FALSE(online().state().defaultRoute);
    EXPECT_THAT(log, HasSubstr("default route via ppp0 could not be added: Operation not permitted"));
    EXPECT_EQ(dns.resolved.applied.size(), 1u);
    EXPECT_EQ(onlineCalls, 1);
}

TEST_F(LinkOnlineTest, RdnssServersJoinTheIpv4OnesAndAreHandedOnAgain) {
    up();
    ASSERT_NE(watches.current(), nullptr);
    EXPECT_EQ(watches.current()->followed, 7);
    watches.current()->rdnss({"2001:db8:64::53"});
    EXPECT_THAT(online().state().dnsServers, ElementsAre("10.64.0.53", "10.64.0.54", "2001:db8:64::53"));
    ASSERT_EQ(dns.resolved.applied.size(), 2u);
    EXPECT_THAT(dns.resolved.applied[1].servers, ElementsAre("10.64.0.53", "10.64.0.54", "2001:db8:64::53"));
}

TEST_F(LinkOnlineTest, RdnssBeforeTheLinkIsUpIsKeptForIt) {
    online().interfaceKnown("ppp0");
    watches.current()->rdnss({"2001:db8:64::53"});
    EXPECT_THAT(dns.resolved.applied, IsEmpty());
    online().linkUp(ppp0(), [this] { ++onlineCalls; });
    ASSERT_EQ(dns.resolved.applied.size(), 1u);
    EXPECT_THAT(dns.resolved.applied[0].servers, ElementsAre("10.64.0.53", "10.64.0.54", "2001:db8:64::53"));
}

TEST_F(LinkOnlineTest, RdnssDuringAnApplyIsSentOnceItIsAnswered) {
    dns.resolved.immediate = false;
    up();
    watches.current()->rdnss({"2001:db8:64::53"});
    EXPECT_EQ(dns.resolved.applied.size(), 1u);  // one request at a time: replies stay in order
    dns.resolved.answerAll();
    ASSERT_EQ(dns.resolved.applied.size(), 2u);
    EXPECT_THAT(dns.resolved.applied[1].servers, ElementsAre("10.64.0.53", "10.64.0.54", "2001:db8:64::53"));
}

TEST_F(LinkOnlineTest, GlobalAddressesArePublished) {
    up();
    int before = changes;
    watches.current()->addresses({"2001:db8:64::2"});
    EXPECT_THAT(online().state().ipv6Addresses, ElementsAre("2001:db8:64::2"));
    EXPECT_GT(changes, before);
    EXPECT_THAT(log, HasSubstr("IPv6: global addresses of ppp0: 2001:db8:64::2"));
}

TEST_F(LinkOnlineTest, Ipv4OnlyOpensNoLinkWatch) {
    call.ipFamily = IpFamily::Ipv4;
    up();
    EXPECT_EQ(watches.opened, 0);
}

TEST_F(LinkOnlineTest, ALinkWatchThatCannotOpenIsLoggedAndTheCallGoesOn) {
    watches.failOpen = true;
    up();
    EXPECT_THAT(log, HasSubstr("IPv6: the link's addresses and RDNSS cannot be followed: Protocol not supported"));
    EXPECT_EQ(onlineCalls, 1);
}

TEST_F(LinkOnlineTest, AtTheEndResolvedForgetsWithTheInterfaceAndNothingIsReverted) {
    up();
    routes.removeInterface("ppp0");
    online().end(false);
    EXPECT_THAT(dns.resolved.reverted, IsEmpty());
    EXPECT_EQ(routes.removals, 0);
    EXPECT_THAT(log, HasSubstr("default route via ppp0: gone with the interface"));
    EXPECT_THAT(log, HasSubstr("DNS: resolved forgot ppp0's servers with the interface"));
    EXPECT_EQ(online().state().dnsBackend, "");
    EXPECT_THAT(online().state().dnsServers, IsEmpty());
    EXPECT_EQ(watches.current(), nullptr);  // the rtnetlink subscription is closed
}

TEST_F(LinkOnlineTest, AtTheEndAnInterfaceStillThereLosesRouteAndDns) {
    up();
    online().end(false);
    EXPECT_THAT(routes.routes, IsEmpty());
    ASSERT_EQ(dns.resolved.reverted.size(), 1u);
    EXPECT_EQ(dns.resolved.reverted[0].ifindex, 7);
    EXPECT_THAT(log, HasSubstr("default route via ppp0 removed"));
}

TEST_F(LinkOnlineTest, AfterPppdTheKernelIsNotAskedWhetherTheInterfaceIsThere) {
    up();
    const int before = routes.lookups;
    online().end();                     // the modem's call: pppd has exited, its interface is going
    EXPECT_EQ(routes.lookups, before);  // the kernel may hold rtnl for a long while meanwhile
    EXPECT_EQ(routes.removals, 0);
    EXPECT_THAT(dns.resolved.reverted, IsEmpty());
    EXPECT_THAT(log, HasSubstr("default route via ppp0: gone with the interface"));
    EXPECT_THAT(log, HasSubstr("DNS: resolved forgot ppp0's servers with the interface"));
}

TEST_F(LinkOnlineTest, ResolvconfIsAlwaysTakenBackSinceItDoesNotWatchInterfaces) {
    call.dns = DnsMode::Resolvconf;
    up();
    routes.removeInterface("ppp0");
    online().end();
    ASSERT_EQ(dns.resolvconf.reverted.size(), 1u);
    EXPECT_EQ(dns.resolvconf.reverted[0].ifname, "ppp0");
}

TEST_F(LinkOnlineTest, AnAnswerAfterTheEndChangesNothing) {
    dns.resolved.immediate = false;
    up();
    online().end();
    dns.resolved.answerAll();
    EXPECT_EQ(onlineCalls, 0);
    EXPECT_EQ(online().state().dnsBackend, "");
}

TEST_F(LinkOnlineTest, AnAnswerAfterItIsGoneIsHarmless) {
    dns.resolved.immediate = false;
    up();
    online_.reset();
    dns.resolved.answerAll();  // must not touch freed memory (the sanitizer build checks)
    EXPECT_EQ(onlineCalls, 0);
}

}  // namespace
}  // namespace dialupd
