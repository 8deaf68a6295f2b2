// SPDX-License-Identifier: GPL-2.0-or-later
// Modems from udev's ttys: grouping, model table, ids, removal and re-plug, config matches.
#include "core/modem_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <set>

#include <fmt/format.h>

#include "core/text.h"
#include "fakes.h"
#include "transition_watch.h"

namespace dialupd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;
using testing::FakeDeviceSource;
using testing::FakeModule;
using testing::FakePppdRunner;
using testing::FakeScheduler;
using testing::usbTty;

// Records what the D-Bus side would see: objects coming and going, properties and hangups.
struct BusSide final : ModemRegistryListener, ModemObserver {
    void modemAdded(Modem& modem) override {
        events.push_back("added " + modem.id());
        modem.setObserver(this);
        current = &modem;
    }
    void modemRemoved(Modem& modem) override {
        events.push_back("removed " + modem.id());
        modem.setObserver(nullptr);
    }
    void modemPropertiesChanged(const std::vector<ModemProperty>& changed) override {
        for (ModemProperty property : changed) {
            if (property == ModemProperty::AtPort) events.push_back("AtPort " + current->atPort());
            if (property == ModemProperty::State) events.push_back("State " + std::string(toString(current->state())));
        }
    }
    void modemHangup(const ExitReason& reason, std::chrono::microseconds, const std::string& log) override {
        events.push_back("Hangup " + std::to_string(reason.code) + " " + reason.description);
        lastLog = log;
    }
    std::vector<std::string> events;
    std::string lastLog;
    Modem* current = nullptr;
};

class ModemRegistryTest : public ::testing::Test {
protected:
    ModemRegistryTest() {
        config.daemon.pluginPath = "/usr/lib/pppd/2.4.9/dialupd-pppd-plugin.so";
        config.daemon.runtimeDir = "/run/dialupd-test";
    }
    ModemRegistry& registry() {
        if (!registry_) {
            registry_ = std::make_unique<ModemRegistry>(
                config, runner, scheduler, [](const std::string&) { return true; }, bus);
            registry_->addConfiguredModems();
            devices.start(*registry_);
        }
        return *registry_;
    }
    std::vector<std::string> ids() {
        std::vector<std::string> out;
        for (Modem* modem : registry().modems()) out.push_back(modem->id());
        return out;
    }
    Modem& only() {
        auto modems = registry().modems();
        EXPECT_EQ(modems.size(), 1u);
        return *modems.at(0);
    }

    Config config;
    FakeScheduler scheduler;
    FakePppdRunner runner;
    FakeDeviceSource devices;
    BusSide bus;
    testing::TransitionWatch transitions;  // every state change checked against the table
    std::unique_ptr<ModemRegistry> registry_;
};

TEST_F(ModemRegistryTest, AnEc25BecomesOneModemWithItsPortsAndIdentity) {
    devices.present = {
        usbTty("1-1.2", "00", "2c7c", "0125", "EC25SERIAL1"), usbTty("1-1.2", "01", "2c7c", "0125", "EC25SERIAL1"),
        usbTty("1-1.2", "02", "2c7c", "0125", "EC25SERIAL1"), usbTty("1-1.2", "03", "2c7c", "0125", "EC25SERIAL1"),
        usbTty("1-1.2", "04", "2c7c", "0125", "EC25SERIAL1")};
    registry();
    Modem& modem = only();
    EXPECT_EQ(modem.id(), "ec25_EC25SERIAL1");
    EXPECT_EQ(modem.device(), "/dev/ttyUSB1-1.2.03");
    EXPECT_EQ(modem.atPort(), "/dev/ttyUSB1-1.2.02");
    EXPECT_EQ(modem.config().dmPort, "/dev/ttyUSB1-1.2.00");  // the DIAG port, for dm-log
    EXPECT_EQ(modem.usb().vendorId, "2c7c");
    EXPECT_EQ(modem.usb().productId, "0125");
    EXPECT_EQ(modem.usb().model, "EC25");
    EXPECT_EQ(modem.usb().portPath, "1-1.2");
    EXPECT_EQ(modem.usb().serial, "EC25SERIAL1");
    EXPECT_EQ(modem.state(), ModemState::Disconnected);
    EXPECT_THAT(bus.events, ElementsAre("added ec25_EC25SERIAL1"));
}

