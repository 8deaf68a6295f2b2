// SPDX-License-Identifier: GPL-2.0-or-later
// NetlinkRouteTable and NetlinkLinkWatch against the real kernel, in a network namespace of the
// test's own (unshare(CLONE_NEWNET) at the first test: the host's routes and links stay
// untouched) with a veth pair made by ip(8). Needs root; skipped otherwise.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.h"
#include "sys/event_loop.h"
#include "sys/netlink_link_watch.h"
#include "sys/netlink_route_table.h"

namespace dialupd {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// testbed.PATIENCE's bound for anything that must happen.
constexpr auto kPatience = std::chrono::seconds(60);

// Runs `command` through sh; its standard output.
std::string run(const std::string& command) {
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), pclose);
    if (!pipe) return {};
    std::string output;
    std::array<char, 4096> buffer;
    while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe.get())) output.append(buffer.data(), n);
    return output;
}

void mustRun(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> result;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        line.erase(line.find_last_not_of(' ') + 1);  // ip ends its route lines with a space
        if (!line.empty()) result.push_back(line);
        start = end + 1;
    }
    return result;
}

// `ip`'s view of the IPv4 default routes, one line each ("default dev v0 proto static scope link metric 700").
std::vector<std::string> defaultRoutes() { return lines(run("ip -4 route show default")); }

// A second listener on an rtnetlink group: once it has an event, the kernel has sent it to every
// listener (one broadcast), the watch's socket included.
class KernelEvents {
public:
    explicit KernelEvents(int group) : fd_(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {
        sockaddr_nl address = {};
        address.nl_family = AF_NETLINK;
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
        EXPECT_EQ(setsockopt(fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group), 0)
            << std::strerror(errno);
    }
    ~KernelEvents() { close(fd_); }
    bool wait() {
        pollfd ready = {fd_, POLLIN, 0};
        return poll(&ready, 1, int(std::chrono::milliseconds(kPatience).count())) == 1;
    }

private:
    int fd_;
};

class NetlinkTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace of its own (CI runs as root)";
        static const int unshared = unshare(CLONE_NEWNET) == 0 ? 0 : errno;
        ASSERT_EQ(unshared, 0) << "unshare(CLONE_NEWNET): " << std::strerror(unshared);
        // A fresh pair per test; v1 sends without waiting for duplicate address detection.
        mustRun(
            "ip link del v0 2>/dev/null; ip link add v0 type veth peer name v1 && "
            "sysctl -qw net.ipv6.conf.v1.accept_dad=0 && ip link set v0 up && ip link set v1 up");
        v0 = int(if_nametoindex("v0"));
        ASSERT_GT(v0, 0);
    }
    void TearDown() override {
        if (geteuid() == 0) std::system("ip link del v0 2>/dev/null");
    }

    // Drives the loop until `done()` holds, at most kPatience.
    bool runUntil(const std::function<bool()>& done) {
        auto deadline = std::chrono::steady_clock::now() + kPatience;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            sd_event_run(loop.get(), 100'000);
        }
        return true;
    }

    // Runs whatever the loop has ready now.
    void drain() {
        while (sd_event_run(loop.get(), 0) > 0) {
        }
    }

    int v0 = 0;
    EventLoop loop;
    NetlinkRouteTable routes;
};

// ---- RouteTable ----

TEST_F(NetlinkTest, IfindexOfANameAndOfNoInterface) {
    EXPECT_EQ(routes.ifindex("v0"), v0);
    EXPECT_EQ(routes.ifindex("nosuchif0"), 0);
}

