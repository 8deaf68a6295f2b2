// SPDX-License-Identifier: GPL-2.0-or-later
// The APN lookup over a small database in serviceproviders.xml's format: which network matches
// an IMSI (MNC of 2 or 3 digits, the longer winning), which APN is for the internet, what of the
// entry is kept, and text that is not the database.
#include "core/provider_db.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace dialupd {
namespace {

constexpr std::string_view kDatabase = R"(<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE serviceproviders SYSTEM "serviceproviders.2.dtd">
<serviceproviders format="2.0">
<country code="de">
	<provider>
		<name>Only MMS</name>
		<gsm>
			<network-id mcc="262" mnc="07"/>
			<apn value="mms.example">
				<usage type="mms"/>
			</apn>
		</gsm>
	</provider>
	<provider>
		<name>Telekom</name>
		<name xml:lang="en">Telekom in English</name>
		<gsm>
			<network-id mcc="262" mnc="01"/>
			<network-id mcc="262" mnc="06"/>
			<apn value="mms.telekom">
				<usage type="mms"/>
				<name>MMS</name>
			</apn>
			<apn value="internet.telekom">
				<plan type="postpaid"/>
				<usage type="internet"/>
				<name>Default dualstack</name>
				<username>t-mobile</username>
				<password>tm</password>
			</apn>
			<apn value="second.telekom">
				<usage type="internet"/>
			</apn>
		</gsm>
	</provider>
	<provider>
		<name>A reseller on the same network</name>
		<gsm>
			<network-id mcc="262" mnc="01"/>
			<apn value="reseller.example"/>
		</gsm>
	</provider>
	<provider>
		<name>No usage given</name>
		<gsm>
			<network-id mcc="262" mnc="07"/>
			<apn value="plain.example">
				<name>  Plain  </name>
			</apn>
		</gsm>
	</provider>
</country>
<country code="us">
	<provider>
		<name>Two digits</name>
		<gsm>
			<network-id mcc="310" mnc="26"/>
			<apn value="two.example"><usage type="internet"/></apn>
		</gsm>
	</provider>
	<provider>
		<name>Three digits</name>
		<gsm>
			<network-id mcc="310" mnc="260"/>
			<apn value="fast.example"><usage type="internet"/></apn>
		</gsm>
		<cdma>
			<sid value="1"/>
		</cdma>
	</provider>
	<provider>
		<name>CDMA only</name>
		<cdma><sid value="2"/></cdma>
	</provider>
</country>
</serviceproviders>
)";

TEST(ProviderDatabase, FindsTheFirstInternetApnOfTheNetwork) {
    std::optional<ProviderApn> found = findProviderApn(kDatabase, "262011234567890");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->provider, "Telekom");  // the first name, not the translation
    EXPECT_EQ(found->mcc, "262");
    EXPECT_EQ(found->mnc, "01");
    EXPECT_EQ(found->apn, "internet.telekom");  // not the MMS one before it
    EXPECT_EQ(found->apnName, "Default dualstack");
    EXPECT_EQ(found->username, "t-mobile");
    EXPECT_EQ(found->password, "tm");
    EXPECT_EQ(describe(*found),
              "internet.telekom (Default dualstack) of Telekom, MCC 262 MNC 01, user t-mobile, with a password");
    // The second network-id of the same provider.
    found = findProviderApn(kDatabase, "262069999999999");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->apn, "internet.telekom");
    EXPECT_EQ(found->mnc, "06");
}

TEST(ProviderDatabase, AnApnWithoutUsageIsForTheInternetAProviderWithOnlyMmsIsSkipped) {
    std::optional<ProviderApn> found = findProviderApn(kDatabase, "262071234567890");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->provider, "No usage given");
    EXPECT_EQ(found->apn, "plain.example");
    EXPECT_EQ(found->apnName, "Plain");
    EXPECT_EQ(found->username, "");
    EXPECT_EQ(found->password, "");
    EXPECT_EQ(describe(*found), "plain.example (Plain) of No usage given, MCC 262 MNC 07");
}

TEST(ProviderDatabase, AThreeDigitMncWinsOverATwoDigitOne) {
    // 310 260...: "26" and "260" both match; the 3-digit one, though later in the file, wins.
    std::optional<ProviderApn> found = findProviderApn(kDatabase, "310260123456789");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->provider, "Three digits");
    EXPECT_EQ(found->mnc, "260");
    EXPECT_EQ(found->apn, "fast.example");
    // 310 261...: only "26" matches.
    found = findProviderApn(kDatabase, "310261123456789");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->provider, "Two digits");
    EXPECT_EQ(found->mnc, "26");
}

TEST(ProviderDatabase, NoMatchIsNoApn) {
    EXPECT_EQ(findProviderApn(kDatabase, "001011234567890"), std::nullopt);  // the test network
    EXPECT_EQ(findProviderApn(kDatabase, "262021234567890"), std::nullopt);
    EXPECT_EQ(findProviderApn(kDatabase, "026201123456789"), std::nullopt);  // MCC is the first 3 digits
    // Not an IMSI.
    for (std::string_view imsi : {"", "26201", "26201x234567890", "2620112345678901"})
        EXPECT_EQ(findProviderApn(kDatabase, imsi), std::nullopt) << imsi;
}

TEST(ProviderDatabase, TextThatIsNotTheDatabaseIsAnError) {
    for (std::string_view text :
         {std::string_view(""), std::string_view("not xml"), std::string_view("<serviceproviders><country>"),
          std::string_view("<html><body>hello</body></html>"),
          std::string_view("<serviceproviders></country></serviceproviders>"),
          std::string_view("<serviceproviders>\0</serviceproviders>", 38)}) {
        EXPECT_THROW(findProviderApn(text, "262011234567890"), ProviderDatabaseError) << text;
    }
    // An empty database is one.
    EXPECT_EQ(findProviderApn("<serviceproviders format=\"2.0\"/>", "262011234567890"), std::nullopt);
}

TEST(ProviderDatabase, AnEntityBombIsRefusedNotExpanded) {
    std::string bomb = "<?xml version=\"1.0\"?><!DOCTYPE serviceproviders [<!ENTITY a \"aaaaaaaaaa\">";
    char previous = 'a';
    for (char name = 'b'; name <= 'k'; ++name, ++previous)
        bomb += fmt::format("<!ENTITY {} \"&{};&{};&{};&{};&{};&{};&{};&{};&{};&{};\">", name, previous, previous,
                            previous, previous, previous, previous, previous, previous, previous, previous);
    bomb +=
        "]><serviceproviders><country><provider><name>&k;</name><gsm><network-id mcc=\"262\" mnc=\"01\"/>"
        "<apn value=\"x\"/></gsm></provider></country></serviceproviders>";
    EXPECT_THROW(findProviderApn(bomb, "262011234567890"), ProviderDatabaseError);
}

}  // namespace
}  // namespace dialupd
