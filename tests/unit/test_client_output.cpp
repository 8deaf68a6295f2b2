// SPDX-License-Identifier: GPL-2.0-or-later
// dialupctl's pure parts: exit statuses for D-Bus error names, formatting, the table's alignment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <sstream>

#include "commands.h"
#include "daemon_client.h"
#include "exit_status.h"
#include "modem_info.h"
#include "output.h"

using namespace dialupctl;

TEST(ExitStatus, DocumentedNamesMapToTheirStatus) {
    EXPECT_EQ(exitStatusForError("org.freedesktop.DBus.Error.ServiceUnknown"), ExitStatus::DaemonNotRunning);
    EXPECT_EQ(exitStatusForError("org.freedesktop.DBus.Error.Spawn.ChildExited"), ExitStatus::DaemonNotRunning);
    EXPECT_EQ(exitStatusForError("org.freedesktop.DBus.Error.AccessDenied"), ExitStatus::AccessDenied);
    EXPECT_EQ(exitStatusForError("org.freedesktop.DBus.Error.UnknownObject"), ExitStatus::NoSuchModem);
    EXPECT_EQ(exitStatusForError("org.dialupd1.Error.InvalidArgument"), ExitStatus::Usage);
    EXPECT_EQ(exitStatusForError("org.dialupd1.Error.CallFailed"), ExitStatus::CallFailed);
    EXPECT_EQ(exitStatusForError("org.dialupd1.Error.Cancelled"), ExitStatus::CallFailed);
    EXPECT_EQ(exitStatusForError("org.dialupd1.Error.RecoveryFailed"), ExitStatus::CallFailed);
    for (const char* name : {"org.dialupd1.Error.AlreadyConnected", "org.dialupd1.Error.NotConnected",
                             "org.dialupd1.Error.Busy", "org.dialupd1.Error.Unavailable"})
        EXPECT_EQ(exitStatusForError(name), ExitStatus::WrongState) << name;
}

TEST(ExitStatus, WhatTheChecksBeforeTheDialFindHasItsOwnStatus) {
    for (const char* name : {"org.dialupd1.Error.SimPinRequired", "org.dialupd1.Error.SimPinRejected",
                             "org.dialupd1.Error.SimPukRequired", "org.dialupd1.Error.SimMissing"})
        EXPECT_EQ(exitStatusForError(name), ExitStatus::SimNotReady) << name;
    for (const char* name : {"org.dialupd1.Error.RegistrationDenied", "org.dialupd1.Error.RoamingNotAllowed",
                             "org.dialupd1.Error.NotRegistered"})
        EXPECT_EQ(exitStatusForError(name), ExitStatus::NoNetwork) << name;
    EXPECT_EQ(exitStatusForError("org.dialupd1.Error.ApnRequired"), ExitStatus::Usage);
    EXPECT_EQ(static_cast<int>(ExitStatus::SimNotReady), 8);
    EXPECT_EQ(static_cast<int>(ExitStatus::NoNetwork), 9);
}

TEST(ExitStatus, AMissingDmLogHasItsOwnStatus) {
    for (const char* name :
         {"org.dialupd1.Error.DiagnosticLogOff", "org.dialupd1.Error.NoDiagnosticLog", "org.dialupd1.Error.NoSuchCall"})
        EXPECT_EQ(exitStatusForError(name), ExitStatus::NoDiagnosticLog) << name;
    EXPECT_EQ(static_cast<int>(ExitStatus::NoDiagnosticLog), 10);
    EXPECT_EQ(exitStatusForError("org.dialupd1.Error.SaveFailed"), ExitStatus::Failure);
}

TEST(ExitStatus, AnythingElseIsAPlainFailure) {
    EXPECT_EQ(exitStatusForError("org.dialupd1.Error.Internal"), ExitStatus::Failure);
    EXPECT_EQ(exitStatusForError("org.freedesktop.DBus.Error.NoReply"), ExitStatus::Failure);
    EXPECT_EQ(exitStatusForError("org.freedesktop.DBus.Error.Spawn"), ExitStatus::Failure);  // a prefix, not a name
    EXPECT_EQ(exitStatusForError(""), ExitStatus::Failure);
}