TEST_F(ModemRegistryTest, AnAtPortThatComesLaterIsPublished) {
    registry();
    devices.add(usbTty("1-1", "03"));
    EXPECT_EQ(only().atPort(), "");
    devices.add(usbTty("1-1", "02"));
    EXPECT_EQ(only().atPort(), "/dev/ttyUSB1-1.02");
    devices.remove(usbTty("1-1", "02").sysPath);
    EXPECT_EQ(only().atPort(), "");
    EXPECT_THAT(bus.events, ElementsAre("added ec25_usb1_1", "AtPort /dev/ttyUSB1-1.02", "AtPort "));
}

TEST_F(ModemRegistryTest, ADmPortThatComesAndGoesIsFollowed) {
    registry();
    devices.add(usbTty("1-1", "03"));
    EXPECT_EQ(only().config().dmPort, "");
    devices.add(usbTty("1-1", "00"));
    EXPECT_EQ(only().config().dmPort, "/dev/ttyUSB1-1.00");
    devices.remove(usbTty("1-1", "00").sysPath);
    EXPECT_EQ(only().config().dmPort, "");
}

TEST_F(ModemRegistryTest, ATtyReportedTwiceIsOneModem) {
    // The start-up race: enumeration and a queued add event both report the same tty.
    devices.present = {usbTty("1-1", "03"), usbTty("1-1", "02")};
    registry();
    devices.add(usbTty("1-1", "03"));
    devices.add(usbTty("1-1", "02"));
    EXPECT_THAT(ids(), ElementsAre("ec25_usb1_1"));
    EXPECT_THAT(bus.events, ElementsAre("added ec25_usb1_1", "AtPort /dev/ttyUSB1-1.02"));
}

TEST_F(ModemRegistryTest, UnknownDevicesAndOtherInterfacesAreIgnored) {
    registry();
    devices.add(usbTty("1-1", "03", "1234", "5678"));  // unknown VID:PID
    devices.add(usbTty("1-2", "03", "2c7c", "6026"));  // EC200T: layout not in the table
    devices.add(usbTty("1-3", "00"));                  // DM port of an EC25
    devices.add(usbTty("1-3", "01"));                  // NMEA
    devices.add(usbTty("1-3", "04"));
    devices.add(usbTty("1-3", "02"));  // AT port alone is not a modem yet
    devices.add({"/sys/devices/platform/serial8250/tty/ttyS0", "/dev/ttyS0", "", "", "", "", "", ""});
    EXPECT_THAT(ids(), IsEmpty());
    EXPECT_THAT(bus.events, IsEmpty());
}

TEST_F(ModemRegistryTest, MissingOrMalformedAttributesAreIgnored) {
    registry();
    for (TtyDevice tty :
         {usbTty("1-1", "03", "", "0125"), usbTty("1-1", "03", "2c7c", ""), usbTty("1-1", "03", "zz7c", "0125"),
          usbTty("1-1", "03", "2c7c", "0125\n"), usbTty("1-1", "", "2c7c", "0125"), usbTty("1-1", "3", "2c7c", "0125"),
          usbTty("1-1", "0x", "2c7c", "0125")})
        devices.add(tty);
    TtyDevice noNode = usbTty("1-1", "03");
    noNode.devNode = "";
    devices.add(noNode);
    EXPECT_THAT(ids(), IsEmpty());
    devices.remove("/sys/devices/never/seen");  // harmless
    EXPECT_THAT(bus.events, IsEmpty());
}

