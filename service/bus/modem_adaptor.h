// SPDX-License-Identifier: GPL-2.0-or-later
// org.dialupd1.Modem on /org/dialupd1/modem/<id>: bus glue only; the logic is core/modem.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include "core/bus_names.h"
#include "core/modem.h"
#include "modem-adaptor.h"  // generated from dbus/org.dialupd1.Modem.xml

namespace dialupd {

class ModemAdaptor final : public sdbus::AdaptorInterfaces<org::dialupd1::Modem_adaptor, sdbus::ManagedObject_adaptor,
                                                           sdbus::Properties_adaptor>,
                           private ModemObserver {
public:
    // Registers the object and announces it (InterfacesAdded).
    ModemAdaptor(sdbus::IConnection& connection, Modem& modem);
    // Announces its removal (InterfacesRemoved) and unregisters.
    ~ModemAdaptor();

private:
    // org.dialupd1.Modem
    void Connect(sdbus::Result<>&& result, std::map<std::string, sdbus::Variant> options) override;
    void Disconnect(sdbus::Result<>&& result) override;
    void Reset(sdbus::Result<std::string, std::string>&& result) override;
    std::vector<sdbus::Struct<uint64_t, uint64_t, sdbus::Struct<uint32_t, std::string, std::string>, uint64_t, uint64_t,
                              bool, std::string>>
    GetCallLogs(const uint32_t& last) override;
    std::map<std::string, sdbus::Variant> GetStatistics() override;
    std::tuple<uint64_t, std::string, uint64_t, uint64_t, uint64_t> SaveDiagnosticLog() override;
    std::tuple<sdbus::UnixFd, uint64_t, uint64_t> OpenDiagnosticLog(const uint64_t& started_usec) override;
    uint64_t BytesIn() override;
    uint64_t BytesOut() override;
    std::string State() override;
    sdbus::Struct<uint32_t, std::string, std::string> LastExitReason() override;
    std::string Device() override;
    std::string AtPort() override;
    std::string Vendor() override;
    std::string Product() override;
    std::string Model() override;
    std::string UsbPath() override;
    std::string UsbSerial() override;
    std::string Interface() override;
    std::string IPv4Address() override;
    std::string PeerAddress() override;
    std::vector<std::string> Dns() override;
    std::string DnsBackend() override;
    bool DefaultRoute() override;
    uint32_t RouteMetric() override;
    std::vector<std::string> IPv6Addresses() override;
    uint64_t ConnectedSince() override;
    uint64_t LastCallDuration() override;
    uint64_t LastCallBytesIn() override;
    uint64_t LastCallBytesOut() override;
    uint32_t ReconnectAttempts() override;
    uint64_t NextReconnect() override;
    std::string SimState() override;
    std::string RegistrationState() override;
    std::string OperatorName() override;
    std::string OperatorCode() override;
    std::string AccessTechnology() override;
    uint32_t SignalQuality() override;
    std::map<std::string, sdbus::Variant> Signal() override;
    std::string Imei() override;
    std::string Iccid() override;

    // ModemObserver
    void modemPropertiesChanged(const std::vector<ModemProperty>& changed) override;
    void modemHangup(const ExitReason& reason, std::chrono::microseconds duration, const std::string& log) override;
    // LiveStatus (core/live_status.h): its own properties, unknown without one.
    void livePropertiesChanged(const std::vector<LiveField>& changed);
    const LiveState& live() const;

    Modem& modem_;
};

}  // namespace dialupd
