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
    for (const std::string& line : {"ip-up ppp0 10.64.0.2 10.64.0.1 10.64.0.53\0junk -"s,
                                    "ip-up ppp0 10.64.0.2\0 10.64.0.1 - -"s, "ip-up ppp0 10.64.0.2 10.64.0.1\0x - -"s,
                                    "ip-up ppp\xff 10.64.0.2 10.64.0.1 - -"s, "ip-up ppp\x80 10.64.0.2 10.64.0.1 - -"s,
                                    "ip-up ppp\0 10.64.0.2 10.64.0.1 - -"s}) {
        EXPECT_FALSE(parsePluginReport(line)) << line;
    }
}

}  // namespace
}  // namespace dialupd