TEST_F(ModemRegistryTest, SeveralModemsComeAndGoIndependently) {
    registry();
    devices.add(usbTty("1-1", "03", "2c7c", "0125", "A1"));
    devices.add(usbTty("1-2", "03", "2c7c", "0296", "B2"));
    devices.add(usbTty("2-1", "03", "05c6", "9215"));
    EXPECT_THAT(ids(), ElementsAre("ec25_A1", "bg96_B2", "ec20_usb2_1"));
    devices.remove(usbTty("1-2", "03", "2c7c", "0296", "B2").sysPath);
    scheduler.runDeferred();
    EXPECT_THAT(ids(), ElementsAre("ec25_A1", "ec20_usb2_1"));
    EXPECT_EQ(bus.events.back(), "removed bg96_B2");
}

TEST_F(ModemRegistryTest, SerialsAreEscapedAndTwinsFallBackToThePortPath) {
    registry();
    devices.add(usbTty("1-1", "03", "2c7c", "0125", "0123-45 67_"));
    devices.add(usbTty("1-2", "03", "2c7c", "0125", "0123-45 67_"));
    EXPECT_THAT(ids(), ElementsAre("ec25_0123_2d45_2067_5f", "ec25_usb1_2"));
}

TEST_F(ModemRegistryTest, AnIdleModemUnpluggedGoesAwayAndComesBackUnderItsId) {
    registry();
    devices.add(usbTty("1-1", "03", "2c7c", "0125", "S1"));
    devices.remove(usbTty("1-1", "03", "2c7c", "0125", "S1").sysPath);
    scheduler.runDeferred();
    EXPECT_THAT(ids(), IsEmpty());
    devices.add(usbTty("3-4", "03", "2c7c", "0125", "S1"));  // another port, same serial
    EXPECT_THAT(ids(), ElementsAre("ec25_S1"));
    EXPECT_EQ(only().state(), ModemState::Disconnected);
    EXPECT_THAT(bus.events, ElementsAre("added ec25_S1", "State unavailable", "removed ec25_S1", "added ec25_S1"));
}

// AT+CFUN=1,1 restarts the module: its ttys go and come back, and the object must stay
// through it.
class ReenumerationTest : public ModemRegistryTest {
protected:
    void plug(const std::string& port) {
        devices.add(usbTty(port, "02", "2c7c", "0125", "S1"));
        devices.add(usbTty(port, "03", "2c7c", "0125", "S1"));
    }
    void unplug(const std::string& port) {
        devices.remove(usbTty(port, "03", "2c7c", "0125", "S1").sysPath);
        devices.remove(usbTty(port, "02", "2c7c", "0125", "S1").sysPath);
        scheduler.runDeferred();
    }
    // `module` plays the EC25 behind whichever names it has at the time.
    void resetStuckModule() {
        registry_ = std::make_unique<ModemRegistry>(
            config, runner, scheduler, [](const std::string&) { return true; }, bus);
        ModemServices services;
        services.atPorts = &module;
        services.usbResetter = &module;
        registry_->setModemServices(services);
        devices.start(*registry_);
        plug("1-1");
        module.stuck = true;
        module.escapeWorks = false;
        only().reset([this](const Error* error, const ResetResult& result) {
            resetError = error ? error->name() : "none";
            recoveredBy = result.recoveredBy;
        });
        scheduler.advanceInSteps(5s);  // probe and escape fail, AT+CFUN=1,1 is sent
        ASSERT_THAT(module.log, ::testing::Contains("/dev/ttyUSB1-1.02 AT+CFUN=1,1"));
    }
    FakeModule module{scheduler, "/dev/ttyUSB1-1.03", "/dev/ttyUSB1-1.02"};
    std::string resetError;
    std::string recoveredBy;
};

