// SPDX-License-Identifier: GPL-2.0-or-later
// The model table and the sysfs spellings it is looked up with.
#include "core/usb_models.h"

#include <gtest/gtest.h>

namespace dialupd {
namespace {

TEST(UsbModels, KnownQuectelModulesUseInterfaceThreeForPppAndTwoForAt) {
    UsbModelTable table;
    for (auto [vendor, product, name] : {std::tuple{0x2c7c, 0x0125, "EC25"},
                                         {0x2c7c, 0x0121, "EC21"},
                                         {0x2c7c, 0x0191, "EG91"},
                                         {0x2c7c, 0x0195, "EG95"},
                                         {0x2c7c, 0x0296, "BG96"},
                                         {0x2c7c, 0x0306, "EG06"},
                                         {0x2c7c, 0x0800, "RM500Q"},
                                         {0x05c6, 0x9215, "EC20"}}) {
        const UsbModel* model = table.find(vendor, product);
        ASSERT_NE(model, nullptr) << name;
        EXPECT_EQ(model->name, name);
        EXPECT_EQ(model->pppInterface, 3) << name;
        EXPECT_EQ(model->atInterface, 2) << name;
        EXPECT_EQ(model->dmInterface, 0) << name;  // the DIAG port, for dm-log
    }
}

TEST(UsbModels, Ec200FamilyIsLeftOutRatherThanGuessed) {
    UsbModelTable table;
    EXPECT_EQ(table.find(0x2c7c, 0x6026), nullptr);
    EXPECT_EQ(table.find(0x2c7c, 0x0901), nullptr);
    EXPECT_EQ(table.find(0x2c7c, 0x6005), nullptr);
}

TEST(UsbModels, ConfigEntriesAddAndReplace) {
    UsbModelTable table(
        {{0x2c7c, 0x6026, "EC200T", 5, 2, std::nullopt}, {0x2c7c, 0x0125, "MyEC25", 4, std::nullopt, std::nullopt}});
    ASSERT_NE(table.find(0x2c7c, 0x6026), nullptr);
    EXPECT_EQ(table.find(0x2c7c, 0x6026)->pppInterface, 5);
    const UsbModel* replaced = table.find(0x2c7c, 0x0125);
    ASSERT_NE(replaced, nullptr);
    EXPECT_EQ(replaced->name, "MyEC25");
    EXPECT_FALSE(replaced->atInterface);
    EXPECT_EQ(table.models().size(), builtInUsbModels().size() + 1);
}

TEST(UsbModels, SysfsSpellings) {
    EXPECT_EQ(parseUsbId("2c7c"), 0x2c7c);
    EXPECT_EQ(parseUsbId("2C7C"), 0x2c7c);
    EXPECT_EQ(parseUsbId("0125"), 0x0125);
    for (const char* bad : {"", "2c7", "2c7c0", "0x12", "zzzz", "-123", " 2c7", "2c7\n"})
        EXPECT_FALSE(parseUsbId(bad)) << "'" << bad << "'";
    EXPECT_EQ(parseInterfaceNumber("03"), 3);
    EXPECT_EQ(parseInterfaceNumber("ff"), 255);
    for (const char* bad : {"", "3", "003", "x3", "3 "}) EXPECT_FALSE(parseInterfaceNumber(bad)) << "'" << bad << "'";
    EXPECT_EQ(parseVidPid("2c7c:0125"), (std::pair<uint16_t, uint16_t>{0x2c7c, 0x0125}));
    EXPECT_FALSE(parseVidPid("2c7c0125"));
    EXPECT_FALSE(parseVidPid("2c7c:"));
    EXPECT_EQ(formatUsbId(0x5c6), "05c6");
}

}  // namespace
}  // namespace dialupd