TEST(ConnectOutcome, OnlyACallUnderWayIsSuccess) {
    ModemInfo modem;
    modem.id = "m0";
    for (const char* state : {"connecting", "connected", "resetting"}) {
        modem.state = state;
        EXPECT_FALSE(connectOutcomeError(modem)) << state;
    }
    modem.state = "disconnected";
    modem.lastExitReason = {4, "no-kernel-support", "no PPP in the kernel"};
    auto failed = connectOutcomeError(modem);
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status(), ExitStatus::CallFailed);
    EXPECT_STREQ(failed->what(), "connecting m0: the call already ended: 4 no-kernel-support: no PPP in the kernel");
    modem.state = "unavailable";
    ASSERT_TRUE(connectOutcomeError(modem));
    EXPECT_EQ(connectOutcomeError(modem)->status(), ExitStatus::CallFailed);
}

TEST(ModemPaths, IdsAndPaths) {
    EXPECT_EQ(modemIdFromPath("/org/dialupd1/modem/ec25_X"), "ec25_X");
    EXPECT_EQ(modemIdFromPath("/org/dialupd1/modem/"), "");
    EXPECT_EQ(modemIdFromPath("/org/dialupd1"), "");
    EXPECT_EQ(modemPathFromArgument("ec25_X"), "/org/dialupd1/modem/ec25_X");
    EXPECT_EQ(modemPathFromArgument("/org/dialupd1/modem/m0"), "/org/dialupd1/modem/m0");
}