TEST_F(ReenumerationTest, TheModemKeepsItsObjectWhileItsModuleRestarts) {
    resetStuckModule();
    unplug("1-1");
    EXPECT_THAT(ids(), ElementsAre("ec25_S1"));
    EXPECT_EQ(only().state(), ModemState::Resetting);
    scheduler.advanceInSteps(3s);
    plug("1-1");
    scheduler.advanceInSteps(5s);
    EXPECT_EQ(resetError, "none");
    EXPECT_EQ(recoveredBy, "reboot");
    EXPECT_THAT(ids(), ElementsAre("ec25_S1"));
    EXPECT_EQ(only().state(), ModemState::Disconnected);
    // No InterfacesRemoved/Added in between; the ports came back under the same names.
    EXPECT_THAT(bus.events, ElementsAre("added ec25_S1", "State resetting", "State disconnected"));
    unplug("1-1");  // an ordinary unplug afterwards still removes it
    EXPECT_THAT(ids(), IsEmpty());
}

TEST_F(ReenumerationTest, TheTtyMayAnswerBeforeUdevAnnouncesItAgain) {
    resetStuckModule();
    unplug("1-1");
    scheduler.advanceInSteps(8s);  // the module answers on its old node: recovered, still detached
    EXPECT_EQ(recoveredBy, "reboot");
    EXPECT_THAT(ids(), ElementsAre("ec25_S1"));
    plug("1-1");  // udev's add, late
    scheduler.advanceInSteps(20s);
    EXPECT_THAT(ids(), ElementsAre("ec25_S1"));
    EXPECT_EQ(std::count(bus.events.begin(), bus.events.end(), "removed ec25_S1"), 0);
}

TEST_F(ReenumerationTest, RecoveredButNeverAnnouncedAgainIsRemovedAfterAGrace) {
    resetStuckModule();
    unplug("1-1");
    scheduler.advanceInSteps(8s);
    EXPECT_EQ(recoveredBy, "reboot");
    scheduler.advanceInSteps(11s);
    EXPECT_THAT(ids(), IsEmpty());
}

TEST_F(ReenumerationTest, AModuleThatNeverComesBackIsRemovedWhenTheRecoveryGivesUp) {
    module.restartTime = 1000s;
    module.usbResetWorks = false;
    resetStuckModule();
    unplug("1-1");
    scheduler.advanceInSteps(120s, 100ms);
    EXPECT_EQ(resetError, error_name::kRecoveryFailed);
    EXPECT_THAT(ids(), IsEmpty());
    EXPECT_EQ(bus.events.back(), "removed ec25_S1");
}

TEST_F(ModemRegistryTest, UnpluggedMidCallTheCallEndsAsAHangupThenTheObjectGoes) {
    registry();
    devices.add(usbTty("1-1", "03", "2c7c", "0125", "S1"));
    only().connect({}, false, [](const Error*) {});
    runner.ipUp({"ppp0", "10.0.0.2", "10.0.0.1", {}});
    bus.events.clear();

    devices.remove(usbTty("1-1", "03", "2c7c", "0125", "S1").sysPath);
    EXPECT_THAT(ids(), ElementsAre("ec25_S1"));  // still there while pppd runs
    runner.exitWith(16);                         // pppd saw the tty hang up
    scheduler.runDeferred();
    EXPECT_THAT(bus.events, ElementsAre("State unavailable",
                                        "Hangup 16 the modem was removed (its USB device went away) during the call",
                                        "removed ec25_S1"));
    EXPECT_THAT(bus.lastLog, HasSubstr("was removed during the call"));
    EXPECT_THAT(ids(), IsEmpty());
}

TEST_F(ModemRegistryTest, TheObjectGoesOnlyAfterTheHangupWithItsSnapshot) {
    testing::FakeAtPort atPort(scheduler);
    atPort.openError = AtPortError(AtPortError::Kind::Absent, "/dev/ttyUSB1-1.02: No such file or directory");
    registry_ = std::make_unique<ModemRegistry>(
        config, runner, scheduler, [](const std::string&) { return true; }, bus);
    ModemServices services;
    services.atPorts = &atPort;
    registry_->setModemServices(services);
    devices.start(*registry_);
    devices.add(usbTty("1-1", "02"));
    devices.add(usbTty("1-1", "03"));
    only().connect({}, false, [](const Error*) {});
    devices.remove(usbTty("1-1", "03").sysPath);  // the modem port goes first, the AT port is still listed
    runner.exitWith(16);
    EXPECT_EQ(bus.events.back(), "State unavailable");  // the Hangup waits for the snapshot
    scheduler.runDeferred();
    scheduler.runDeferred();
    ASSERT_GE(bus.events.size(), 2u);
    EXPECT_THAT(bus.events[bus.events.size() - 2], HasSubstr("Hangup 16"));
    EXPECT_EQ(bus.events.back(), "removed ec25_usb1_1");
    EXPECT_THAT(bus.lastLog, HasSubstr("AT port absent: /dev/ttyUSB1-1.02: No such file or directory"));
}

