// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/diag_log_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "core/diag_hdlc.h"
#include "diag_frames.h"

namespace dialupd {
namespace {

using testing::Bytes;
using testing::concat;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DiagLogConfig, SetMaskLayout) {
    // Items 0x0c0 (192) and 0x0ec (236) of equipment id 0xb (LTE): 237 items, 30 mask bytes.
    const uint16_t codes[] = {0xb0c0, 0xb0ec};
    Bytes request = logConfigSetMaskRequest(codes);
    Bytes header = {0x73, 0, 0, 0,   // DIAG_LOG_CONFIG_F, padding
                    3,    0, 0, 0,   // SET_MASK
                    0x0b, 0, 0, 0,   // equipment id
                    237,  0, 0, 0};  // items covered
    ASSERT_EQ(request.size(), header.size() + 30);
    EXPECT_TRUE(std::equal(header.begin(), header.end(), request.begin()));
    Bytes mask(request.begin() + 16, request.end());
    Bytes expected(30, 0);
    expected[192 / 8] = 1 << (192 % 8);  // byte 24, bit 0
    expected[236 / 8] = 1 << (236 % 8);  // byte 29, bit 4
    EXPECT_EQ(mask, expected);
}

TEST(DiagLogConfig, SetMaskRefusesMixedOrNoCodes) {
    const uint16_t mixed[] = {0xb0c0, 0x713a};
    EXPECT_THROW(logConfigSetMaskRequest(mixed), std::invalid_argument);
    EXPECT_THROW(logConfigSetMaskRequest(std::span<const uint16_t>()), std::invalid_argument);
}

TEST(DiagLogConfig, DisableIsCommandAndOperationZero) {
    EXPECT_THAT(logConfigDisableRequest(), ElementsAre(0x73, 0, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ(disableLoggingCommand(), hdlcEncode(logConfigDisableRequest()));
}

TEST(DiagLogConfig, BuiltinMaskHasOneFramedCommandPerEquipmentId) {
    std::vector<Bytes> commands = builtinMaskCommands();
    ASSERT_EQ(commands.size(), 2u);  // UMTS (7) and LTE (0xb)
    std::vector<uint16_t> enabled;
    for (const Bytes& framed : commands) {
        Bytes request;
        ASSERT_TRUE(hdlcDecode(framed, request));
        ASSERT_GE(request.size(), 16u);
        EXPECT_EQ(request[0], 0x73);
        EXPECT_EQ(request[4], 3);
        unsigned equipment = request[8];
        unsigned items = request[12] | request[13] << 8;
        ASSERT_EQ(request.size(), 16 + (items + 7) / 8);
        for (unsigned item = 0; item < items; ++item)
            if (request[16 + item / 8] & (1 << (item % 8))) enabled.push_back(uint16_t(equipment << 12 | item));
    }
    EXPECT_THAT(enabled, ElementsAre(0x713a, 0xb0c0, 0xb0e2, 0xb0e3, 0xb0ec, 0xb0ed));
}

TEST(DiagLogConfig, ClassifiesReplies) {
    // The answer to SET_MASK: command, padding, operation, status 0, then the mask echoed.
    Bytes success = {0x73, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0, 0, 0};
    EXPECT_EQ(classifyDiagReply(success), DiagReply::LogConfigSuccess);
    Bytes failure = {0x73, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0};
    EXPECT_EQ(classifyDiagReply(failure), DiagReply::LogConfigFailure);
    EXPECT_EQ(classifyDiagReply(Bytes{0x73, 0, 0, 0, 3, 0, 0, 0}), DiagReply::Other);
    EXPECT_EQ(classifyDiagReply(Bytes{0x13, 0x73, 0, 0}), DiagReply::Refused);
    EXPECT_EQ(classifyDiagReply(Bytes{0x15}), DiagReply::Refused);
    EXPECT_EQ(classifyDiagReply(testing::logPacket(0xb0c0, 0, {1})), DiagReply::Other);
    EXPECT_EQ(classifyDiagReply(Bytes{}), DiagReply::Other);
}

TEST(DiagMaskFile, SplitsFramesVerbatim) {
    Bytes one = hdlcEncode(Bytes{0x1d});
    Bytes two = hdlcEncode(Bytes{0x73, 0x7e, 0, 0, 0, 0, 0, 0});  // an escaped byte inside
    MaskFile file = parseMaskFile(concat({{0x7e}, one, two}));
    ASSERT_EQ(file.error, MaskFileError::None) << describeMaskFileError(file);
    EXPECT_THAT(file.commands, ElementsAre(one, two));
}

TEST(DiagMaskFile, NamedErrors) {
    Bytes good = hdlcEncode(Bytes{0x1d});
    Bytes bad = hdlcEncode(Bytes{0x73, 0, 0, 0});
    bad[0] = 0x74;

    MaskFile file = parseMaskFile(concat({good, bad}));
    EXPECT_EQ(file.error, MaskFileError::BadFrame);
    EXPECT_EQ(file.errorFrame, 1u);
    EXPECT_EQ(file.errorOffset, good.size());
    EXPECT_TRUE(file.commands.empty());
    EXPECT_STREQ(maskFileErrorName(file.error), "bad-frame");
    EXPECT_THAT(describeMaskFileError(file), HasSubstr("frame 2 at byte 4"));

    EXPECT_EQ(parseMaskFile(Bytes{}).error, MaskFileError::Empty);
    EXPECT_EQ(parseMaskFile(Bytes{0x7e, 0x7e}).error, MaskFileError::Empty);
    file = parseMaskFile(concat({good, {0x0a}}));
    EXPECT_EQ(file.error, MaskFileError::Unterminated);
    EXPECT_EQ(file.errorOffset, good.size());
    EXPECT_EQ(parseMaskFile(Bytes(kMaxMaskFileSize + 1, 0x7e)).error, MaskFileError::TooLarge);
    EXPECT_EQ(parseMaskFile(hdlcEncode(Bytes(kDiagMaxFramePayload + 1, 0x01))).error, MaskFileError::FrameTooLarge);
    Bytes many;
    for (size_t i = 0; i <= kMaxMaskFileFrames; ++i) many.insert(many.end(), good.begin(), good.end());
    EXPECT_EQ(parseMaskFile(many).error, MaskFileError::TooManyFrames);
    EXPECT_EQ(parseMaskFile(Bytes{0x01, 0x7e}).error, MaskFileError::BadFrame);
}

}  // namespace
}  // namespace dialupd
