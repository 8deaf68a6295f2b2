// SPDX-License-Identifier: GPL-2.0-or-later
// What a module's lines say of its radio and identity: EC25 lines as the manual gives them,
// other modules' variants, garbage and fields out of range.
#include "core/radio_replies.h"

#include <gtest/gtest.h>

#include "core/text.h"

namespace dialupd {
namespace {

TEST(ParseCsq, ReadsRssiAndBerWithinTheirRanges) {
    ASSERT_TRUE(parseCsq("+CSQ: 24,99"));
    EXPECT_EQ(parseCsq("+CSQ: 24,99")->rssi, 24u);
    EXPECT_EQ(parseCsq("+CSQ: 24,99")->ber, 99u);
    EXPECT_EQ(parseCsq("+CSQ:31,0")->rssi, 31u);
    EXPECT_EQ(parseCsq("+CSQ: 99,99")->rssi, 99u);
    for (const char* bad : {"+CSQ: 32,99", "+CSQ: 98,99", "+CSQ: -1,99", "+CSQ: 24", "+CSQ: 24,8", "+CSQ: 24,99,1",
                            "+CSQ: x,99", "+CSQ: ", "CSQ: 24,99", "+CESQ: 24,99", "+CSQ: 1000000,99"})
        EXPECT_FALSE(parseCsq(bad)) << bad;
}

TEST(SignalQuality, IsModemManagersPercentOfRssi) {
    // ModemManager: MM_CLAMP_HIGH (quality, 31) * 100 / 31, and 99 "unknown".
    EXPECT_EQ(signalQualityFromCsq(0), 0u);
    EXPECT_EQ(signalQualityFromCsq(1), 3u);
    EXPECT_EQ(signalQualityFromCsq(15), 48u);
    EXPECT_EQ(signalQualityFromCsq(24), 77u);
    EXPECT_EQ(signalQualityFromCsq(31), 100u);
    EXPECT_FALSE(signalQualityFromCsq(99));
    EXPECT_EQ(rssiDbmFromCsq(0), -113);
    EXPECT_EQ(rssiDbmFromCsq(24), -65);
    EXPECT_EQ(rssiDbmFromCsq(31), -51);
    EXPECT_FALSE(rssiDbmFromCsq(99));
}

TEST(ParseQcsq, ReadsEachSystemModesValues) {
    std::optional<QcsqReport> lte = parseQcsq("+QCSQ: \"LTE\",-65,-95,154,-10");
    ASSERT_TRUE(lte);
    EXPECT_EQ(lte->sysmode, "LTE");
    EXPECT_EQ(lte->rssi, -65);
    EXPECT_EQ(lte->rsrp, -95);
    EXPECT_EQ(lte->sinr, 154);
    EXPECT_EQ(lte->rsrq, -10);
    std::optional<QcsqReport> wcdma = parseQcsq("+QCSQ: \"WCDMA\",-70,-80,-6");
    ASSERT_TRUE(wcdma);
    EXPECT_EQ(wcdma->rssi, -70);
    EXPECT_FALSE(wcdma->rsrp);
    std::optional<QcsqReport> none = parseQcsq("+QCSQ: \"NOSERVICE\"");
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->rssi);
    for (const char* bad :
         {"+QCSQ: LTE,-65,-95,154,-10", "+QCSQ: \"LTE\",-65,-95,154", "+QCSQ: \"LTE\",-65,-95,154,-10,1",
          "+QCSQ: \"LTE\",65,-95,154,-10", "+QCSQ: \"LTE\",-65,-95,999,-10", "+QCSQ: \"GSM\"", "+QCSQ: \"NOSERVICE\",1",
          "+QCSQ: \"LTE", "+QCSQ: ", "+CSQ: 24,99", "+QCSQ: \"AVERYLONGSYSTEMMODENAME\",-65"})
        EXPECT_FALSE(parseQcsq(bad)) << bad;
}

TEST(ParseCops, ReadsNameCodeAndTechnology) {
    std::optional<CopsReport> name = parseCops("+COPS: 0,0,\"Simulated Operator\",7");
    ASSERT_TRUE(name);
    EXPECT_EQ(name->format, 0u);
    EXPECT_EQ(name->oper, "Simulated Operator");
    EXPECT_EQ(name->act, 7u);
    std::optional<CopsReport> code = parseCops("+COPS: 0,2,\"26201\",7");
    ASSERT_TRUE(code);
    EXPECT_EQ(code->format, 2u);
    EXPECT_EQ(code->oper, "26201");
    std::optional<CopsReport> threeDigitMnc = parseCops("+COPS: 1,2,\"310410\"");
    ASSERT_TRUE(threeDigitMnc);
    EXPECT_EQ(threeDigitMnc->oper, "310410");
    EXPECT_FALSE(threeDigitMnc->act);
    std::optional<CopsReport> none = parseCops("+COPS: 0");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->oper, "");
    EXPECT_FALSE(none->format);
    std::optional<CopsReport> comma = parseCops("+COPS: 0,0,\"A, B\",2");
    ASSERT_TRUE(comma);
    EXPECT_EQ(comma->oper, "A, B");
    for (const char* bad :
         {"+COPS: 0,2,\"2620\",7", "+COPS: 0,2,\"26201x\",7", "+COPS: 0,0", "+COPS: 0,3,\"x\",7", "+COPS: 0,0,x,7",
          "+COPS: 0,0,\"x\",14", "+COPS: 5", "+COPS: (2,\"A\",\"A\",\"26201\",7),,(0-4),(0-2)", "+COPS: 0,0,\"x\",7,1",
          "+COPS: ", "+COPS: 0,0,\"open"})
        EXPECT_FALSE(parseCops(bad)) << bad;
}