TEST_F(ModemRegistryTest, APppdThatIgnoresTheUnplugIsStoppedAndStillReportsTheUnplug) {
    registry();
    devices.add(usbTty("1-1", "03"));
    only().connect({}, false, [](const Error*) {});
    devices.remove(usbTty("1-1", "03").sysPath);
    scheduler.advance(1900ms);
    EXPECT_THAT(runner.live()->signals, IsEmpty());
    scheduler.advance(200ms);
    EXPECT_THAT(runner.live()->signals, ElementsAre(SIGTERM));
    runner.exitWith(5);  // our SIGTERM
    scheduler.runDeferred();
    EXPECT_THAT(bus.events, ::testing::Contains(HasSubstr("Hangup 16 the modem was removed")));
    EXPECT_THAT(bus.lastLog, HasSubstr("pppd's own status was 5 user-request"));
    EXPECT_THAT(ids(), IsEmpty());
}

TEST_F(ModemRegistryTest, ARequestedDisconnectBeforeTheUnplugIsNoHangup) {
    registry();
    devices.add(usbTty("1-1", "03"));
    only().connect({}, false, [](const Error*) {});
    only().disconnect([](const Error*) {});
    devices.remove(usbTty("1-1", "03").sysPath);
    runner.exitWith(5);
    scheduler.runDeferred();
    EXPECT_THAT(bus.events, ::testing::Not(::testing::Contains(HasSubstr("Hangup"))));
    EXPECT_EQ(bus.events.back(), "removed ec25_usb1_1");
}

TEST_F(ModemRegistryTest, ReplugWhileTheOldCallEndsWaitsForTheOldObject) {
    registry();
    devices.add(usbTty("1-1", "03", "2c7c", "0125", "S1"));
    only().connect({}, false, [](const Error*) {});
    devices.remove(usbTty("1-1", "03", "2c7c", "0125", "S1").sysPath);
    devices.add(usbTty("1-1", "03", "2c7c", "0125", "S1"));  // back before pppd has exited
    EXPECT_THAT(ids(), ElementsAre("ec25_S1"));
    EXPECT_TRUE(registry().modems()[0]->removed());
    runner.exitWith(16);
    scheduler.runDeferred();
    EXPECT_THAT(ids(), ElementsAre("ec25_S1"));
    EXPECT_FALSE(only().removed());
    EXPECT_EQ(only().state(), ModemState::Disconnected);
    EXPECT_EQ(only().lastExitReason().code, 0u);  // a fresh object
    EXPECT_EQ(bus.events.back(), "added ec25_S1");
}

TEST_F(ModemRegistryTest, AConfigSectionNamesAUsbModemBySerialAndDialsItOnArrival) {
    ModemConfig roof;
    roof.id = "roof";
    roof.matchUsbSerial = "S1";
    roof.autoconnect = true;
    roof.call.apn = "m2m.example";
    config.modems.push_back(roof);
    registry();
    EXPECT_TRUE(runner.launches.empty());  // not present: nothing to dial
    devices.add(usbTty("1-1", "02", "2c7c", "0125", "S1"));
    devices.add(usbTty("1-1", "03", "2c7c", "0125", "S1"));
    ASSERT_THAT(ids(), ElementsAre("roof"));
    ASSERT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(only().state(), ModemState::Connecting);
    EXPECT_EQ(only().device(), "/dev/ttyUSB1-1.03");
    EXPECT_THAT(runner.launches[0].chatScript, HasSubstr("m2m.example"));
}