TEST_F(NetlinkTest, DefaultRouteGoesNextToAnExistingOneAndAway) {
    mustRun("ip route add default dev v1 metric 100");
    routes.addDefaultRoute(v0, 700);
    EXPECT_THAT(defaultRoutes(), ElementsAre(HasSubstr("dev v1"), "default dev v0 proto static scope link metric 700"));
    EXPECT_NO_THROW(routes.addDefaultRoute(v0, 700)) << "an identical route counts as added";
    EXPECT_EQ(defaultRoutes().size(), 2u);

    EXPECT_TRUE(routes.removeDefaultRoute(v0, 700));
    EXPECT_THAT(defaultRoutes(), ElementsAre("default dev v1 scope link metric 100"));
    EXPECT_FALSE(routes.removeDefaultRoute(v0, 700));
    EXPECT_THAT(defaultRoutes(), ElementsAre("default dev v1 scope link metric 100"));
}

TEST_F(NetlinkTest, AnotherDefaultRouteAtTheSameMetricStays) {
    mustRun("ip route add default dev v1 metric 700");
    routes.addDefaultRoute(v0, 700);
    EXPECT_THAT(defaultRoutes(), testing::UnorderedElementsAre(HasSubstr("dev v1"), HasSubstr("dev v0")));
    EXPECT_TRUE(routes.removeDefaultRoute(v0, 700));
    EXPECT_THAT(defaultRoutes(), ElementsAre(HasSubstr("dev v1")));
}

TEST_F(NetlinkTest, ALowerMetricComesFirst) {
    mustRun("ip route add default dev v1 metric 100");
    routes.addDefaultRoute(v0, 50);
    EXPECT_THAT(defaultRoutes(), ElementsAre(HasSubstr("dev v0"), HasSubstr("dev v1")));
    EXPECT_THAT(run("ip -4 route get 192.0.2.1"), HasSubstr("dev v0"));
}

TEST_F(NetlinkTest, RemovingLeavesAnotherMetricAlone) {
    routes.addDefaultRoute(v0, 700);
    EXPECT_FALSE(routes.removeDefaultRoute(v0, 701));
    EXPECT_THAT(defaultRoutes(), ElementsAre(HasSubstr("metric 700")));
}

TEST_F(NetlinkTest, TheRouteGoesWithItsInterface) {
    routes.addDefaultRoute(v0, 700);
    ASSERT_EQ(defaultRoutes().size(), 1u);
    mustRun("ip link del v0");
    EXPECT_THAT(defaultRoutes(), IsEmpty());
    EXPECT_FALSE(routes.removeDefaultRoute(v0, 700));
}

TEST_F(NetlinkTest, AFailedAddCarriesTheKernelsAnswer) {
    try {
        routes.addDefaultRoute(v0 + 1000, 700);
        FAIL() << "no error for an interface that does not exist";
    } catch (const Error& error) {
        EXPECT_STREQ(error.name(), error_name::kInternal);
        EXPECT_THAT(error.what(), HasSubstr("No such device"));
        EXPECT_THAT(error.what(), HasSubstr("metric 700"));
    }
}

// ---- LinkWatch ----

struct Recorder : LinkEventsObserver {
    void linkIpv6AddressesChanged(const std::vector<std::string>& list) override {
        addresses.push_back(list);
        if (then) then();
    }
    void linkRdnssChanged(const std::vector<std::string>& servers) override {
        rdnss.push_back(servers);
        if (then) then();
    }
    std::vector<std::string> lastAddresses() const {
        return addresses.empty() ? std::vector<std::string>{} : addresses.back();
    }
    std::vector<std::vector<std::string>> addresses;
    std::vector<std::vector<std::string>> rdnss;
    std::function<void()> then;
};

