// SPDX-License-Identifier: GPL-2.0-or-later
// The secret fields of pppd's auth packet dumps, hidden by where pppd prints them. The lines
// are pppd 2.4.9's own format (upap.c, chap-new.c, eap.c printpkt functions).
#include "core/auth_dump.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dialupd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(AuthDump, PapPasswordIsHiddenWhateverItIs) {
    EXPECT_EQ(hideAuthSecrets("sent [PAP AuthReq id=0x1 user=\"alice\" password=\"internet\"]"),
              "sent [PAP AuthReq id=0x1 user=\"alice\" password=<hidden>]");
    // pppd escapes quotes and brackets inside the value: everything up to the end goes.
    EXPECT_EQ(hideAuthSecrets("sent [PAP AuthReq id=0x2 user=\"a\" password=\"x\\\"] y\"]"),
              "sent [PAP AuthReq id=0x2 user=\"a\" password=<hidden>]");
    // What pppd prints by itself (hide-password) stays as it was.
    EXPECT_EQ(hideAuthSecrets("sent [PAP AuthReq id=0x1 user=\"alice\" password=<hidden>]"),
              "sent [PAP AuthReq id=0x1 user=\"alice\" password=<hidden>]");
}

TEST(AuthDump, PapDumpCutShortByPppdHidesTheRestOfTheLine) {
    EXPECT_EQ(hideAuthSecrets("sent [PAP AuthReq id=0x1 user=\"alice\" password=\"interne"),
              "sent [PAP AuthReq id=0x1 user=\"alice\" password=<hidden>]");
}

TEST(AuthDump, ChapResponseHashIsHiddenTheChallengeIsNot) {
    EXPECT_EQ(hideAuthSecrets("rcvd [CHAP Challenge id=0x1 <1f2e3d4c5b6a79881f2e3d4c5b6a7988>, name = \"net\"]"),
              "rcvd [CHAP Challenge id=0x1 <1f2e3d4c5b6a79881f2e3d4c5b6a7988>, name = \"net\"]");
    EXPECT_EQ(hideAuthSecrets("sent [CHAP Response id=0x1 <0123456789abcdef0123456789abcdef>, name = \"alice\"]"),
              "sent [CHAP Response id=0x1 <hidden>, name = \"alice\"]");
    EXPECT_EQ(hideAuthSecrets("sent [CHAP Response id=0x1 <0123456789abcdef01234"),
              "sent [CHAP Response id=0x1 <hidden>");
}

TEST(AuthDump, MsChapV2ProofIsHiddenTheMessageIsNot) {
    EXPECT_EQ(hideAuthSecrets("rcvd [CHAP Success id=0x1 \"S=0123456789ABCDEF0123456789ABCDEF01234567 M=Welcome\"]"),
              "rcvd [CHAP Success id=0x1 \"S=<hidden> M=Welcome\"]");
    EXPECT_EQ(hideAuthSecrets("rcvd [CHAP Success id=0x1 \"Welcome to the network\"]"),
              "rcvd [CHAP Success id=0x1 \"Welcome to the network\"]");
}

TEST(AuthDump, EapMd5ValueIsHidden) {
    EXPECT_EQ(
        hideAuthSecrets("sent [EAP Response id=0x2 MD5-Challenge <Value 01 23 45 67 89 ab cd ef> <Name \"alice\">]"),
        "sent [EAP Response id=0x2 MD5-Challenge <hidden> <Name \"alice\">]");
    EXPECT_EQ(hideAuthSecrets("sent [EAP Response id=0x1 Identity <Name \"alice\">]"),
              "sent [EAP Response id=0x1 Identity <Name \"alice\">]");
}

// The oracle of issue 16 item 4: a password equal to the APN must not mark the APN.
TEST(AuthDump, TextEqualToThePasswordElsewhereStaysAsItIs) {
    for (const char* line : {"send (AT+CGDCONT=1,\"IP\",\"internet\",,0,0^M)", "started pppd (pid 7), apn 'internet'",
                             "rcvd [LCP ConfReq id=0x1 <asyncmap 0x0> <auth pap> <magic 0x1>]",
                             "rcvd [PAP AuthAck id=0x1 \"internet\"]", "Remote message: internet"})
        EXPECT_EQ(hideAuthSecrets(line), line);
    EXPECT_THAT(hideAuthSecrets("sent [PAP AuthReq id=0x1 user=\"internet\" password=\"internet\"]"),
                HasSubstr("user=\"internet\""));
    EXPECT_THAT(hideAuthSecrets("sent [PAP AuthReq id=0x1 user=\"internet\" password=\"internet\"]"),
                Not(HasSubstr("password=\"internet\"")));
}

}  // namespace
}  // namespace dialupd
