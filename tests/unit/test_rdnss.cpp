// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/rdnss.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace dialupd {
namespace {

using ::testing::ElementsAre;
using Bytes = std::vector<uint8_t>;

const Bytes kServer1 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53};
const Bytes kServer2 = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x54};

// An RDNSS option with a correct length field unless `lengthUnits` says otherwise.
Bytes rdnss(uint32_t lifetime, const std::vector<Bytes>& servers, int lengthUnits = -1) {
    Bytes option = {kNdOptionRdnss,   0, 0, 0, uint8_t(lifetime >> 24), uint8_t(lifetime >> 16), uint8_t(lifetime >> 8),
                    uint8_t(lifetime)};
    for (const Bytes& server : servers) option.insert(option.end(), server.begin(), server.end());
    option[1] = uint8_t(lengthUnits >= 0 ? lengthUnits : int(option.size() / 8));
    return option;
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes all;
    for (const Bytes& part : parts) all.insert(all.end(), part.begin(), part.end());
    return all;
}

// A prefix information option (type 3, 4 units) as an RA carries it.
const Bytes kPrefixOption = [] {
    Bytes option(32, 0);
    option[0] = 3;
    option[1] = 4;
    return option;
}();

TEST(Rdnss, OneServer) {
    auto parsed = parseRdnssOption(rdnss(1800, {kServer1}));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->lifetimeSeconds, 1800u);
    EXPECT_THAT(parsed->servers, ElementsAre("2001:db8::53"));
}

TEST(Rdnss, SeveralServersInOrder) {
    auto parsed = parseRdnssOption(rdnss(0xffffffff, {kServer2, kServer1}));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->lifetimeSeconds, 0xffffffffu);
    EXPECT_THAT(parsed->servers, ElementsAre("2001:db8:1::54", "2001:db8::53"));
}

TEST(Rdnss, LifetimeZeroIsReported) {
    auto parsed = parseRdnssOption(rdnss(0, {kServer1}));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->lifetimeSeconds, 0u);
    EXPECT_THAT(parsed->servers, ElementsAre("2001:db8::53"));
}

TEST(Rdnss, TruncatedOptionIsNotRead) {
    Bytes option = rdnss(1800, {kServer1, kServer2});
    for (size_t cut = 0; cut < option.size(); ++cut)
        EXPECT_FALSE(parseRdnssOption(std::span(option.data(), cut))) << "cut at " << cut;
}

TEST(Rdnss, WrongLengthsAreIgnored) {
    // Header only (no address), an even length (half an address), and lengths beyond the data.
    EXPECT_FALSE(parseRdnssOption(rdnss(1800, {}, 1)));
    Bytes even = rdnss(1800, {kServer1});
    even.resize(32);
    even[1] = 4;
    EXPECT_FALSE(parseRdnssOption(even));
    EXPECT_FALSE(parseRdnssOption(rdnss(1800, {kServer1}, 5)));
    EXPECT_FALSE(parseRdnssOption(rdnss(1800, {kServer1}, 255)));
    // A length of 0 would loop forever in a naive walk: it ends the walk.
    EXPECT_FALSE(parseRdnssOption(concat({rdnss(1800, {kServer1}, 0), rdnss(1800, {kServer2})})));
}

TEST(Rdnss, AMalformedRdnssDoesNotHideAGoodOneAfterIt) {
    Bytes headerOnly = rdnss(1800, {}, 1);
    auto parsed = parseRdnssOption(concat({headerOnly, rdnss(60, {kServer2})}));
    ASSERT_TRUE(parsed);
    EXPECT_THAT(parsed->servers, ElementsAre("2001:db8:1::54"));
}

TEST(Rdnss, OtherOptionTypesAreSkipped) {
    EXPECT_FALSE(parseRdnssOption(kPrefixOption));
    auto parsed = parseRdnssOption(concat({kPrefixOption, rdnss(600, {kServer1}), kPrefixOption}));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->lifetimeSeconds, 600u);
    EXPECT_THAT(parsed->servers, ElementsAre("2001:db8::53"));
    // Type 24 (route information) with an RDNSS-shaped body is not RDNSS.
    Bytes notRdnss = rdnss(600, {kServer1});
    notRdnss[0] = 24;
    EXPECT_FALSE(parseRdnssOption(notRdnss));
}

TEST(Rdnss, NothingGivesNothing) {
    EXPECT_FALSE(parseRdnssOption({}));
    EXPECT_FALSE(parseRdnssOption(Bytes{kNdOptionRdnss}));
}

}  // namespace
}  // namespace dialupd