TEST(Format, Durations) {
    EXPECT_EQ(formatDuration(0), "0.0 s");
    EXPECT_EQ(formatDuration(5'540'000), "5.5 s");
    EXPECT_EQ(formatDuration(182'000'000), "3 min 2 s");
    EXPECT_EQ(formatDuration(7'500'000'000ull), "2 h 5 min");
}

TEST(Format, Bytes) {
    EXPECT_EQ(formatBytes(84), "84 bytes");
    EXPECT_EQ(formatBytes(15 * 1024 + 512), "15.5 KiB");
    EXPECT_EQ(formatBytes(12ull * 1024 * 1024), "12.0 MiB");
}

TEST(Format, TimesFollowTheTimeZone) {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    const uint64_t usec = 1'795'526'004'449'637ull;  // 2026-11-24 13:13:24.449637 UTC (date -u -d @1795526004)
    EXPECT_EQ(formatRfc3339(usec), "2026-11-24T13:13:24.449637+00:00");
    EXPECT_EQ(formatLocalTime(usec, true), "2026-11-24 13:13:24.449");
    ::setenv("TZ", "<-0330>3:30", 1);
    ::tzset();
    EXPECT_EQ(formatRfc3339(usec), "2026-11-24T09:43:24.449637-03:30");
    ::unsetenv("TZ");
    ::tzset();
}

TEST(Format, ARedialThatWaitsForAnEventHasNoTime) {
    // The daemon's kRedialAwaitsEvent: the network must register the module again first.
    EXPECT_EQ(formatRedial(0, UINT64_MAX), "waits for the network to register the module again");
    EXPECT_THAT(formatRedial(2, 1'700'000'000'000'000), ::testing::StartsWith("2 at 2023-11-1"));
}

TEST(Format, Reasons) {
    EXPECT_EQ(formatReason({0, "none", "no call has ended yet"}), "none");
    EXPECT_EQ(formatReason({16, "hangup", "the modem hung up"}), "16 hangup: the modem hung up");
}

TEST(Output, TableColumnsAlignWithColourOn) {
    ModemInfo a;
    a.id = "a";
    a.state = "connected";
    a.device = "/dev/ttyUSB3";
    a.ipv4Address = "10.0.0.2";
    a.defaultRoute = true;
    a.routeMetric = 700;
    a.dnsBackend = "resolved";
    ModemInfo b;
    b.id = "a_longer_id";
    b.state = "disconnected";
    b.device = "/dev/ttyS1";
    std::ostringstream plain, coloured;
    printModemTable(plain, {a, b}, Style(false));
    printModemTable(coloured, {a, b}, Style(true));
    EXPECT_EQ(plain.str(),
              "MODEM        STATE         MODEL  DEVICE        ADDRESS   ROUTE        DNS\n"
              "a            connected     -      /dev/ttyUSB3  10.0.0.2  default/700  resolved\n"
              "a_longer_id  disconnected  -      /dev/ttyS1    -         -            -\n");
    // The same text once the escape codes are taken out: colour never shifts a column.
    std::string stripped = coloured.str();
    for (size_t at; (at = stripped.find('\033')) != std::string::npos;)
        stripped.erase(at, stripped.find('m', at) - at + 1);
    EXPECT_EQ(stripped, plain.str());
    EXPECT_NE(coloured.str(), plain.str());
}

TEST(Output, JsonKeepsInvalidUtf8AsReplacement) {
    ModemInfo modem;
    modem.id = "m0";
    modem.device = std::string("/dev/tty\xff");
    std::ostringstream out;
    printJsonLine(out, toJson(modem));
    EXPECT_NE(out.str().find("/dev/tty\xef\xbf\xbd"), std::string::npos) << out.str();
    EXPECT_EQ(out.str().back(), '\n');
}

// What dialupctl reads from the bus is sanitized before any of it is printed: a daemon (or
// whoever owns the name) cannot make it write raw escape sequences to a terminal.
TEST(FromTheBus, PropertiesAreSanitized) {
    std::map<std::string, sdbus::Variant> properties;
    // (A noncharacter cannot even be put into a variant: sd-bus refuses it on both sides.)
    properties["UsbSerial"] = sdbus::Variant(std::string("SN\x1b]0;owned\x07"));
    properties["Device"] =
        sdbus::Variant(std::string("/dev/tty\xc2\x9b"
                                   "2J"));
    properties["Dns"] = sdbus::Variant(std::vector<std::string>{"10.0.0.1\x1b[H"});
    properties["IPv6Addresses"] = sdbus::Variant(std::vector<std::string>{"2001:db8::2\x1b[H"});
    properties["DnsBackend"] = sdbus::Variant(std::string("resolved\x1b[H"));
    properties["LastExitReason"] =
        sdbus::Variant(sdbus::Struct<uint32_t, std::string, std::string>{16u, "hangup", "it \x1b[31mhung\x1b[0m up"});
    ModemInfo modem = modemFromProperties("/org/dialupd1/modem/m0", properties);
    EXPECT_EQ(modem.usbSerial, "SN\\x1b]0;owned\\x07");
    EXPECT_EQ(modem.device, "/dev/tty\\u{009B}2J");
    EXPECT_EQ(modem.dns, std::vector<std::string>{"10.0.0.1\\x1b[H"});
    EXPECT_EQ(modem.ipv6Addresses, std::vector<std::string>{"2001:db8::2\\x1b[H"});
    EXPECT_EQ(modem.dnsBackend, "resolved\\x1b[H");
    EXPECT_EQ(modem.lastExitReason.description, "it \\x1b[31mhung\\x1b[0m up");
    std::ostringstream out;
    printModemStatus(out, modem, Style(false), 0);
    EXPECT_EQ(out.str().find('\x1b'), std::string::npos) << out.str();
}

TEST(Output, StatusShowsRouteIpv6AndWhereDnsWent) {
    ModemInfo modem;
    modem.id = "ec25";
    modem.state = "connected";
    modem.interface = "ppp0";
    modem.ipv4Address = "10.64.0.2";
    modem.peerAddress = "10.64.0.1";
    modem.ipv6Addresses = {"2001:db8:64::2"};
    modem.defaultRoute = true;
    modem.routeMetric = 700;
    modem.dns = {"10.64.0.53", "2001:db8:64::53"};
    modem.dnsBackend = "resolved";
    std::ostringstream out;
    printModemStatus(out, modem, Style(false), 0);
    EXPECT_THAT(out.str(), ::testing::HasSubstr("  IPv6       2001:db8:64::2\n"));
    EXPECT_THAT(out.str(), ::testing::HasSubstr("  Route      default via ppp0, metric 700\n"));
    EXPECT_THAT(out.str(), ::testing::HasSubstr("  DNS        10.64.0.53 2001:db8:64::53 (in systemd-resolved)\n"));
    modem.defaultRoute = false;
    modem.dnsBackend = "none";
    std::ostringstream without;
    printModemStatus(without, modem, Style(false), 0);
    EXPECT_THAT(without.str(), ::testing::HasSubstr("  Route      no default route\n"));
    EXPECT_THAT(without.str(), ::testing::HasSubstr("(not handed to the system)"));
}

TEST(FromTheBus, LogTextKeepsItsLinesAndLosesItsEscapes) {
    EXPECT_EQ(cleanLogText("== call ==\nrcvd \x1b[2J\xff\r\n"), "== call ==\nrcvd \\x1b[2J\\xff\\x0d\n");
}

TEST(LiveOutput, SignalBarsFollowThePercent) {
    EXPECT_EQ(formatSignalBars(0), "____");
    EXPECT_EQ(formatSignalBars(3), "\u2582___");
    EXPECT_EQ(formatSignalBars(24), "\u2582___");
    EXPECT_EQ(formatSignalBars(25), "\u2582\u2584__");
    EXPECT_EQ(formatSignalBars(50), "\u2582\u2584\u2586_");
    EXPECT_EQ(formatSignalBars(75), "\u2582\u2584\u2586\u2588");
    EXPECT_EQ(formatSignalBars(100), "\u2582\u2584\u2586\u2588");
}

TEST(LiveOutput, StatusShowsSimNetworkAndSignalOfAModemWithAnAtPort) {
    ModemInfo modem;
    modem.id = "m0";
    modem.state = "disconnected";
    modem.device = "/dev/ttyUSB3";
    std::ostringstream withoutAtPort;
    printModemStatus(withoutAtPort, modem, Style(false), 0);
    EXPECT_THAT(withoutAtPort.str(), ::testing::Not(::testing::HasSubstr("SIM")));

    modem.atPort = "/dev/ttyUSB2";
    std::ostringstream unknown;
    printModemStatus(unknown, modem, Style(false), 0);
    EXPECT_THAT(unknown.str(), ::testing::HasSubstr("  SIM        unknown\n  Network    unknown\n  Signal     -\n"));

    modem.simState = "ready";
    modem.iccid = "89490200001234567890";
    modem.registrationState = "home";
    modem.operatorName = "Simulated Operator";
    modem.operatorCode = "26201";
    modem.accessTechnology = "lte";
    modem.signalQuality = 77;
    modem.signal = {{"rssi", -65}, {"rsrp", -95}, {"rsrq", -10}, {"sinr", 154}};
    modem.imei = "867698041234561";
    std::ostringstream known;
    printModemStatus(known, modem, Style(false), 0);
    EXPECT_THAT(known.str(),
                ::testing::HasSubstr("  SIM        ready, ICCID 89490200001234567890\n"
                                     "  Network    home on Simulated Operator (26201), lte\n"
                                     "  Signal     77% \u2582\u2584\u2586\u2588 (rssi -65 dBm, rsrp -95 dBm, "
                                     "rsrq -10 dB, sinr 154)\n"
                                     "  IMEI       867698041234561\n"));
    nlohmann::json json = toJson(modem);
    EXPECT_EQ(json["signal"], nlohmann::json({{"rssi", -65}, {"rsrp", -95}, {"rsrq", -10}, {"sinr", 154}}));
    EXPECT_EQ(json["signal_quality"], 77);
    EXPECT_EQ(json["operator_code"], "26201");
}

TEST(LiveOutput, NetworkWithOnlyACodeOrNothing) {
    ModemInfo modem;
    modem.registrationState = "roaming";
    modem.operatorCode = "26201";
    EXPECT_EQ(formatNetwork(modem), "roaming on 26201");
    modem = {};
    EXPECT_EQ(formatNetwork(modem), "unknown");
    modem.registrationState = "searching";
    EXPECT_EQ(formatNetwork(modem), "searching");
}