// An autoconnect modem on USB port 1-4 is plugged in, dials at once, and that dial fails.
class AutoconnectTest : public ModemRegistryTest {
protected:
    void plugInAndFailTheDial(std::optional<bool> reconnect) {
        ModemConfig cellar;
        cellar.id = "cellar";
        cellar.matchUsbPath = "1-4";
        cellar.autoconnect = true;
        cellar.call.reconnect.enabled = reconnect;
        config.modems.push_back(cellar);
        registry();
        devices.add(usbTty("1-4", "03"));
        ASSERT_EQ(runner.launches.size(), 1u);
        runner.exitWith(8);
        scheduler.advance(60s);
    }
};

TEST_F(AutoconnectTest, RedialsUnlessToldNotTo) {
    plugInAndFailTheDial(std::nullopt);  // reconnect unset: an autoconnect modem keeps trying
    EXPECT_EQ(runner.launches.size(), 2u);
    EXPECT_EQ(only().state(), ModemState::Connecting);
}

TEST_F(AutoconnectTest, WithReconnectOffDialsOnlyOnArrival) {
    plugInAndFailTheDial(false);
    EXPECT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(only().state(), ModemState::Disconnected);
}

TEST_F(ModemRegistryTest, FixedPortModemsComeFromTheConfig) {
    ModemConfig uart;
    uart.id = "uart0";
    uart.device = "/dev/ttyS1";
    uart.autoconnect = true;
    config.modems.push_back(uart);
    ModemConfig usbSection;
    usbSection.id = "later";
    usbSection.matchUsbSerial = "X";
    config.modems.push_back(usbSection);
    registry();
    EXPECT_THAT(ids(), ElementsAre("uart0"));
    EXPECT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(only().usb().vendorId, "");
}

TEST_F(ModemRegistryTest, APortAlreadyConfiguredAsAFixedModemIsNotAddedTwice) {
    ModemConfig old;
    old.id = "legacy";
    old.device = "/dev/serial/by-id/usb-Quectel_EC25-if03-port0";
    config.modems.push_back(old);
    registry_ = std::make_unique<ModemRegistry>(
        config, runner, scheduler, [](const std::string&) { return true; }, bus,
        [](const std::string& path) {
            return path == "/dev/serial/by-id/usb-Quectel_EC25-if03-port0" ? std::string("/dev/ttyUSB1-1.03") : path;
        });
    registry_->addConfiguredModems();
    devices.start(*registry_);
    devices.add(usbTty("1-1", "03"));
    devices.add(usbTty("1-2", "03"));
    EXPECT_THAT(ids(), ElementsAre("legacy", "ec25_usb1_2"));
}

// The system's device nodes, as a test sets them.
struct FakeDeviceNodes final : DeviceNodes {
    void watch(const std::vector<std::string>& paths, std::function<void()> changed) override {
        watched = paths;
        this->changed = std::move(changed);
    }
    std::string problem(const std::string& path) const override {
        return present.count(path) ? "" : "No such file or directory";
    }
    std::set<std::string> present;
    std::vector<std::string> watched;
    std::function<void()> changed;
};

TEST_F(ModemRegistryTest, AFixedPortModemsStateFollowsItsNode) {
    ModemConfig uart;
    uart.id = "uart0";
    uart.device = "/dev/serial/by-id/uart0";
    config.modems.push_back(uart);
    ModemConfig usbSection;
    usbSection.id = "later";
    usbSection.matchUsbSerial = "X";
    config.modems.push_back(usbSection);
    FakeDeviceNodes nodes;
    registry_ = std::make_unique<ModemRegistry>(
        config, runner, scheduler, [&](const std::string& path) { return nodes.present.count(path) > 0; }, bus);
    registry_->setDeviceNodes(&nodes);
    registry_->addConfiguredModems();
    EXPECT_THAT(nodes.watched, ElementsAre("/dev/serial/by-id/uart0"));  // fixed ports only
    ASSERT_TRUE(nodes.changed);
    Modem& modem = only();
    EXPECT_EQ(modem.state(), ModemState::Unavailable);

    nodes.present.insert("/dev/serial/by-id/uart0");
    nodes.changed();
    EXPECT_EQ(modem.state(), ModemState::Disconnected);
    nodes.changed();  // nothing new: no second signal
    nodes.present.clear();
    nodes.changed();
    EXPECT_EQ(modem.state(), ModemState::Unavailable);
    EXPECT_THAT(bus.events, ElementsAre("added uart0", "State disconnected", "State unavailable"));
}

