// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/exit_reason.h"

#include <gtest/gtest.h>

#include <csignal>
#include <set>

namespace dialupd {
namespace {

// [a-z]+(-[a-z]+)*, without std::regex (GCC 12 warns inside it under -fsanitize).
bool isKebabCase(const std::string& name) {
    if (name.empty() || name.front() == '-' || name.back() == '-' || name.find("--") != std::string::npos) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
    return true;
}

TEST(ExitReason, EveryPppdStatusHasAStableKebabCaseName) {
    std::set<std::string> seen;
    for (int status = 0; status <= 21; ++status) {
        ExitReason reason = reasonForExitStatus(status);
        EXPECT_EQ(reason.code, static_cast<uint32_t>(status));
        EXPECT_TRUE(isKebabCase(reason.name)) << reason.name;
        EXPECT_FALSE(reason.description.empty());
        EXPECT_TRUE(seen.insert(reason.name).second) << "duplicate name " << reason.name;
    }
}

TEST(ExitReason, NamesThatClientsMatchOn) {
    // These names are API: changing one breaks scripts.
    EXPECT_EQ(reasonForExitStatus(0).name, "ok");
    EXPECT_EQ(reasonForExitStatus(2).name, "option-error");
    EXPECT_EQ(reasonForExitStatus(4).name, "no-kernel-support");
    EXPECT_EQ(reasonForExitStatus(5).name, "user-request");
    EXPECT_EQ(reasonForExitStatus(6).name, "lock-failed");
    EXPECT_EQ(reasonForExitStatus(7).name, "open-failed");
    EXPECT_EQ(reasonForExitStatus(8).name, "connect-failed");
    EXPECT_EQ(reasonForExitStatus(10).name, "negotiation-failed");
    EXPECT_EQ(reasonForExitStatus(11).name, "peer-auth-failed");
    EXPECT_EQ(reasonForExitStatus(15).name, "peer-dead");
    EXPECT_EQ(reasonForExitStatus(16).name, "hangup");
    EXPECT_EQ(reasonForExitStatus(17).name, "loopback");
    EXPECT_EQ(reasonForExitStatus(19).name, "auth-to-peer-failed");
    EXPECT_EQ(reasonForExitStatus(20).name, "traffic-limit");
    EXPECT_EQ(reasonForExitStatus(21).name, "cnid-auth-failed");
}

TEST(ExitReason, UnknownStatusesAreNamedAsSuch) {
    EXPECT_EQ(reasonForExitStatus(22).name, "unknown-exit-status");
    EXPECT_EQ(reasonForExitStatus(127).code, 127u);
    EXPECT_EQ(reasonForExitStatus(-1).name, "unknown-exit-status");
}

TEST(ExitReason, SignalsGetTheirOwnNameAndTheSignalInTheDescription) {
    ExitReason killed = reasonForSignal(SIGKILL);
    EXPECT_EQ(killed.code, 137u);
    EXPECT_EQ(killed.name, "killed-by-signal");
    EXPECT_NE(killed.description.find("SIGKILL"), std::string::npos);
    EXPECT_NE(reasonForSignal(SIGSEGV).description.find("SIGSEGV"), std::string::npos);
}

TEST(ExitReason, BeforeTheFirstCall) {
    ExitReason none = noCallYetReason();
    EXPECT_EQ(none.code, 0u);
    EXPECT_EQ(none.name, "none");
}

}  // namespace
}  // namespace dialupd
