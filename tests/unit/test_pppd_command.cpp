// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/pppd_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace dialupd {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class PppdCommandTest : public ::testing::Test {
protected:
    PppdCommandTest() {
        daemon.pppdPath = "/usr/sbin/pppd";
        daemon.chatPath = "/usr/sbin/chat";
        daemon.pluginPath = "/usr/lib/pppd/2.4.9/dialupd-pppd-plugin.so";
        daemon.runtimeDir = "/run/dialupd";
        input.modemId = "m0";
        input.device = "/dev/ttyUSB3";
    }
    // The value following option `name`, or "" when absent.
    static std::string valueOf(const PppdLaunch& launch, const std::string& name) {
        auto it = std::find(launch.argv.begin(), launch.argv.end(), name);
        return (it == launch.argv.end() || it + 1 == launch.argv.end()) ? "" : *(it + 1);
    }
    DaemonSettings daemon;
    PppdCommandInput input;
};

TEST_F(PppdCommandTest, DeviceBaudAndSupervisionOptions) {
    PppdLaunch launch = buildPppdLaunch(daemon, input);
    ASSERT_GE(launch.argv.size(), 3u);
    EXPECT_EQ(launch.argv[0], "/usr/sbin/pppd");
    EXPECT_EQ(launch.argv[1], "/dev/ttyUSB3");
    EXPECT_EQ(launch.argv[2], "115200");
    EXPECT_THAT(launch.argv, Contains("nodetach"));
    EXPECT_THAT(launch.argv, Contains("lock"));
    EXPECT_THAT(launch.argv, Not(Contains("persist"))) << "redial is ours to decide";
    EXPECT_THAT(launch.argv, Not(Contains("logfile"))) << "logfd and logfile exclude each other";
    EXPECT_EQ(valueOf(launch, "logfd"), "2");
    EXPECT_EQ(valueOf(launch, "linkname"), "dialupd-m0");
    EXPECT_EQ(valueOf(launch, "ipparam"), "m0");
    EXPECT_EQ(valueOf(launch, "lcp-echo-interval"), "10");
    EXPECT_EQ(valueOf(launch, "lcp-echo-failure"), "3");
}

TEST_F(PppdCommandTest, PluginAndItsReportFdComeAfterPlugin) {
    PppdLaunch launch = buildPppdLaunch(daemon, input);
    auto plugin = std::find(launch.argv.begin(), launch.argv.end(), "plugin");
    auto reportFd = std::find(launch.argv.begin(), launch.argv.end(), "dialupd-report-fd");
    ASSERT_NE(plugin, launch.argv.end());
    ASSERT_NE(reportFd, launch.argv.end());
    EXPECT_LT(plugin, reportFd) << "pppd only knows plugin options once the plugin is loaded";
    EXPECT_EQ(*(plugin + 1), daemon.pluginPath);
    EXPECT_EQ(*(reportFd + 1), std::to_string(kChildReportFd));
}

TEST_F(PppdCommandTest, ConnectRunsChatOnTheGeneratedScript) {
    PppdLaunch launch = buildPppdLaunch(daemon, input);
    EXPECT_EQ(launch.chatScriptPath, "/run/dialupd/m0.chat");
    EXPECT_EQ(valueOf(launch, "connect"), "exec '/usr/sbin/chat' -s -v -f '/run/dialupd/m0.chat'");
}

TEST_F(PppdCommandTest, PathsAreQuotedForTheShellPppdRunsConnectWith) {
    daemon.runtimeDir = "/run/it's here";
    PppdLaunch launch = buildPppdLaunch(daemon, input);
    EXPECT_THAT(valueOf(launch, "connect"), HasSubstr("'/run/it'\\''s here/m0.chat'"));
}

