// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/chat_script.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.h"

namespace dialupd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CallSettings withApn(std::string apn) {
    CallSettings settings;
    settings.apn = std::move(apn);
    return settings;
}

TEST(ChatScript, DialsLikeQuectelsScript) {
    std::string script = buildChatScript(withApn("internet"));
    EXPECT_THAT(script, HasSubstr("ABORT 'NO CARRIER'\n"));
    EXPECT_THAT(script, HasSubstr("ABORT 'ERROR'\n"));
    EXPECT_THAT(script, HasSubstr("TIMEOUT 30\n"));
    EXPECT_THAT(script, HasSubstr("OK 'AT+CGDCONT=1,\"IPV4V6\",\"internet\",,0,0'\n"));
    EXPECT_THAT(script, HasSubstr("OK ATD*99#\nCONNECT ''\n"));
    // The dial comes after the context is set.
    EXPECT_LT(script.find("CGDCONT"), script.find("ATD*99#"));
}

TEST(ChatScript, FirstEndsWhatADialCutShortLeftHalfTyped) {
    // A carriage return before the first AT ends a half-typed command line; the module's ERROR
    // for it must not abort the dial, so the ABORTs come after the first OK.
    std::string script = buildChatScript(withApn("internet"));
    EXPECT_THAT(script, HasSubstr("'' '\\rAT'\nOK ATE0\n"));
    EXPECT_LT(script.find("'\\rAT'"), script.find("ABORT"));
    EXPECT_LT(script.find("ABORT 'ERROR'"), script.find("ATI;"));
}

TEST(ChatScript, ThePdpTypeFollowsTheIpFamily) {
    CallSettings settings = withApn("internet");
    settings.ipFamily = IpFamily::Ipv4;
    EXPECT_THAT(buildChatScript(settings), HasSubstr("OK 'AT+CGDCONT=1,\"IP\",\"internet\",,0,0'\n"));
    settings.ipFamily = IpFamily::Ipv6;
    EXPECT_THAT(buildChatScript(settings), HasSubstr("OK 'AT+CGDCONT=1,\"IPV6\",\"internet\",,0,0'\n"));
    settings.ipFamily = IpFamily::Ipv4v6;
    EXPECT_THAT(buildChatScript(settings), HasSubstr("OK 'AT+CGDCONT=1,\"IPV4V6\",\"internet\",,0,0'\n"));
}

TEST(ChatScript, EmptyApnKeepsTheModemsStoredContext) {
    EXPECT_THAT(buildChatScript(withApn("")), Not(HasSubstr("CGDCONT")));
}

TEST(ChatScript, ApnWithQuotesCannotInjectChatCommands) {
    for (const char* hostile : {"x\" ABORT \"OK", "x' ABORT 'OK", "inter\nnet", "inter\rnet", "a\\c", "a^C", "a b",
                                "a\tb", "\xc3\xa9t\xc3\xa9"}) {
        try {
            buildChatScript(withApn(hostile));
            ADD_FAILURE() << "accepted apn: " << hostile;
        } catch (const Error& error) {
            EXPECT_STREQ(error.name(), error_name::kInvalidArgument) << hostile;
        }
    }
}

TEST(ChatScript, EveryLineHasAnExpectAndASendString) {
    std::string script = buildChatScript(withApn("web.op-1.example"));
    size_t lines = 0;
    for (size_t start = 0; start < script.size();) {
        size_t end = script.find('\n', start);
        ASSERT_NE(end, std::string::npos) << "script must end with a newline";
        std::string line = script.substr(start, end - start);
        EXPECT_NE(line.find(' '), std::string::npos) << line;
        ++lines;
        start = end + 1;
    }
    EXPECT_GE(lines, 10u);
}

TEST(CallSettings, ApnRules) {
    EXPECT_NO_THROW(validateApn("internet"));
    EXPECT_NO_THROW(validateApn("web.vodafone.de"));
    EXPECT_NO_THROW(validateApn("m2m_iot-1.example"));
    EXPECT_NO_THROW(validateApn(""));
    EXPECT_THROW(validateApn(std::string(101, 'a')), Error);
    EXPECT_THROW(validateApn(".internet"), Error);
    EXPECT_THROW(validateApn("internet."), Error);
    EXPECT_THROW(validateApn("a..b"), Error);
}

TEST(CallSettings, ErrorMessagesNameTheOffendingCharacter) {
    try {
        validateApn("inter\nnet");
        FAIL();
    } catch (const Error& error) {
        EXPECT_THAT(error.what(), HasSubstr("control character 0x0a"));
    }
}

TEST(CallSettings, UserAndPasswordRules) {
    EXPECT_NO_THROW(validateUser("alice@operator"));
    EXPECT_THROW(validateUser("alice\nbob"), Error);
    EXPECT_THROW(validateUser(std::string(256, 'u')), Error);
    EXPECT_NO_THROW(validatePassword("any \"thing' goes\\"));
    EXPECT_THROW(validatePassword(std::string(256, 'p')), Error);
    EXPECT_THROW(validatePassword(std::string("a\0b", 3)), Error);
}

TEST(CallSettings, PasswordErrorsNeverEchoThePassword) {
    std::string secret(300, 'Z');
    try {
        validatePassword(secret);
        FAIL();
    } catch (const Error& error) {
        EXPECT_THAT(error.what(), Not(HasSubstr("ZZZZ")));
    }
}

TEST(CallSettings, OverridesApplyAndAreValidated) {
    CallSettings base;
    CallOverrides overrides;
    overrides.apn = "other";
    overrides.user = "bob";
    EXPECT_FALSE(applyOverrides(base, CallOverrides{}).apnGiven);
    CallSettings merged = applyOverrides(base, overrides);
    EXPECT_EQ(merged.apn, "other");
    EXPECT_TRUE(merged.apnGiven);
    EXPECT_EQ(merged.user, "bob");
    overrides.apn = "bad\"apn";
    EXPECT_THROW(applyOverrides(base, overrides), Error);
}

TEST(CallSettings, APinOverrideIsValidatedWithoutBeingRepeated) {
    CallOverrides overrides;
    overrides.pin = Secret("0042");
    EXPECT_EQ(applyOverrides(CallSettings{}, overrides).pin.value(), "0042");
    EXPECT_TRUE(CallSettings{}.pin.empty());
    for (const char* pin : {"123", "123456789", "12a4", "12\"4", "", "98 76"}) {
        overrides.pin = Secret(pin);
        try {
            applyOverrides(CallSettings{}, overrides);
            ADD_FAILURE() << "accepted " << pin;
        } catch (const Error& error) {
            EXPECT_STREQ(error.name(), error_name::kInvalidArgument);
            EXPECT_STREQ(error.what(), "pin must be 4 to 8 digits");
        }
    }
}

}  // namespace
}  // namespace dialupd