TEST_F(NetlinkTest, AnAddressAddedWhileFollowingIsReportedAndItsRemovalToo) {
    NetlinkLinkWatchFactory factory(loop);
    auto watch = factory.open();
    Recorder recorder;
    watch->follow(v0, recorder);
    EXPECT_THAT(recorder.addresses, IsEmpty()) << "nothing known, nothing told";
    mustRun("ip -6 addr add 2001:db8::5/64 dev v0 nodad");
    ASSERT_TRUE(runUntil([&] { return !recorder.addresses.empty(); })) << "no address reported";
    EXPECT_THAT(recorder.addresses, ElementsAre(ElementsAre("2001:db8::5")));

    mustRun("ip -6 addr add 2001:db8:1::6/64 dev v0 nodad");
    ASSERT_TRUE(runUntil([&] { return recorder.addresses.size() >= 2; }));
    EXPECT_THAT(recorder.lastAddresses(), ElementsAre("2001:db8::5", "2001:db8:1::6"));

    mustRun("ip -6 addr del 2001:db8::5/64 dev v0");
    ASSERT_TRUE(runUntil([&] { return recorder.addresses.size() >= 3; }));
    EXPECT_THAT(recorder.lastAddresses(), ElementsAre("2001:db8:1::6"));
    // The link-local address (scope link) never shows.
    for (const auto& list : recorder.addresses) EXPECT_THAT(list, Not(Contains(HasSubstr("fe80:"))));
}

TEST_F(NetlinkTest, OtherInterfacesAreNotReported) {
    NetlinkLinkWatch watch(loop);
    Recorder recorder;
    watch.follow(v0, recorder);
    mustRun("ip -6 addr add 2001:db8::7/64 dev v1 nodad");
    mustRun("ip -6 addr add 2001:db8::5/64 dev v0 nodad");  // the marker that the first was read
    ASSERT_TRUE(runUntil([&] { return !recorder.addresses.empty(); }));
    EXPECT_THAT(recorder.addresses, ElementsAre(ElementsAre("2001:db8::5")));
}

TEST_F(NetlinkTest, AddressesFromBeforeTheFollowAreReported) {
    mustRun("ip -6 addr add 2001:db8::1/64 dev v0 nodad");  // before the watch: only a dump knows
    NetlinkLinkWatch watch(loop);
    KernelEvents echo(RTNLGRP_IPV6_IFADDR);
    mustRun("ip -6 addr add 2001:db8::2/64 dev v0 nodad");  // after the watch, before the follow
    ASSERT_TRUE(echo.wait());
    drain();  // the watch has read it, with nobody following: kept for the follow
    Recorder recorder;
    watch.follow(v0, recorder);
    ASSERT_TRUE(runUntil([&] { return recorder.lastAddresses().size() == 2; }))
        << "reported: " << ::testing::PrintToString(recorder.addresses);
    EXPECT_THAT(recorder.lastAddresses(), testing::UnorderedElementsAre("2001:db8::1", "2001:db8::2"));
}

TEST_F(NetlinkTest, ATentativeAddressIsReportedOnceUsable) {
    NetlinkLinkWatch watch(loop);
    Recorder recorder;
    watch.follow(v0, recorder);
    mustRun("ip -6 addr add 2001:db8::9/64 dev v0");  // with duplicate address detection
    ASSERT_TRUE(runUntil([&] { return !recorder.addresses.empty(); }));
    EXPECT_THAT(recorder.addresses, ElementsAre(ElementsAre("2001:db8::9")));
    EXPECT_THAT(run("ip -6 addr show dev v0 to 2001:db8::9"), Not(HasSubstr("tentative")))
        << "reported before duplicate address detection ended";
}

TEST_F(NetlinkTest, LostEventsAreMadeUpForByADump) {
    // A receive buffer of the kernel's minimum, and a burst of addresses that does not fit.
    NetlinkLinkWatch watch(loop, 1);
    Recorder recorder;
    watch.follow(v0, recorder);
    std::string batch;
    for (int i = 1; i <= 60; ++i) batch += "addr add 2001:db8::" + std::to_string(i) + "/64 dev v0 nodad\n";
    mustRun("printf '" + batch + "' | ip -6 -batch -");
    ASSERT_TRUE(runUntil([&] { return recorder.lastAddresses().size() == 60; }))
        << "last reported " << recorder.lastAddresses().size() << " addresses";
    EXPECT_GE(watch.eventLosses(), 1u) << "the burst fit after all: this test proves nothing";
}