TEST_F(PppdCommandTest, PasswordTravelsOnlyThroughTheSecretPipe) {
    input.call.user = "alice";
    input.call.password = "S3cret-Pa55";
    PppdLaunch launch = buildPppdLaunch(daemon, input);
    EXPECT_EQ(valueOf(launch, "user"), "alice");
    EXPECT_EQ(valueOf(launch, "dialupd-secret-fd"), std::to_string(kChildSecretFd));
    EXPECT_EQ(launch.secret, "S3cret-Pa55");
    for (const std::string& arg : launch.argv) EXPECT_THAT(arg, Not(HasSubstr("S3cret")));
    EXPECT_THAT(launch.argv, Not(Contains("password")));
}

// pppd would dump a PAP request's password with show-password (from /etc/ppp/options, say):
// hide-password on the command line outranks it, with or without a password of ours.
TEST_F(PppdCommandTest, PppdIsToldNeverToPrintAPassword) {
    EXPECT_THAT(buildPppdLaunch(daemon, input).argv, Contains("hide-password"));
    input.call.password = "S3cret-Pa55";
    daemon.pppdDebug = true;
    EXPECT_THAT(buildPppdLaunch(daemon, input).argv, Contains("hide-password"));
}

TEST_F(PppdCommandTest, NoPasswordNoSecretFd) {
    PppdLaunch launch = buildPppdLaunch(daemon, input);
    EXPECT_THAT(launch.argv, Not(Contains("dialupd-secret-fd")));
    EXPECT_THAT(launch.argv, Not(Contains("user")));
    EXPECT_TRUE(launch.secret.empty());
}

TEST_F(PppdCommandTest, IpScriptsCannotRewriteResolvConf) {
    PppdLaunch launch = buildPppdLaunch(daemon, input);
    EXPECT_EQ(valueOf(launch, "ip-up-script"), "/run/dialupd/no-ip-up-script");
    EXPECT_EQ(valueOf(launch, "ip-down-script"), "/run/dialupd/no-ip-down-script");
}

TEST_F(PppdCommandTest, DebugAndTimingsFollowSettings) {
    daemon.pppdDebug = true;
    input.call.lcpEchoInterval = 5;
    input.call.lcpEchoFailure = 4;
    input.call.baud = 921600;
    PppdLaunch launch = buildPppdLaunch(daemon, input);
    EXPECT_THAT(launch.argv, Contains("debug"));
    EXPECT_EQ(launch.argv[2], "921600");
    EXPECT_EQ(valueOf(launch, "lcp-echo-interval"), "5");
    EXPECT_EQ(valueOf(launch, "lcp-echo-failure"), "4");
}

TEST_F(PppdCommandTest, LimitsOnlyWhenSet) {
    PppdLaunch plain = buildPppdLaunch(daemon, input);
    EXPECT_THAT(plain.argv, Not(Contains("idle")));
    EXPECT_THAT(plain.argv, Not(Contains("maxconnect")));
    input.call.idleSeconds = 300;
    input.call.maxConnectSeconds = 3600;
    PppdLaunch limited = buildPppdLaunch(daemon, input);
    EXPECT_EQ(valueOf(limited, "idle"), "300");
    EXPECT_EQ(valueOf(limited, "maxconnect"), "3600");
}

// The options after the plugin, in order (its own options are only known from there on).
static std::vector<std::string> after(const PppdLaunch& launch, const std::string& word) {
    auto it = std::find(launch.argv.begin(), launch.argv.end(), word);
    return it == launch.argv.end() ? std::vector<std::string>{} : std::vector<std::string>(it, launch.argv.end());
}

TEST_F(PppdCommandTest, PppdAddsNoRoutesAndNoProxyArpWhateverItsOptionFilesSay) {
    for (IpFamily family : {IpFamily::Ipv4, IpFamily::Ipv6, IpFamily::Ipv4v6}) {
        input.call.ipFamily = family;
        for (bool defaultRoute : {true, false}) {
            input.call.defaultRoute = defaultRoute;
            PppdLaunch launch = buildPppdLaunch(daemon, input);
            for (const char* word : {"nodefaultroute", "nodefaultroute6", "noproxyarp", "nopersist"})
                EXPECT_THAT(launch.argv, Contains(word)) << toString(family);
            for (const char* word : {"defaultroute", "defaultroute6", "replacedefaultroute", "proxyarp", "persist",
                                     "usepeerdns", "defaultroute-metric"})
                EXPECT_THAT(launch.argv, Not(Contains(word))) << toString(family);
        }
    }
}

