// SPDX-License-Identifier: GPL-2.0-or-later
// DNS modes and server text: what reaches resolved's SetLinkDNS and resolvconf's stdin.
#include "core/dns_servers.h"

#include <arpa/inet.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/link_services.h"

namespace dialupd {
namespace {

using ::testing::ElementsAre;

TEST(DnsMode, EveryModeRoundTrips) {
    for (DnsMode mode : {DnsMode::Auto, DnsMode::Resolved, DnsMode::Resolvconf, DnsMode::None})
        EXPECT_EQ(parseDnsMode(toString(mode)), mode);
    EXPECT_EQ(toString(DnsMode::Auto), "auto");
    EXPECT_EQ(toString(DnsMode::Resolved), "resolved");
    EXPECT_EQ(toString(DnsMode::Resolvconf), "resolvconf");
    EXPECT_EQ(toString(DnsMode::None), "none");
}

TEST(DnsMode, AnythingElseIsRefused) {
    for (const char* text : {"", "Auto", "RESOLVED", "resolved ", " none", "systemd-resolved", "yes", "no"})
        EXPECT_EQ(parseDnsMode(text), std::nullopt) << text;
    EXPECT_EQ(parseDnsMode(std::string_view("none\0x", 6)), std::nullopt);
}

TEST(DnsServer, Ipv4GivesFourBytes) {
    auto address = parseDnsServer("10.64.0.53");
    ASSERT_TRUE(address);
    EXPECT_EQ(address->family, AF_INET);
    EXPECT_THAT(address->bytes, ElementsAre(10, 64, 0, 53));
}

TEST(DnsServer, Ipv6GivesSixteenBytes) {
    auto address = parseDnsServer("2001:db8::53");
    ASSERT_TRUE(address);
    EXPECT_EQ(address->family, AF_INET6);
    EXPECT_THAT(address->bytes, ElementsAre(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53));
    auto mapped = parseDnsServer("::ffff:10.0.0.1");
    ASSERT_TRUE(mapped);
    EXPECT_EQ(mapped->family, AF_INET6);
}

TEST(DnsServer, AnythingButAPlainAddressIsRefused) {
    for (const char* text :
         {"", "dns.example", "10.64.0", "10.64.0.256", "10.64.0.53 ", " 10.64.0.53", "10.64.0.53\n", "fe80::1%ppp0",
          "2001:db8::/64", "2001:db8:::1", "10.64.0.53\nnameserver 6.6.6.6", "0x0a.0.0.1", "1.2.3.4.5"})
        EXPECT_EQ(parseDnsServer(text), std::nullopt) << text;
    EXPECT_EQ(parseDnsServer(std::string_view("10.0.0.1\0junk", 13)), std::nullopt);
    EXPECT_EQ(parseDnsServer(std::string(1000, '1')), std::nullopt);
}

TEST(Resolvconf, InputHasOneLinePerUsableServer) {
    EXPECT_EQ(resolvconfInput({"10.64.0.53", "bogus", "2001:db8::53", "10.0.0.1\nnameserver 6.6.6.6"}),
              "nameserver 10.64.0.53\nnameserver 2001:db8::53\n");
    EXPECT_EQ(resolvconfInput({}), "");
}

TEST(Resolvconf, RecordNameIsTheInterfaceDotDialupd) {
    EXPECT_EQ(resolvconfRecordName("ppp0"), "ppp0.dialupd");
    EXPECT_EQ(resolvconfRecordName("ppp-modem_1"), "ppp-modem_1.dialupd");
}

TEST(Resolvconf, UnsafeInterfaceNamesGiveNoRecord) {
    for (const char* name : {"", "-d", ".hidden", "../../etc", "a/b", "ppp 0", "ppp\t0", "ppp0\n", "0123456789abcdef"})
        EXPECT_EQ(resolvconfRecordName(name), std::nullopt) << name;
    EXPECT_EQ(resolvconfRecordName(std::string_view("ppp\0", 4)), std::nullopt);
    EXPECT_EQ(resolvconfRecordName("ppp\x1b"), std::nullopt);
    EXPECT_EQ(resolvconfRecordName("ppp\xc3\xa9"), std::nullopt);
    EXPECT_EQ(resolvconfRecordName("0123456789abcde"), "0123456789abcde.dialupd");  // 15: the kernel's limit
}

}  // namespace
}  // namespace dialupd
