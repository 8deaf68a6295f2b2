// SPDX-License-Identifier: GPL-2.0-or-later
// wipeSecret clears the whole buffer, including what a shorter value left of a longer one.
#include "core/secret.h"

#include <gtest/gtest.h>

namespace dialupd {
namespace {

bool allZero(const char* bytes, size_t count) {
    for (size_t i = 0; i < count; ++i)
        if (bytes[i] != 0) return false;
    return true;
}

TEST(Secret, WipingClearsEveryByteOfTheBuffer) {
    std::string secret(100, 'p');  // on the heap
    secret = "short";              // same buffer: the old tail is still there
    const char* buffer = secret.data();
    size_t capacity = secret.capacity();
    ASSERT_GE(capacity, 100u);
    wipeSecret(secret);
    EXPECT_TRUE(secret.empty());
    EXPECT_EQ(secret.data(), buffer) << "the buffer was given back unwiped";
    EXPECT_TRUE(allZero(buffer, capacity));
}

TEST(Secret, AShortSecretInsideTheStringIsWipedToo) {
    std::string secret = "pa55";  // small-string buffer, inside the object
    const char* buffer = secret.data();
    size_t capacity = secret.capacity();
    wipeSecret(secret);
    EXPECT_TRUE(allZero(buffer, capacity));
}

TEST(Secret, WipeOnExitWipesWhenTheScopeEndsByAnException) {
    std::string secret(64, 's');
    try {
        WipeOnExit wipe(secret);
        throw std::runtime_error("spawn failed");
    } catch (const std::runtime_error&) {
    }
    EXPECT_TRUE(secret.empty());
    EXPECT_TRUE(allZero(secret.data(), secret.capacity()));
}

TEST(Secret, KeepsItsValueAcrossCopiesAndMovesAndEmptiesTheMovedFrom) {
    Secret pin("1234");
    Secret copy = pin;
    EXPECT_EQ(copy.value(), "1234");
    EXPECT_TRUE(copy == pin);
    Secret moved = std::move(copy);
    EXPECT_EQ(moved.value(), "1234");
    EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): wiped, not just moved
    Secret other("99999999");
    other = pin;
    EXPECT_EQ(other.value(), "1234");
    other = Secret("5678");
    EXPECT_EQ(other.value(), "5678");
    EXPECT_FALSE(other == pin);
}

}  // namespace
}  // namespace dialupd