TEST_F(ModemRegistryTest, ANodeThatGoesDuringACallLeavesTheCallToPppd) {
    ModemConfig uart;
    uart.id = "uart0";
    uart.device = "/dev/ttyS1";
    config.modems.push_back(uart);
    FakeDeviceNodes nodes;
    nodes.present.insert("/dev/ttyS1");
    registry_ = std::make_unique<ModemRegistry>(
        config, runner, scheduler, [&](const std::string& path) { return nodes.present.count(path) > 0; }, bus);
    registry_->setDeviceNodes(&nodes);
    registry_->addConfiguredModems();
    Modem& modem = only();
    modem.connect({}, false, [](const Error*) {});
    EXPECT_EQ(modem.state(), ModemState::Connecting);
    nodes.present.clear();
    nodes.changed();
    EXPECT_EQ(modem.state(), ModemState::Connecting);
}

TEST_F(ModemRegistryTest, ConfigModelsExtendTheTable) {
    config.usbModels.push_back({0x2c7c, 0x6026, "EC200T", 5, 2, std::nullopt});
    registry();
    devices.add(usbTty("1-1", "05", "2c7c", "6026", "T1"));
    EXPECT_THAT(ids(), ElementsAre("ec200t_T1"));
}

TEST(UsbModemIds, PortPathIdsAreObjectPathSafe) {
    EXPECT_EQ(usbModemIdFromPortPath({"2c7c", "0125", "EC25", "1-1.4.2", ""}), "ec25_usb1_1_4_2");
    EXPECT_EQ(usbModemIdFromSerial({"2c7c", "0800", "RM500Q", "1-1", "ab:CD/é"}), "rm500q_ab_3aCD_2f_c3_a9");
}

bool isIdText(const std::string& id) {
    return !id.empty() && id.size() <= 64 &&
           id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos;
}

TEST(UsbModemIds, ALongSerialIsShortenedToAStableDistinctId) {
    // 126 '-' once escaped to a 383-character id: Connect then failed on "file name too long".
    UsbIdentity dashes{"2c7c", "0125", "EC25", "1-1", std::string(126, '-')};
    std::string id = usbModemIdFromSerial(dashes);
    EXPECT_TRUE(isIdText(id)) << id;
    // A readable beginning (whole escapes only), then the whole serial's FNV-1a 64 hash.
    EXPECT_EQ(
        id, "ec25_" + [] {
            std::string escapes;
            for (int i = 0; i < 14; ++i) escapes += "_2d";
            return escapes;
        }() + fmt::format("_{:016x}", stableHash(std::string(126, '-'))));
    EXPECT_EQ(usbModemIdFromSerial(dashes), id) << "the same on every plug";

    UsbIdentity longer = dashes;
    longer.serial += "-";
    EXPECT_NE(usbModemIdFromSerial(longer), id) << "serials that share their beginning differ";
    UsbIdentity plain{"2c7c", "0125", "EC25", "1-1", std::string(59, 'A')};
    EXPECT_EQ(usbModemIdFromSerial(plain), "ec25_" + std::string(59, 'A')) << "64 characters fit as they are";
    plain.serial += "B";
    EXPECT_EQ(usbModemIdFromSerial(plain).size(), 64u);
    EXPECT_EQ(usbModemIdFromSerial(plain).substr(0, 5 + 42 + 1), "ec25_" + std::string(42, 'A') + "_");
}