TEST_F(PppdCommandTest, Ipv4OnlyTurnsIpv6cpOffExplicitly) {
    input.call.ipFamily = IpFamily::Ipv4;
    PppdLaunch launch = buildPppdLaunch(daemon, input);
    EXPECT_THAT(launch.argv, Contains("noipv6"));
    for (const char* word : {"+ipv6", "noip", "ipv6cp-accept-local", "ipv6cp-accept-remote", "dialupd-accept-ra",
                             "dialupd-ra-default-route", "dialupd-ra-route-metric"})
        EXPECT_THAT(launch.argv, Not(Contains(word))) << word;
}

TEST_F(PppdCommandTest, DualStackNegotiatesBothAndPreparesTheRouterAdvertisement) {
    PppdLaunch launch = buildPppdLaunch(daemon, input);  // the default: ipv4v6, default route, 700
    EXPECT_THAT(launch.argv, Not(Contains("noipv6")));
    EXPECT_THAT(launch.argv, Not(Contains("noip")));
    std::vector<std::string> ipv6 = after(launch, "+ipv6");
    ASSERT_GE(ipv6.size(), 9u);
    EXPECT_EQ(std::vector<std::string>(ipv6.begin(), ipv6.begin() + 9),
              (std::vector<std::string>{"+ipv6", "ipv6cp-accept-local", "ipv6cp-accept-remote", "dialupd-accept-ra",
                                        "2", "dialupd-ra-default-route", "1", "dialupd-ra-route-metric", "700"}));
    EXPECT_LT(std::find(launch.argv.begin(), launch.argv.end(), "plugin"),
              std::find(launch.argv.begin(), launch.argv.end(), "dialupd-accept-ra"));
}

TEST_F(PppdCommandTest, Ipv6OnlyTurnsIpcpOff) {
    input.call.ipFamily = IpFamily::Ipv6;
    PppdLaunch launch = buildPppdLaunch(daemon, input);
    EXPECT_THAT(launch.argv, Contains("noip"));
    EXPECT_THAT(launch.argv, Contains("+ipv6"));
    EXPECT_THAT(launch.argv, Not(Contains("noipv6")));
    EXPECT_EQ(valueOf(launch, "dialupd-accept-ra"), "2");
}

TEST_F(PppdCommandTest, TheRouterAdvertisementFollowsDefaultRouteAndMetric) {
    input.call.defaultRoute = false;
    PppdLaunch without = buildPppdLaunch(daemon, input);
    EXPECT_EQ(valueOf(without, "dialupd-ra-default-route"), "0");
    EXPECT_THAT(without.argv, Not(Contains("dialupd-ra-route-metric")));
    input.call.defaultRoute = true;
    input.call.routeMetric = 50;
    EXPECT_EQ(valueOf(buildPppdLaunch(daemon, input), "dialupd-ra-route-metric"), "50");
    input.call.routeMetric = 4294967295u;
    EXPECT_EQ(valueOf(buildPppdLaunch(daemon, input), "dialupd-ra-route-metric"), "4294967295");
    // ra_defrtr_metric takes 1 to 2^32-1: metric 0 becomes the most preferred it allows.
    input.call.routeMetric = 0;
    EXPECT_EQ(valueOf(buildPppdLaunch(daemon, input), "dialupd-ra-route-metric"), "1");
}

TEST(ShellQuote, QuotesEverythingSafely) {
    EXPECT_EQ(shellQuote("plain"), "'plain'");
    EXPECT_EQ(shellQuote("a'b"), "'a'\\''b'");
    EXPECT_EQ(shellQuote("$(reboot) `x` ; | &"), "'$(reboot) `x` ; | &'");
}

}  // namespace
}  // namespace dialupd
