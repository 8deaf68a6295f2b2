// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/plugin_report.h"

#include <gtest/gtest.h>

namespace dialupd {
namespace {

TEST(PluginReport, Phase) {
    auto report = parsePluginReport("phase establish");
    ASSERT_TRUE(report);
    EXPECT_EQ(report->kind, PluginReport::Kind::Phase);
    EXPECT_EQ(report->phase, "establish");
}

TEST(PluginReport, IpUpWithTwoDns) {
    auto report = parsePluginReport("ip-up ppp0 10.64.0.2 10.64.0.1 10.64.0.53 10.64.0.54");
    ASSERT_TRUE(report);
    EXPECT_EQ(report->kind, PluginReport::Kind::IpUp);
    EXPECT_EQ(report->ip, (IpConfig{"ppp0", "10.64.0.2", "10.64.0.1", {"10.64.0.53", "10.64.0.54"}}));
}

TEST(PluginReport, IpUpWithoutDns) {
    auto report = parsePluginReport("ip-up ppp1 10.0.0.2 10.0.0.1 - -");
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->ip.dns.empty());
}

TEST(PluginReport, InterfaceAsSoonAsTheUnitExists) {
    auto report = parsePluginReport("interface ppp3");
    ASSERT_TRUE(report);
    EXPECT_EQ(report->kind, PluginReport::Kind::Interface);
    EXPECT_EQ(report->ip.interface, "ppp3");
    using namespace std::string_literals;
    for (const std::string& line : {"interface"s, "interface "s, "interface ppp0 ppp1"s, "interface bad/name"s,
                                    "interface averyveryverylongifname"s, "interface ppp\x1b"s, "interface ppp\xff"s,
                                    "interface ppp\0x"s, "interface ppp\xef\xbf\xbe"s}) {
        EXPECT_FALSE(parsePluginReport(line)) << line;
    }
}

TEST(PluginReport, Ipv6UpNamesTheInterface) {
    auto report = parsePluginReport("ipv6-up ppp0");
    ASSERT_TRUE(report);
    EXPECT_EQ(report->kind, PluginReport::Kind::Ipv6Up);
    EXPECT_EQ(report->ip.interface, "ppp0");
    using namespace std::string_literals;
    for (const std::string& line : {"ipv6-up"s, "ipv6-up ppp0 x"s, "ipv6-up bad/name"s, "ipv6-up ppp\x1b"s})
        EXPECT_FALSE(parsePluginReport(line)) << line;
}

TEST(PluginReport, Ipv6SysctlOutcomes) {
    auto ok = parsePluginReport("ipv6-sysctl ppp0 accept_ra 2 ok");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->kind, PluginReport::Kind::Ipv6Sysctl);
    EXPECT_EQ(ok->ip.interface, "ppp0");
    EXPECT_EQ(ok->sysctl, (Ipv6Sysctl{"accept_ra", 2, Ipv6Sysctl::Outcome::Ok, 0}));
    auto absent = parsePluginReport("ipv6-sysctl ppp0 ra_defrtr_metric 4294967295 absent");
    ASSERT_TRUE(absent);
    EXPECT_EQ(absent->sysctl, (Ipv6Sysctl{"ra_defrtr_metric", 4294967295u, Ipv6Sysctl::Outcome::Absent, 0}));
    auto failed = parsePluginReport("ipv6-sysctl ppp1 accept_ra_defrtr 0 error 30");
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->ip.interface, "ppp1");
    EXPECT_EQ(failed->sysctl, (Ipv6Sysctl{"accept_ra_defrtr", 0, Ipv6Sysctl::Outcome::Failed, 30}));
}

