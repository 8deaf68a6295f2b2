// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

namespace dialupd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The message of the ConfigError `text` raises.
std::string errorOf(const std::string& text) {
    try {
        parseConfig(text, "test.conf");
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}

TEST(Config, DataPlanAndMetrics) {
    Config config = parseConfig(
        "[daemon]\nmetrics-dir = /var/lib/prometheus/node-exporter\n[defaults]\ndata-limit = 2G\n"
        "[modem m0]\ndevice = /dev/ttyS1\ndata-period = daily\ndata-limit = 1Gi\n"
        "[modem m1]\ndevice = /dev/ttyS2\ndata-period-start-day = 28\n",
        "plan.conf");
    EXPECT_EQ(config.daemon.metricsDir, "/var/lib/prometheus/node-exporter");
    EXPECT_EQ(config.defaults.dataPlan.limitBytes, 2'000'000'000u);
    EXPECT_EQ(config.modems[0].call.dataPlan.period, DataPeriodKind::Daily);
    EXPECT_EQ(config.modems[0].call.dataPlan.limitBytes, 1ULL << 30);
    EXPECT_EQ(config.modems[1].call.dataPlan.startDay, 28u);
    EXPECT_EQ(config.modems[1].call.dataPlan.limitBytes, 2'000'000'000u);
    EXPECT_THAT(errorOf("[defaults]\ndata-limit = 2 GB\n"), HasSubstr("'data-limit' must be a size like 2G"));
    EXPECT_THAT(errorOf("[defaults]\ndata-period = weekly\n"), HasSubstr("must be one of monthly, daily"));
    EXPECT_THAT(errorOf("[defaults]\ndata-period-start-day = 31\n"), HasSubstr("from 1 to 28"));
    EXPECT_THAT(errorOf("[daemon]\nmetrics-dir = metrics\n"), HasSubstr("absolute path"));
}

TEST(Config, EmptyFileIsValid) {
    Config config = parseConfig("", "empty.conf");
    EXPECT_TRUE(config.modems.empty());
    EXPECT_EQ(config.daemon.stopTimeout, std::chrono::seconds(20));
}

TEST(Config, FullExample) {
    Config config = parseConfig(R"(# dialupd
[daemon]
pppd = /opt/ppp/sbin/pppd
stop-timeout = 30
pppd-debug = yes

[defaults]
apn = internet
user = "alice"
lcp-echo-interval = 5

; a UART module
[modem uart0]
device = /dev/ttyS1
baud = 921600
at-port = /dev/ttyS2
apn = m2m.example

[modem second]
device = /dev/ttyS3
)",
                                "full.conf");
    EXPECT_EQ(config.daemon.pppdPath, "/opt/ppp/sbin/pppd");
    EXPECT_EQ(config.daemon.stopTimeout, std::chrono::seconds(30));
    EXPECT_TRUE(config.daemon.pppdDebug);
    ASSERT_EQ(config.modems.size(), 2u);
    const ModemConfig& uart = config.modems[0];
    EXPECT_EQ(uart.id, "uart0");
    EXPECT_EQ(uart.device, "/dev/ttyS1");
    EXPECT_EQ(uart.atPort, "/dev/ttyS2");
    EXPECT_EQ(uart.call.baud, 921600u);
    EXPECT_EQ(uart.call.apn, "m2m.example");
    EXPECT_EQ(uart.call.user, "alice") << "defaults flow into modems";
    EXPECT_EQ(uart.call.lcpEchoInterval, 5u);
    EXPECT_EQ(config.modems[1].call.apn, "internet");
    EXPECT_FALSE(config.hasPassword);
}

TEST(Config, Limits) {
    Config config = parseConfig("[defaults]\nidle = 300\n[modem m0]\ndevice = /dev/x\nmax-connect = 3600\n", "l.conf");
    EXPECT_EQ(config.modems[0].call.idleSeconds, 300u);
    EXPECT_EQ(config.modems[0].call.maxConnectSeconds, 3600u);
    EXPECT_THAT(errorOf("[defaults]\nidle = forever\n"), HasSubstr("test.conf:2: 'idle' must be a whole number"));
}

TEST(Config, DefaultsApplyWhereverTheSectionStands) {
    Config config = parseConfig("[modem m0]\ndevice = /dev/ttyUSB3\n[defaults]\napn = later\n", "order.conf");
    EXPECT_EQ(config.modems[0].call.apn, "later");
}

TEST(Config, ConnectivityCheck) {
    Config config = parseConfig(
        "[defaults]\ncheck = icmp\ncheck-interval = 60\n"
        "[modem a]\ndevice = /dev/a\n"
        "[modem b]\ndevice = /dev/b\ncheck = tcp\ncheck-targets = 192.0.2.1:443, [2001:db8::1]:80\n"
        "check-retry-interval = 2\ncheck-failures = 5\ncheck-timeout = 1\n"
        "[modem c]\ndevice = /dev/c\ncheck = dns\ncheck-name = example.com\n",
        "test.conf");
    EXPECT_EQ(ConnectivityCheckSettings{}.kind, CheckKind::None);
    EXPECT_EQ(ConnectivityCheckSettings{}.intervalSeconds, 300u);
    EXPECT_EQ(ConnectivityCheckSettings{}.retryIntervalSeconds, 10u);
    EXPECT_EQ(ConnectivityCheckSettings{}.failures, 3u);
    const ConnectivityCheckSettings& a = config.modems[0].call.check;
    EXPECT_EQ(a.kind, CheckKind::Icmp);
    EXPECT_EQ(a.intervalSeconds, 60u);
    EXPECT_TRUE(a.targets.empty()) << "the network's DNS servers";
    const ConnectivityCheckSettings& b = config.modems[1].call.check;
    EXPECT_EQ(b.kind, CheckKind::Tcp);
    ASSERT_EQ(b.targets.size(), 2u);
    EXPECT_EQ(b.targets[1].text(), "[2001:db8::1]:80");
    EXPECT_EQ(b.retryIntervalSeconds, 2u);
    EXPECT_EQ(b.failures, 5u);
    EXPECT_EQ(b.timeoutSeconds, 1u);
    EXPECT_EQ(config.modems[2].call.check.name, "example.com");
}

TEST(Config, ConnectivityCheckErrors) {
    EXPECT_THAT(errorOf("[defaults]\ncheck = ping\n"),
                HasSubstr("test.conf:2: 'check' must be one of none, icmp, dns, tcp, got 'ping'"));
    EXPECT_THAT(errorOf("[defaults]\ncheck = tcp\n"), HasSubstr("test.conf:2: check = tcp needs 'check-targets'"));
    EXPECT_THAT(errorOf("[defaults]\ncheck = icmp\ncheck-targets = dns.google\n"),
                HasSubstr("test.conf:3: 'check-targets' takes numeric IPv4 or IPv6 addresses"));
    EXPECT_THAT(errorOf("[modem m]\ndevice = /dev/x\ncheck-targets = 10.0.0.1\ncheck = tcp\n"),
                HasSubstr("test.conf:4: 'check-targets' takes ADDRESS:PORT"));
    EXPECT_THAT(errorOf("[defaults]\ncheck = dns\n"), HasSubstr("check = dns needs 'check-name'"));
    EXPECT_THAT(errorOf("[defaults]\ncheck-name = a..b\n"), HasSubstr("test.conf:2: 'check-name' must be a DNS name"));
    EXPECT_THAT(errorOf("[defaults]\ncheck-interval = 0\n"), HasSubstr("'check-interval' must be a whole number"));
    EXPECT_THAT(errorOf("[defaults]\ncheck = icmp\ncheck-interval = 5\ncheck-retry-interval = 6\n"),
                HasSubstr("'check-retry-interval' (6 s) must not be longer than 'check-interval' (5 s)"));
}

TEST(Config, PasswordIsNoted) { EXPECT_TRUE(parseConfig("[defaults]\npassword = s3cret\n", "p.conf").hasPassword); }

TEST(Config, ErrorsNameFileLineAndProblem) {
    EXPECT_EQ(errorOf("[daemon]\n\nstop-tmeout = 3\n"),
              "test.conf:3: unknown key 'stop-tmeout' in [daemon] (known: pppd, chat, plugin, runtime-dir, "
              "lock-dir, stop-timeout, pppd-debug, udev, state-dir, call-log-size, call-logs-kept, "
              "call-logs-max-size, diagnostics-timeout, recovery-wait, "
              "live-status, metrics-dir)");
    EXPECT_THAT(errorOf("[modem m0]\ndevice = /dev/x\nflow = rtscts\n"), HasSubstr("test.conf:3: unknown key 'flow'"));
    EXPECT_THAT(errorOf("[dameon]\n"), HasSubstr("test.conf:1: unknown section [dameon]"));
    EXPECT_THAT(errorOf("apn = x\n"), HasSubstr("test.conf:1: key outside of a section"));
    EXPECT_THAT(errorOf("[defaults]\njust words\n"), HasSubstr("test.conf:2: expected 'key = value'"));
    EXPECT_THAT(errorOf("[defaults\n"), HasSubstr("test.conf:1: section header must end with ']'"));
    EXPECT_THAT(errorOf("[modem m0]\n"), HasSubstr("test.conf:1: [modem m0] needs exactly one of 'device'"));
    EXPECT_THAT(errorOf("[modem bad-id!]\ndevice=/dev/x\n"), HasSubstr("test.conf:1: modem id 'bad-id!'"));
    EXPECT_THAT(errorOf("[modem]\n"), HasSubstr("test.conf:1: modem id ''"));
    EXPECT_THAT(errorOf("[daemon]\nstop-timeout = 0\n"),
                HasSubstr("test.conf:2: 'stop-timeout' must be a whole number from 1 to 600"));
    EXPECT_THAT(errorOf("[daemon]\nstop-timeout = 5s\n"), HasSubstr("got '5s'"));
    EXPECT_THAT(errorOf("[daemon]\nstop-timeout = -1\n"), HasSubstr("test.conf:2:"));
    EXPECT_THAT(errorOf("[daemon]\npppd-debug = maybe\n"), HasSubstr("test.conf:2: 'pppd-debug' must be yes or no"));
    EXPECT_THAT(errorOf("[daemon]\npppd = pppd\n"), HasSubstr("test.conf:2: 'pppd' must be an absolute path"));
    EXPECT_THAT(errorOf("[defaults]\napn = a\nadd = b\napn = c\n"),
                HasSubstr("test.conf:4: 'apn' is set twice in this section (first on line 2)"));
    EXPECT_THAT(errorOf("[daemon]\n[daemon]\n"),
                HasSubstr("test.conf:2: section [daemon] appears twice (first on line 1)"));
    EXPECT_THAT(errorOf("[defaults x]\n"), HasSubstr("test.conf:1: section [defaults] takes no name"));
    EXPECT_THAT(errorOf("[modem a]\ndevice=/dev/x\n[modem b]\ndevice=/dev/x\n"),
                HasSubstr("test.conf:3: [modem b] uses device /dev/x of [modem a]"));
}

TEST(Config, HostileValuesAreRejectedWithTheirLine) {
    EXPECT_THAT(errorOf("[defaults]\napn = x\" ABORT \"OK\n"), HasSubstr("test.conf:2: apn contains character '\"'"));
    EXPECT_THAT(errorOf("[defaults]\nuser = a\x01"
                        "b\n"),
                HasSubstr("test.conf:2: user contains a control character or a Unicode noncharacter"));
    EXPECT_THAT(errorOf("[defaults]\napn = \xff\xfe\n"), HasSubstr("test.conf:2: line is not valid UTF-8"));
    // Valid UTF-8 that D-Bus refuses (U+FFFE) or a terminal obeys (ESC, C1 CSI): named, not echoed.
    for (const char* value : {"\xef\xbf\xbe", "\x1b[2J",
                              "\xc2\x9b"
                              "2J",
                              "a\x01b"}) {
        std::string error = errorOf(std::string("[modem m0]\ndevice = /dev/ttyS0\nusb-serial = ") + value + "\n");
        EXPECT_THAT(error, HasSubstr("test.conf:3: usb-serial contains a control character or a Unicode noncharacter"));
        EXPECT_THAT(error, Not(HasSubstr(value)));
    }
    EXPECT_THAT(errorOf(std::string("[defaults]\napn = a\0b\n", 20)), HasSubstr("test.conf:2: NUL byte"));
    EXPECT_THAT(errorOf("[modem m0]\ndevice = /dev/x\nbaud = 12345678901234567890\n"),
                HasSubstr("test.conf:3: 'baud'"));
}

TEST(Config, PasswordValuesNeverAppearInErrors) {
    std::string error = errorOf("[defaults]\npassword = " + std::string(300, 'Q') + "\n");
    EXPECT_THAT(error, HasSubstr("test.conf:2: password is too long"));
    EXPECT_EQ(error.find("QQQQ"), std::string::npos);
}

// A password written without its key is a line without '=': the error names the line only.
TEST(Config, AMalformedLineIsNotRepeated) {
    EXPECT_EQ(errorOf("[defaults]\nS3cret-Pa55\n"), "test.conf:2: expected 'key = value'");
}

TEST(Config, CommentsBlankLinesAndQuotes) {
    Config config = parseConfig("\n  # comment\n; other\n[defaults]\n  apn = \"internet\"  \n", "c.conf");
    EXPECT_EQ(config.defaults.apn, "internet");
}

TEST(Config, BaseSuppliesBuiltInDefaults) {
    Config base;
    base.daemon.pluginPath = "/usr/lib/pppd/2.4.9/dialupd-pppd-plugin.so";
    EXPECT_EQ(parseConfig("", "e.conf", base).daemon.pluginPath, base.daemon.pluginPath);
    EXPECT_EQ(parseConfig("[daemon]\nplugin = /x.so\n", "e.conf", base).daemon.pluginPath, "/x.so");
}

TEST(Config, MissingFileNamesTheFile) {
    try {
        loadConfigFile("/nonexistent/dialupd.conf");
        FAIL();
    } catch (const ConfigError& error) {
        EXPECT_THAT(error.what(), HasSubstr("/nonexistent/dialupd.conf: cannot be opened: No such file or directory"));
    }
}

TEST(Config, LoadsFromAFile) {
    std::string path = ::testing::TempDir() + "/dialupd-config-test.conf";
    std::ofstream(path) << "[modem m0]\ndevice = /dev/ttyUSB3\n";
    Config config = loadConfigFile(path);
    ASSERT_EQ(config.modems.size(), 1u);
    EXPECT_EQ(config.modems[0].device, "/dev/ttyUSB3");
}

TEST(Config, UsbModemsAreNamedBySerialOrPortPath) {
    Config config = parseConfig(
        "[modem roof]\nusb-serial = 0123456789ABCDEF\napn = m2m\nautoconnect = yes\n"
        "[modem cellar]\nusb-path = 1-1.4.2\n",
        "u.conf");
    ASSERT_EQ(config.modems.size(), 2u);
    EXPECT_EQ(config.modems[0].matchUsbSerial, "0123456789ABCDEF");
    EXPECT_TRUE(config.modems[0].device.empty());
    EXPECT_TRUE(config.modems[0].autoconnect);
    EXPECT_EQ(config.modems[0].call.apn, "m2m");
    EXPECT_EQ(config.modems[1].matchUsbPath, "1-1.4.2");
    EXPECT_FALSE(config.modems[1].autoconnect);
}

// Issue 16 item 6: a device can claim any serial, and with it the section's credentials.
TEST(Config, CredentialsTiedToASerialOnlyAreWarnedAbout) {
    Config config = parseConfig(
        "[defaults]\npassword = shared\n"
        "[modem roof]\nusb-serial = 0123\npassword = roof-secret\n"
        "[modem mast]\nusb-serial = 4567\nuser = alice\n"
        "[modem cellar]\nusb-path = 1-1.4.2\npassword = cellar-secret\n"
        "[modem attic]\nusb-serial = 89AB\napn = m2m\n"
        "[modem wall]\ndevice = /dev/ttyS1\npassword = wall-secret\n",
        "u.conf");
    ASSERT_EQ(config.warnings.size(), 2u);
    EXPECT_EQ(config.warnings[0],
              "u.conf:3: [modem roof] gives its user and password to any USB modem that reports serial '0123', and a "
              "device can claim any serial: match the section by 'usb-path' (the physical port) instead");
    EXPECT_THAT(config.warnings[1], HasSubstr("u.conf:6: [modem mast]"));
    for (const std::string& warning : config.warnings) EXPECT_THAT(warning, Not(HasSubstr("secret")));
}

TEST(Config, UsbMatchErrors) {
    EXPECT_THAT(errorOf("[modem a]\ndevice = /dev/x\nusb-serial = 1\n"),
                HasSubstr("test.conf:1: [modem a] needs exactly one of 'device'"));
    EXPECT_THAT(errorOf("[modem a]\nusb-path = 1-1..2\n"),
                HasSubstr("test.conf:2: 'usb-path' must be a USB port path"));
    EXPECT_THAT(errorOf("[modem a]\nusb-path = usb1\n"), HasSubstr("test.conf:2: 'usb-path' must be"));
    EXPECT_THAT(errorOf("[modem a]\nusb-path = 1-\n"), HasSubstr("test.conf:2: 'usb-path' must be"));
    EXPECT_THAT(errorOf("[modem a]\nusb-serial =\n"), HasSubstr("test.conf:2: 'usb-serial' must not be empty"));
    EXPECT_THAT(errorOf("[modem a]\nusb-serial = x\nat-port = /dev/ttyUSB2\n"),
                HasSubstr("'at-port' is for fixed ports"));
    EXPECT_THAT(errorOf("[modem a]\nusb-serial = x\n[modem b]\nusb-serial = x\n"),
                HasSubstr("test.conf:3: [modem b] uses usb-serial x of [modem a] too"));
    EXPECT_THAT(errorOf("[modem a]\ndevice = /dev/x\nautoconnect = maybe\n"),
                HasSubstr("test.conf:3: 'autoconnect' must be yes or no"));
}

TEST(Config, UsbModelSectionsExtendTheTable) {
    Config config = parseConfig(
        "[usb-model 2c7c:6026]\nname = EC200T\nppp-interface = 5\nat-interface = 2\n"
        "[usb-model 1234:ABCD]\nname = Other\nppp-interface = 0\n",
        "m.conf");
    ASSERT_EQ(config.usbModels.size(), 2u);
    EXPECT_EQ(config.usbModels[0].vendorId, 0x2c7c);
    EXPECT_EQ(config.usbModels[0].productId, 0x6026);
    EXPECT_EQ(config.usbModels[0].name, "EC200T");
    EXPECT_EQ(config.usbModels[0].pppInterface, 5);
    EXPECT_EQ(config.usbModels[0].atInterface, 2);
    EXPECT_EQ(config.usbModels[1].productId, 0xabcd);
    EXPECT_FALSE(config.usbModels[1].atInterface);
}

TEST(Config, DmLogKeys) {
    Config config = parseConfig(
        "[modem m0]\ndevice = /dev/ttyUSB3\ndm-log = yes\ndm-port = /dev/ttyUSB0\n"
        "dm-log-size = 8Mi\ndm-mask-file = /etc/dialupd/m0.cfg\n"
        "[modem m1]\ndevice = /dev/ttyS1\n",
        "dm.conf");
    const ModemConfig& m0 = config.modems[0];
    EXPECT_TRUE(m0.dmLog);
    EXPECT_EQ(m0.dmPort, "/dev/ttyUSB0");
    EXPECT_EQ(m0.dmLogSize, 8u * 1024 * 1024);
    EXPECT_EQ(m0.dmMaskFile, "/etc/dialupd/m0.cfg");
    const ModemConfig& m1 = config.modems[1];
    EXPECT_FALSE(m1.dmLog);
    EXPECT_EQ(m1.dmLogSize, 4u * 1024 * 1024);
    EXPECT_EQ(m1.dmPort, "");
    EXPECT_EQ(parseConfig("[modem m0]\ndevice = /dev/x\ndm-log-size = 64Ki\n", "t").modems[0].dmLogSize, 65536u);
    EXPECT_EQ(parseConfig("[modem m0]\ndevice = /dev/x\ndm-log-size = 64Mi\n", "t").modems[0].dmLogSize,
              64u * 1024 * 1024);

    EXPECT_THAT(errorOf("[modem m0]\ndevice = /dev/x\ndm-log-size = 1000\n"),
                HasSubstr("test.conf:3: 'dm-log-size' must be from 65536 to 67108864 bytes"));
    EXPECT_THAT(errorOf("[modem m0]\ndevice = /dev/x\ndm-log-size = 65Mi\n"), HasSubstr("'dm-log-size' must be from"));
    EXPECT_THAT(errorOf("[modem m0]\ndevice = /dev/x\ndm-log-size = lots\n"), HasSubstr("must be a size like"));
    EXPECT_THAT(errorOf("[modem m0]\ndevice = /dev/x\ndm-log = maybe\n"), HasSubstr("'dm-log' must be yes or no"));
    EXPECT_THAT(errorOf("[modem m0]\ndevice = /dev/x\ndm-mask-file = m0.cfg\n"), HasSubstr("absolute path"));
    EXPECT_THAT(errorOf("[modem m0]\nusb-path = 1-1\ndm-port = /dev/ttyUSB0\n"),
                HasSubstr("'dm-port' is for fixed ports"));
    EXPECT_THAT(errorOf("[defaults]\ndm-log = yes\n"), HasSubstr("unknown key 'dm-log' in [defaults]"));
}

TEST(Config, UsbModelDmInterface) {
    Config config = parseConfig("[usb-model 2c7c:6026]\nname = EC200T\nppp-interface = 5\ndm-interface = 1\n", "m");
    EXPECT_EQ(config.usbModels[0].dmInterface, 1);
}

TEST(Config, UsbModelErrors) {
    EXPECT_THAT(errorOf("[usb-model 2c7c]\n"), HasSubstr("test.conf:1: [usb-model 2c7c]: expected VID:PID"));
    EXPECT_THAT(errorOf("[usb-model zzzz:0001]\n"), HasSubstr("expected VID:PID"));
    EXPECT_THAT(errorOf("[usb-model 2c7c:0001]\nname = X\n"), HasSubstr("needs 'name' and 'ppp-interface'"));
    EXPECT_THAT(errorOf("[usb-model 2c7c:0001]\nname = X\nppp-interface = 256\n"),
                HasSubstr("'ppp-interface' must be a whole number from 0 to 255"));
    EXPECT_THAT(errorOf("[usb-model 2c7c:0001]\nname = X\nppp-interface = 2\nat-interface = 2\n"),
                HasSubstr("'at-interface' must differ"));
    EXPECT_THAT(errorOf("[usb-model 2c7c:0001]\nname = X\nppp-interface = 2\nport = 3\n"),
                HasSubstr("test.conf:4: unknown key 'port' in [usb-model]"));
}

TEST(Config, LockDir) {
    EXPECT_EQ(parseConfig("", "d.conf").daemon.lockDir, "/run/lock");
    EXPECT_EQ(parseConfig("[daemon]\nlock-dir = /var/lock\n", "d.conf").daemon.lockDir, "/var/lock");
    EXPECT_THAT(errorOf("[daemon]\nlock-dir = lock\n"), HasSubstr("absolute"));
}

TEST(Config, RecoveryWait) {
    EXPECT_EQ(parseConfig("", "d.conf").daemon.recoveryWait, std::chrono::seconds(45));
    EXPECT_EQ(parseConfig("[daemon]\nrecovery-wait = 20\n", "d.conf").daemon.recoveryWait, std::chrono::seconds(20));
    EXPECT_THAT(errorOf("[daemon]\nrecovery-wait = 0\n"), HasSubstr("from 1 to 600"));
}

TEST(Config, CallLogsAndDiagnostics) {
    DaemonSettings defaults = parseConfig("", "d.conf").daemon;
    EXPECT_EQ(defaults.stateDir, "/var/lib/dialupd");
    EXPECT_EQ(defaults.callLogBytes, 64u * 1024);
    EXPECT_EQ(defaults.keptCallLogs, 10u);
    EXPECT_EQ(defaults.callLogsMaxBytes, 256u << 20);
    EXPECT_EQ(defaults.diagnosticsTimeout, std::chrono::milliseconds(3000));
    DaemonSettings set = parseConfig(
                             "[daemon]\nstate-dir = /srv/d\ncall-log-size = 8192\ncall-logs-kept = 0\n"
                             "diagnostics-timeout = 500\ncall-logs-max-size = 2Gi\n",
                             "d.conf")
                             .daemon;
    EXPECT_EQ(set.stateDir, "/srv/d");
    EXPECT_EQ(set.callLogBytes, 8192u);
    EXPECT_EQ(set.keptCallLogs, 0u);
    EXPECT_EQ(set.callLogsMaxBytes, 2ull << 30);
    EXPECT_THAT(errorOf("[daemon]\ncall-logs-max-size = 100K\n"), HasSubstr("(1Mi to 1Ti)"));
    EXPECT_EQ(set.diagnosticsTimeout, std::chrono::milliseconds(500));
    EXPECT_THAT(errorOf("[daemon]\ncall-log-size = 100\n"), HasSubstr("from 4096 to 16777216"));
    EXPECT_THAT(errorOf("[daemon]\ndiagnostics-timeout = 99999\n"), HasSubstr("from 100 to 30000"));
    EXPECT_THAT(errorOf("[daemon]\nstate-dir = var/lib\n"), HasSubstr("must be an absolute path"));
}

TEST(Config, ReconnectSettings) {
    Config defaults = parseConfig("[modem m]\ndevice = /dev/ttyS1\n", "r.conf");
    EXPECT_FALSE(defaults.modems[0].call.reconnect.enabled.has_value());  // autoconnect decides
    EXPECT_EQ(defaults.modems[0].call.reconnect.delaySeconds, 5u);
    EXPECT_EQ(defaults.modems[0].call.reconnect.maxDelaySeconds, 300u);
    EXPECT_EQ(defaults.modems[0].call.reconnect.maxAttempts, 0u);
    Config set = parseConfig(
        "[defaults]\nreconnect = yes\nreconnect-delay = 2\n"
        "[modem m]\ndevice = /dev/ttyS1\nreconnect-max-delay = 60\nreconnect-attempts = 7\n"
        "[modem n]\ndevice = /dev/ttyS2\nreconnect = no\n",
        "r.conf");
    const ReconnectSettings& m = set.modems[0].call.reconnect;
    EXPECT_EQ(m.enabled, std::optional<bool>(true));
    EXPECT_EQ(m.delaySeconds, 2u);
    EXPECT_EQ(m.maxDelaySeconds, 60u);
    EXPECT_EQ(m.maxAttempts, 7u);
    EXPECT_EQ(set.modems[1].call.reconnect.enabled, std::optional<bool>(false));
    EXPECT_THAT(errorOf("[defaults]\nreconnect-delay = 0\n"), HasSubstr("from 1 to 3600"));
    EXPECT_THAT(errorOf("[defaults]\nreconnect = sometimes\n"), HasSubstr("must be yes or no"));
    EXPECT_THAT(errorOf("[defaults]\nredial = yes\n"), HasSubstr("reconnect-attempts"));  // the known keys
}

TEST(Config, OnlineSettings) {
    Config defaults = parseConfig("[modem m]\ndevice = /dev/ttyS1\n", "o.conf");
    const CallSettings& call = defaults.modems[0].call;
    EXPECT_TRUE(call.defaultRoute);
    EXPECT_EQ(call.routeMetric, 700u);
    EXPECT_EQ(call.dns, DnsMode::Auto);
    EXPECT_EQ(call.ipFamily, IpFamily::Ipv4v6);
    Config set = parseConfig(
        "[defaults]\ndefault-route = no\nroute-metric = 4294967295\ndns = none\nip-family = ipv4\n"
        "[modem m]\ndevice = /dev/ttyS1\n"
        "[modem n]\ndevice = /dev/ttyS2\ndefault-route = yes\nroute-metric = 0\ndns = resolvconf\n"
        "ip-family = ipv6\n"
        "[modem o]\ndevice = /dev/ttyS3\ndns = resolved\nip-family = ipv4v6\n",
        "o.conf");
    const CallSettings& m = set.modems[0].call;  // the defaults, as given
    EXPECT_FALSE(m.defaultRoute);
    EXPECT_EQ(m.routeMetric, 4294967295u);
    EXPECT_EQ(m.dns, DnsMode::None);
    EXPECT_EQ(m.ipFamily, IpFamily::Ipv4);
    const CallSettings& n = set.modems[1].call;  // its own values over them
    EXPECT_TRUE(n.defaultRoute);
    EXPECT_EQ(n.routeMetric, 0u);
    EXPECT_EQ(n.dns, DnsMode::Resolvconf);
    EXPECT_EQ(n.ipFamily, IpFamily::Ipv6);
    EXPECT_EQ(set.modems[2].call.dns, DnsMode::Resolved);
    EXPECT_EQ(set.modems[2].call.ipFamily, IpFamily::Ipv4v6);
    EXPECT_FALSE(set.modems[2].call.defaultRoute) << "from [defaults]";
}

TEST(Config, BadOnlineSettingsAreNamed) {
    EXPECT_EQ(errorOf("[defaults]\ndns = systemd\n"),
              "test.conf:2: 'dns' must be one of auto, resolved, resolvconf, none, got 'systemd'");
    EXPECT_EQ(errorOf("[modem m]\ndevice = /dev/x\nip-family = IPV4V6\n"),
              "test.conf:3: 'ip-family' must be one of ipv4, ipv6, ipv4v6, got 'IPV4V6'");
    EXPECT_EQ(errorOf("[defaults]\nroute-metric = 4294967296\n"),
              "test.conf:2: 'route-metric' must be a whole number from 0 to 4294967295, got '4294967296'");
    EXPECT_THAT(errorOf("[defaults]\nroute-metric = -1\n"),
                HasSubstr("test.conf:2: 'route-metric' must be a whole number"));
    EXPECT_THAT(errorOf("[defaults]\nroute-metric =\n"),
                HasSubstr("test.conf:2: 'route-metric' must be a whole number"));
    EXPECT_EQ(errorOf("[defaults]\ndefault-route = sometimes\n"),
              "test.conf:2: 'default-route' must be yes or no, got 'sometimes'");
    EXPECT_THAT(errorOf("[defaults]\ndns = \n"), HasSubstr("'dns' must be one of"));
    // The lists of known keys name the new ones, in [defaults] and [modem].
    for (const char* section : {"[defaults]\n", "[modem m]\ndevice = /dev/x\n"}) {
        std::string error = errorOf(std::string(section) + "metric = 5\n");
        EXPECT_THAT(error, HasSubstr("default-route, route-metric, dns, ip-family, registration-timeout, "
                                     "allow-roaming, data-period, data-period-start-day, data-limit, "));
    }
}

TEST(Config, ReadinessSettings) {
    Config defaults = parseConfig("", "r.conf");
    EXPECT_FALSE(defaults.defaults.apnGiven);                                     // the provider database is asked
    EXPECT_EQ(defaults.defaults.apn, "internet");                                 // unless the module cannot be
    EXPECT_TRUE(parseConfig("[defaults]\napn =\n", "r.conf").defaults.apnGiven);  // the stored context, on purpose
    EXPECT_EQ(defaults.defaults.registrationTimeoutSeconds, 60u);
    EXPECT_TRUE(defaults.defaults.allowRoaming);
    Config set = parseConfig(
        "[defaults]\nregistration-timeout = 120\nallow-roaming = no\n"
        "[modem m]\ndevice = /dev/x\nsim-pin-file = /etc/dialupd/m.pin\nallow-roaming = yes\n",
        "r.conf");
    EXPECT_EQ(set.defaults.registrationTimeoutSeconds, 120u);
    EXPECT_FALSE(set.defaults.allowRoaming);
    ASSERT_EQ(set.modems.size(), 1u);
    EXPECT_EQ(set.modems[0].simPinFile, "/etc/dialupd/m.pin");
    EXPECT_TRUE(set.modems[0].call.allowRoaming);
    EXPECT_EQ(set.modems[0].call.registrationTimeoutSeconds, 120u);
    EXPECT_THAT(errorOf("[defaults]\nregistration-timeout = 0\n"),
                HasSubstr("'registration-timeout' must be a whole number from 1 to 3600"));
    EXPECT_THAT(errorOf("[defaults]\nallow-roaming = maybe\n"), HasSubstr("'allow-roaming' must be yes or no"));
    EXPECT_THAT(errorOf("[modem m]\ndevice = /dev/x\nsim-pin-file = m.pin\n"), HasSubstr("sim-pin-file"));
    // A PIN file is the modem's own: not a default for every modem.
    EXPECT_THAT(errorOf("[defaults]\nsim-pin-file = /etc/pin\n"),
                HasSubstr("unknown key 'sim-pin-file' in [defaults]"));
}

TEST(Config, UdevWatchingCanBeTurnedOff) {
    EXPECT_TRUE(parseConfig("", "d.conf").daemon.watchUdev);
    EXPECT_FALSE(parseConfig("[daemon]\nudev = no\n", "d.conf").daemon.watchUdev);
    EXPECT_TRUE(parseConfig("", "d.conf").daemon.liveStatus);
    EXPECT_FALSE(parseConfig("[daemon]\nlive-status = no\n", "d.conf").daemon.liveStatus);
}

}  // namespace
}  // namespace dialupd