TEST(ParseCops, BoundsAnOperatorNameShownToPeople) {
    std::string huge = "+COPS: 0,0,\"" + std::string(500, 'N') + "\",7";
    std::optional<CopsReport> cops = parseCops(huge);
    ASSERT_TRUE(cops);
    EXPECT_LE(cops->oper.size(), kMaxOperatorName);
    EXPECT_TRUE(cops->oper.ends_with("..."));
    std::optional<CopsReport> escaped = parseCops(
        "+COPS: 0,0,\"Op\x1b"
        "[2J\",7");
    ASSERT_TRUE(escaped);
    EXPECT_TRUE(isCleanText(escaped->oper));
}

TEST(ParseQnwinfo, ReadsTechnologyOperatorBandAndChannel) {
    std::optional<QnwinfoReport> info = parseQnwinfo("+QNWINFO: \"FDD LTE\",\"26201\",\"LTE BAND 3\",1300");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->act, "FDD LTE");
    EXPECT_EQ(info->oper, "26201");
    EXPECT_EQ(info->band, "LTE BAND 3");
    EXPECT_EQ(info->channel, 1300u);
    std::optional<QnwinfoReport> none = parseQnwinfo("+QNWINFO: No Service");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->act, "");
    for (const char* bad :
         {"+QNWINFO: \"FDD LTE\",\"26201\",\"LTE BAND 3\"", "+QNWINFO: FDD LTE,\"26201\",\"B3\",1300",
          "+QNWINFO: \"FDD LTE\",\"26201\",\"B3\",x", "+QNWINFO: ", "+QNWINFO: \"\",\"26201\",\"B3\",1"})
        EXPECT_FALSE(parseQnwinfo(bad)) << bad;
}

TEST(ParseQind, ReadsSignalAndTechnologyChanges) {
    auto csq = parseQind("+QIND: \"csq\",20,99");
    ASSERT_TRUE(csq);
    ASSERT_TRUE(std::holds_alternative<QindCsq>(*csq));
    EXPECT_EQ(std::get<QindCsq>(*csq).csq.rssi, 20u);
    auto tdscdma = parseQind("+QIND: \"csq\",150,99");  // -66 dBm
    ASSERT_TRUE(tdscdma);
    EXPECT_EQ(std::get<QindCsq>(*tdscdma).csq.rssi, 23u);
    auto act = parseQind("+QIND: \"act\",\"LTE\"");
    ASSERT_TRUE(act);
    ASSERT_TRUE(std::holds_alternative<QindAct>(*act));
    EXPECT_EQ(std::get<QindAct>(*act).act, "LTE");
    for (const char* bad :
         {"+QIND: \"csq\",50,99", "+QIND: \"csq\",20", "+QIND: \"csq\",200,99", "+QIND: \"act\",LTE", "+QIND: \"act\"",
          "+QIND: SMS DONE", "+QIND: PB DONE", "+QIND: \"FOTA\",\"START\"", "+QIND: "})
        EXPECT_FALSE(parseQind(bad)) << bad;
}

TEST(AccessTechnology, NamesAsModemManagerDoes) {
    EXPECT_EQ(accessTechnologyFromAct(0), "gsm");
    EXPECT_EQ(accessTechnologyFromAct(2), "umts");
    EXPECT_EQ(accessTechnologyFromAct(7), "lte");
    EXPECT_EQ(accessTechnologyFromAct(13), "5gnr");
    EXPECT_EQ(accessTechnologyFromAct(99), "");
    EXPECT_EQ(accessTechnologyFromQuectel("FDD LTE"), "lte");
    EXPECT_EQ(accessTechnologyFromQuectel("TDD LTE"), "lte");
    EXPECT_EQ(accessTechnologyFromQuectel("LTE"), "lte");
    EXPECT_EQ(accessTechnologyFromQuectel("WCDMA"), "umts");
    EXPECT_EQ(accessTechnologyFromQuectel("HSDPA&HSUPA"), "hspa");
    EXPECT_EQ(accessTechnologyFromQuectel("HSPA+"), "hspa-plus");
    EXPECT_EQ(accessTechnologyFromQuectel("NR5G-NSA"), "5gnr");
    EXPECT_EQ(accessTechnologyFromQuectel("UNKNOWN"), "");
    EXPECT_EQ(accessTechnologyFromQuectel(""), "");
}

TEST(ParseImei, TakesDigitsOnly) {
    EXPECT_EQ(parseImei("867698041234561"), "867698041234561");
    EXPECT_EQ(parseImei("+CGSN: 867698041234561"), "867698041234561");
    EXPECT_EQ(parseImei("+CGSN: \"867698041234561\""), "867698041234561");
    for (const char* bad : {"86769804123456x", "1234", "+CEREG: 1", "OK", "", "867698041234561234567"})
        EXPECT_FALSE(parseImei(bad)) << bad;
}

TEST(ParseIccid, TakesDigitsAndAPaddingF) {
    EXPECT_EQ(parseIccid("+QCCID: 89490200001234567890"), "89490200001234567890");
    EXPECT_EQ(parseIccid("+QCCID: 8949020000123456789F"), "8949020000123456789");
    EXPECT_EQ(parseIccid("+ICCID: 89490200001234567890"), "89490200001234567890");
    for (const char* bad : {"+QCCID: 8949", "+QCCID: 89490200001234567890123", "+QCCID: 894902000012345678x0",
                            "89490200001234567890", "+QCCID: "})
        EXPECT_FALSE(parseIccid(bad)) << bad;
}

}  // namespace
}  // namespace dialupd
