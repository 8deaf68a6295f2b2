// Passwords are wiped from memory once they are no longer needed, so a later core dump, a
// swapped-out page or a reused heap block does not carry them (explicit_bzero: the compiler
// may not drop the clearing of memory that is about to be freed).
#pragma once

#include <string.h>

#include <string>

namespace dialupd {

// Clears every byte the string's buffer holds (up to its capacity: a shorter value may have
// replaced a longer one), then empties it.
inline void wipeSecret(std::string& secret) {
    ::explicit_bzero(secret.data(), secret.capacity());
    secret.clear();
}

// Wipes `secret` when the scope ends, however it ends.
class WipeOnExit {
public:
    explicit WipeOnExit(std::string& secret) : secret_(secret) {}
    ~WipeOnExit() { wipeSecret(secret_); }
    WipeOnExit(const WipeOnExit&) = delete;
    WipeOnExit& operator=(const WipeOnExit&) = delete;

private:
    std::string& secret_;
};

}  // namespace dialupd
