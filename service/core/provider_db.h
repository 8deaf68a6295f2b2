// SPDX-License-Identifier: GPL-2.0-or-later
// The APN for a SIM, from mobile-broadband-provider-info (the Debian package NetworkManager and
// ModemManager read): serviceproviders.xml lists providers with the networks (<network-id
// mcc mnc>) they run on and the APNs (<apn value>) they offer. The core parses the text; the
// file is read on the system side (sys/provider_db_file.h), so the core stays free of fds.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dialupd {

inline constexpr const char* kProviderDatabasePath = "/usr/share/mobile-broadband-provider-info/serviceproviders.xml";

struct ProviderApn {
    std::string provider;  // the provider's first <name>: "T-Mobile(Telekom)"
    std::string mcc;       // the network that matched: "262"
    std::string mnc;       // "01"
    std::string apn;       // <apn value>
    std::string apnName;   // the APN entry's own <name> ("" when none): "Default dualstack"
    std::string username;  // "" when the database gives none
    std::string password;  // "" when the database gives none (not a secret: a public database)
};

// The database text is not XML, or not this database's format.
class ProviderDatabaseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The APN for `imsi` in the database text `xml`: the networks whose MCC is the IMSI's first 3
// digits and whose MNC (2 or 3 digits) follows it; a 3-digit MNC match wins over a 2-digit one
// (the IMSI does not say how long its MNC is). Of the matching providers, in the file's order,
// the first <apn> meant for the internet: with <usage type="internet"/>, or with no <usage> at
// all (NetworkManager takes those too). nullopt when nothing matches (or the IMSI is not one).
// Throws ProviderDatabaseError for text that is not well-formed XML of <serviceproviders>.
std::optional<ProviderApn> findProviderApn(std::string_view xml, std::string_view imsi);

// The lookup the readiness checks use: the file on the system, a table in tests.
class ProviderDatabase {
public:
    virtual ~ProviderDatabase() = default;
    // As findProviderApn; throws ProviderDatabaseError also when the database cannot be read.
    virtual std::optional<ProviderApn> findApn(std::string_view imsi) = 0;
    // Where it comes from, for the call log: the file's path.
    virtual std::string source() const = 0;
};

// One line for the call log: "internet.telekom (Default dualstack) of T-Mobile(Telekom), MCC 262
// MNC 01, user t-mobile, with a password". The password itself is not in it.
std::string describe(const ProviderApn& entry);

}  // namespace dialupd
