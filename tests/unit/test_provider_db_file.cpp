// SPDX-License-Identifier: GPL-2.0-or-later
// The provider database as Debian installs it (mobile-broadband-provider-info, which
// tools/install-deps installs): a known network's APN, and how long a lookup takes.
#include "sys/provider_db_file.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace dialupd {
namespace {

TEST(ProviderDatabaseFile, FindsAKnownNetworkInTheInstalledDatabase) {
    ProviderDatabaseFile database;
    EXPECT_EQ(database.source(), "/usr/share/mobile-broadband-provider-info/serviceproviders.xml");
    // Telekom Deutschland, 262 01: its first internet APN in the 20230416 database.
    std::optional<ProviderApn> found = database.findApn("262011234567890");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->mcc, "262");
    EXPECT_EQ(found->mnc, "01");
    EXPECT_EQ(found->provider, "T-Mobile(Telekom)");
    EXPECT_EQ(found->apn, "internet.t-d1.de");
    // AT&T, a 3-digit MNC: 310 410.
    found = database.findApn("310410123456789");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->mnc, "410");
    // The test network 001 01 is in no database.
    EXPECT_EQ(database.findApn("001011234567890"), std::nullopt);
}

TEST(ProviderDatabaseFile, ALookupCostsAFewMilliseconds) {
    // Measured, not asserted (a loaded machine is slow): printed for docs and reports.
    ProviderDatabaseFile database;
    constexpr int kLookups = 20;
    auto began = std::chrono::steady_clock::now();
    for (int i = 0; i < kLookups; ++i) ASSERT_TRUE(database.findApn("262011234567890"));
    auto each = (std::chrono::steady_clock::now() - began) / kLookups;
    began = std::chrono::steady_clock::now();
    for (int i = 0; i < kLookups; ++i) ASSERT_FALSE(database.findApn("001011234567890"));  // the whole file
    auto eachMiss = (std::chrono::steady_clock::now() - began) / kLookups;
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    std::printf("provider database lookup: %.2f ms (hit), %.2f ms (miss, whole file); max RSS %ld KiB\n",
                std::chrono::duration<double, std::milli>(each).count(),
                std::chrono::duration<double, std::milli>(eachMiss).count(), usage.ru_maxrss);
}

TEST(ProviderDatabaseFile, AMissingOrBrokenFileIsANamedError) {
    ProviderDatabaseFile absent("/nonexistent/serviceproviders.xml");
    try {
        absent.findApn("262011234567890");
        FAIL() << "no error";
    } catch (const ProviderDatabaseError& error) {
        EXPECT_NE(std::string(error.what()).find("mobile-broadband-provider-info"), std::string::npos) << error.what();
    }
    std::filesystem::path broken = std::filesystem::temp_directory_path() / "dialupd-test-serviceproviders.xml";
    std::ofstream(broken) << "<serviceproviders><country>";
    EXPECT_THROW(ProviderDatabaseFile(broken.string()).findApn("262011234567890"), ProviderDatabaseError);
    std::filesystem::remove(broken);
    EXPECT_THROW(ProviderDatabaseFile("/usr/share").findApn("262011234567890"), ProviderDatabaseError);
}

}  // namespace
}  // namespace dialupd