TEST_F(NetlinkTest, AnObserverMayEndTheWatchFromItsCallback) {
    auto watch = std::make_unique<NetlinkLinkWatch>(loop);
    Recorder recorder;
    recorder.then = [&] { watch.reset(); };
    watch->follow(v0, recorder);
    // Several events in one read: the watch is destroyed while more are pending (ASan watches).
    mustRun("ip -6 addr add 2001:db8::1/64 dev v0 nodad && ip -6 addr add 2001:db8::2/64 dev v0 nodad");
    ASSERT_TRUE(runUntil([&] { return !watch; }));
    EXPECT_EQ(recorder.addresses.size(), 1u);
    mustRun("ip -6 addr add 2001:db8::3/64 dev v0 nodad");
    sd_event_run(loop.get(), 100'000);  // nothing of the ended watch may run
    EXPECT_EQ(recorder.addresses.size(), 1u);
}

// A router advertisement sent on v1 (to all nodes on v0's link), carrying an RDNSS option.
void sendRouterAdvertisement(const std::vector<std::string>& servers, uint32_t lifetime) {
    int sock = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    ASSERT_GE(sock, 0) << std::strerror(errno);
    int hops = 255;  // RFC 4861: anything else is not from the link
    setsockopt(sock, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
    unsigned v1 = if_nametoindex("v1");
    setsockopt(sock, IPPROTO_IPV6, IPV6_MULTICAST_IF, &v1, sizeof v1);
    std::vector<uint8_t> packet(16, 0);
    packet[0] = ND_ROUTER_ADVERT;
    packet[4] = 64;  // current hop limit; router lifetime 0: not a default router
    std::vector<uint8_t> option = {25,
                                   uint8_t(1 + 2 * servers.size()),
                                   0,
                                   0,
                                   uint8_t(lifetime >> 24),
                                   uint8_t(lifetime >> 16),
                                   uint8_t(lifetime >> 8),
                                   uint8_t(lifetime)};
    for (const std::string& server : servers) {
        in6_addr address;
        ASSERT_EQ(inet_pton(AF_INET6, server.c_str(), &address), 1);
        option.insert(option.end(), address.s6_addr, address.s6_addr + 16);
    }
    packet.insert(packet.end(), option.begin(), option.end());
    sockaddr_in6 allNodes = {};
    allNodes.sin6_family = AF_INET6;
    allNodes.sin6_scope_id = v1;
    inet_pton(AF_INET6, "ff02::1", &allNodes.sin6_addr);
    // The kernel fills in the ICMPv6 checksum of a raw ICMPv6 socket.
    EXPECT_EQ(sendto(sock, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&allNodes), sizeof allNodes),
              ssize_t(packet.size()))
        << std::strerror(errno);
    close(sock);
}

TEST_F(NetlinkTest, RdnssFromARouterAdvertisementIsKeptForTheFollowAndWithdrawn) {
    // v1 sends from its link-local address (no DAD on v1: usable as soon as it shows).
    ASSERT_TRUE(runUntil([] { return run("ip -6 addr show dev v1 scope link").find("fe80:") != std::string::npos; }));
    Recorder recorder;  // outlives the watch
    NetlinkLinkWatch watch(loop);
    KernelEvents echo(RTNLGRP_ND_USEROPT);
    sendRouterAdvertisement({"2001:db8::53", "2001:db8::54"}, 600);
    ASSERT_TRUE(echo.wait()) << "the kernel passed no RDNSS on (accept_ra on v0?)";
    drain();  // the watch has read it, with nobody following: kept for the follow
    watch.follow(v0, recorder);
    EXPECT_THAT(recorder.rdnss, ElementsAre(ElementsAre("2001:db8::53", "2001:db8::54"))) << "told at once on follow";

    sendRouterAdvertisement({"2001:db8::53"}, 0);  // withdrawn
    ASSERT_TRUE(runUntil([&] { return recorder.rdnss.size() >= 2; }));
    EXPECT_THAT(recorder.rdnss.back(), IsEmpty());
}

}  // namespace
}  // namespace dialupd