TEST(PluginReport, MalformedIpv6SysctlReportsAreRejected) {
    using namespace std::string_literals;
    for (const std::string& line : {"ipv6-sysctl"s,
                                    "ipv6-sysctl ppp0 accept_ra 2"s,
                                    "ipv6-sysctl ppp0 accept_ra 2 fine"s,
                                    "ipv6-sysctl ppp0 accept_ra 2 ok extra"s,
                                    "ipv6-sysctl ppp0 accept_ra 2 absent 5"s,
                                    "ipv6-sysctl ppp0 accept_ra 2 error"s,
                                    "ipv6-sysctl ppp0 accept_ra 2 error 0"s,
                                    "ipv6-sysctl ppp0 accept_ra 2 error 4096"s,
                                    "ipv6-sysctl ppp0 accept_ra 2 error -1"s,
                                    "ipv6-sysctl ppp0 accept_ra 2 error x"s,
                                    "ipv6-sysctl ppp0 accept_ra -2 ok"s,
                                    "ipv6-sysctl ppp0 accept_ra 4294967296 ok"s,
                                    "ipv6-sysctl ppp0 accept_ra x ok"s,
                                    "ipv6-sysctl ppp0 ../../forwarding 1 ok"s,
                                    "ipv6-sysctl ppp0 Accept_RA 1 ok"s,
                                    "ipv6-sysctl ppp0 accept_ra\x1b[2J 1 ok"s,
                                    "ipv6-sysctl ppp0 accept_ra\0x 1 ok"s,
                                    "ipv6-sysctl ppp0  2 ok"s,
                                    "ipv6-sysctl ppp0 " + std::string(33, 'a') + " 1 ok",
                                    "ipv6-sysctl bad/name accept_ra 2 ok"s,
                                    "ipv6-sysctl ppp\xc2\x9b accept_ra 2 ok"s}) {
        EXPECT_FALSE(parsePluginReport(line)) << line;
    }
}

TEST(PluginReport, StatsAndExit) {
    auto stats = parsePluginReport("stats 1200 3400 61");
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->bytesIn, 1200u);
    EXPECT_EQ(stats->bytesOut, 3400u);
    EXPECT_EQ(stats->seconds, 61u);
    auto exit = parsePluginReport("exit 16");
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->exitStatus, 16);
    EXPECT_TRUE(parsePluginReport("ip-down"));
    auto cause = parsePluginReport("cause 15");
    ASSERT_TRUE(cause);
    EXPECT_EQ(cause->kind, PluginReport::Kind::Cause);
    EXPECT_EQ(cause->exitStatus, 15);
}

TEST(PluginReport, MalformedLinesAreRejected) {
    for (const char* line : {"", "phase", "phase ", "ip-up ppp0 10.64.0.2", "ip-up ppp0 10.64.0.2 x - -",
                             "ip-up ppp0 999.1.1.1 10.0.0.1 - -", "ip-up bad/name 10.0.0.2 10.0.0.1 - -",
                             "ip-up averyveryverylongifname 10.0.0.2 10.0.0.1 - -", "ip-down extra", "stats 1 2",
                             "stats a b c", "exit", "exit x", "exit 1 2", "launch missiles",
                             // Free-form fields carry nothing D-Bus or a terminal would choke on.
                             "phase \xef\xbf\xbe", "phase dead\x1b[2J", "phase \xff", "phase \xc2\x9b",
                             "ip-up ppp\xef\xbf\xbe 10.0.0.2 10.0.0.1 - -", "ip-up ppp\x1b 10.0.0.2 10.0.0.1 - -",
                             "ip-up ppp\xc3\xa9 10.0.0.2 10.0.0.1 - -"}) {
        EXPECT_FALSE(parsePluginReport(line)) << line;
    }
}

// Found by fuzz/fuzz_plugin_report.cpp: inet_pton stops at a NUL, so "10.64.0.53\0junk" passed
// as an address and the bytes after the NUL went into the Dns property. The interface name is
// published as it is: only printable ASCII (a byte above 0x7f was refused only where char is
// signed, as on x86 but not on ARM).
TEST(PluginReport, FieldsHoldNothingButWhatTheyAre) {
    using namespace std::string_literals;
    for (const std::string& line :
         {"ip-up ppp0 10.64.0.2 10.64.0.1 10.64.0.53\0junk -"s, "ip-up ppp0 10.64.0.2\0 10.64.0.1 - -"s,
          "ip-up ppp0 10.64.0.2 10.64.0.1\0x - -"s, "ip-up ppp\xff 10.64.0.2 10.64.0.1 - -"s,
          "ip-up ppp\x80 10.64.0.2 10.64.0.1 - -"s, "ip-up ppp\0 10.64.0.2 10.64.0.1 - -"s}) {
        EXPECT_FALSE(parsePluginReport(line)) << line;
    }
}

}  // namespace
}  // namespace dialupd