TEST(UsbModemIds, LongModelNamesAndPortPathsAreBoundedToo) {
    UsbIdentity odd{"2c7c", "0125", std::string(200, 'M'), std::string(300, '9'), ""};
    EXPECT_TRUE(isIdText(usbModemIdFromPortPath(odd))) << usbModemIdFromPortPath(odd);
    odd.serial = std::string(300, '\xff');
    EXPECT_TRUE(isIdText(usbModemIdFromSerial(odd))) << usbModemIdFromSerial(odd);
}

TEST_F(ModemRegistryTest, HostileUdevStringsAreSanitizedBeforeAnyoneSeesThem) {
    registry();
    const std::string serial = "SN\xef\xbf\xbe\x1b[31mRED\xc2\x9b\xff";
    TtyDevice at = usbTty("1-1", "02", "2c7c", "0125", serial);
    TtyDevice ppp = usbTty("1-1", "03", "2c7c", "0125", serial);
    for (TtyDevice* tty : {&at, &ppp}) tty->usbPortPath = "1-1\x1b]0;x\x07";
    devices.add(at);
    devices.add(ppp);
    Modem& modem = only();
    EXPECT_EQ(modem.usb().serial, "SN\\u{FFFE}\\x1b[31mRED\\u{009B}\\xff");
    EXPECT_EQ(modem.usb().portPath, "1-1\\x1b]0;x\\x07");
    EXPECT_TRUE(isIdText(modem.id())) << modem.id();
    EXPECT_EQ(modem.id(), usbModemIdFromSerial(modem.usb()));
    EXPECT_EQ(modem.atPort(), "/dev/ttyUSB1-1.02");
    // The remove comes with the same raw path: it must still find the tty.
    devices.remove(ppp.sysPath);
    scheduler.runDeferred();
    EXPECT_THAT(ids(), IsEmpty());
}

TEST_F(ModemRegistryTest, AConfiguredSerialWithControlCharactersStillMatches) {
    ModemConfig roof;
    roof.id = "roof";
    roof.matchUsbSerial = "R\x1b[1mOOF";
    config.modems.push_back(roof);
    registry();
    devices.add(usbTty("1-1", "03", "2c7c", "0125", "R\x1b[1mOOF"));
    EXPECT_THAT(ids(), ElementsAre("roof"));
    EXPECT_EQ(only().usb().serial, "R\\x1b[1mOOF");
}

TEST_F(ModemRegistryTest, AModemTheListenerCannotPublishIsDroppedNotKeptUnreachable) {
    struct Refusing final : ModemRegistryListener {
        void modemAdded(Modem& modem) override {
            ++tries;
            if (refuse) throw std::runtime_error("the bus said no to " + modem.id());
        }
        void modemRemoved(Modem&) override {}
        bool refuse = true;
        int tries = 0;
    } refusing;
    config.modems.push_back([] {
        ModemConfig fixed;
        fixed.id = "fixed";
        fixed.device = "/dev/ttyS1";
        fixed.autoconnect = true;
        return fixed;
    }());
    ModemRegistry registry(
        config, runner, scheduler, [](const std::string&) { return true; }, refusing);
    registry.addConfiguredModems();
    devices.start(registry);
    devices.add(usbTty("1-1", "03", "2c7c", "0125", "SN1"));
    EXPECT_TRUE(registry.modems().empty());
    EXPECT_TRUE(runner.launches.empty()) << "an unpublished modem must not dial";
    EXPECT_EQ(refusing.tries, 2);
    // Plugged in again, and the bus takes it this time.
    devices.remove(usbTty("1-1", "03").sysPath);
    refusing.refuse = false;
    devices.add(usbTty("1-1", "03", "2c7c", "0125", "SN1"));
    ASSERT_EQ(registry.modems().size(), 1u);
    EXPECT_EQ(registry.modems()[0]->id(), "ec25_SN1");
}

}  // namespace
}  // namespace dialupd
