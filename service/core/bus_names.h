// SPDX-License-Identifier: GPL-2.0-or-later
// The names under which dialupd is found on the system bus, in one place for the daemon and
// dialupctl alike (like systemd's bus-common-errors.h): a name spelled twice drifts. Plain
// strings, no sdbus types, so the client (which links only the core's text sanitizer) and the
// core can both include it. The interface name is also in dbus/org.dialupd1.Modem.xml, from
// which the glue is generated: the adaptor checks at compile time that the two agree, and the
// D-Bus policy (dbus/org.dialupd1.conf.in) names the bus name and the interface for dbus-daemon.
#pragma once

namespace dialupd {

inline constexpr const char* kBusName = "org.dialupd1";
inline constexpr const char* kRootPath = "/org/dialupd1";                // the ObjectManager
inline constexpr const char* kModemPathPrefix = "/org/dialupd1/modem/";  // + the modem's id
inline constexpr const char* kModemInterface = "org.dialupd1.Modem";

// Every error dialupd returns over D-Bus. The core throws dialupd::Error (core/errors.h) with
// one of these; clients map them to exit statuses (client/exit_status.cpp).
namespace error_name {
inline constexpr const char* kInvalidArgument = "org.dialupd1.Error.InvalidArgument";
inline constexpr const char* kAlreadyConnected = "org.dialupd1.Error.AlreadyConnected";
inline constexpr const char* kNotConnected = "org.dialupd1.Error.NotConnected";
inline constexpr const char* kBusy = "org.dialupd1.Error.Busy";
inline constexpr const char* kUnavailable = "org.dialupd1.Error.Unavailable";
inline constexpr const char* kSpawnFailed = "org.dialupd1.Error.SpawnFailed";
inline constexpr const char* kCallFailed = "org.dialupd1.Error.CallFailed";
inline constexpr const char* kCancelled = "org.dialupd1.Error.Cancelled";
inline constexpr const char* kRecoveryFailed = "org.dialupd1.Error.RecoveryFailed";
// Before the dial (core/readiness.h): the SIM, the network, the APN.
inline constexpr const char* kSimPinRequired = "org.dialupd1.Error.SimPinRequired";  // locked, no PIN given
inline constexpr const char* kSimPinRejected = "org.dialupd1.Error.SimPinRejected";  // refused, or not risked
inline constexpr const char* kSimPukRequired = "org.dialupd1.Error.SimPukRequired";
inline constexpr const char* kSimMissing = "org.dialupd1.Error.SimMissing";  // none, or none usable
inline constexpr const char* kRegistrationDenied = "org.dialupd1.Error.RegistrationDenied";
inline constexpr const char* kRoamingNotAllowed = "org.dialupd1.Error.RoamingNotAllowed";
inline constexpr const char* kNotRegistered = "org.dialupd1.Error.NotRegistered";  // registration-timeout passed
inline constexpr const char* kApnRequired = "org.dialupd1.Error.ApnRequired";      // none given, none in the database
// The modem's data-limit is reached for this data period (core/modem_counters.h).
inline constexpr const char* kDataLimitReached = "org.dialupd1.Error.DataLimitReached";
// The DM log (dm-log = yes, core/dm_log_files.h): SaveDiagnosticLog and OpenDiagnosticLog.
inline constexpr const char* kDiagnosticLogOff = "org.dialupd1.Error.DiagnosticLogOff";  // dm-log is not on
inline constexpr const char* kNoDiagnosticLog = "org.dialupd1.Error.NoDiagnosticLog";    // nothing recorded or kept
inline constexpr const char* kNoSuchCall = "org.dialupd1.Error.NoSuchCall";              // no kept call started then
inline constexpr const char* kSaveFailed = "org.dialupd1.Error.SaveFailed";  // the file could not be written
inline constexpr const char* kInternal = "org.dialupd1.Error.Internal";
}  // namespace error_name

}  // namespace dialupd
