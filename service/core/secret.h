// SPDX-License-Identifier: GPL-2.0-or-later
// Passwords are wiped from memory once they are no longer needed, so a later core dump, a
// swapped-out page or a reused heap block does not carry them (explicit_bzero: the compiler
// may not drop the clearing of memory that is about to be freed).
#pragma once

#include <string.h>

#include <string>
#include <utility>

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

// A secret value kept for a while (a SIM PIN from Connect or the sim-pin-file): wiped when
// dropped, replaced or moved from. It has no conversion to text, no operator<< and no fmt
// formatter, so it cannot reach a log by accident: value() is read only where it must go
// (the AT port). Copies are wiped likewise.
class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret& other) : value_(other.value_) {}
    Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { wipeSecret(other.value_); }
    Secret& operator=(const Secret& other) {
        if (this != &other) {
            wipeSecret(value_);
            value_ = other.value_;
        }
        return *this;
    }
    Secret& operator=(Secret&& other) noexcept {
        if (this != &other) {
            wipeSecret(value_);
            value_ = std::move(other.value_);
            wipeSecret(other.value_);
        }
        return *this;
    }
    ~Secret() { wipeSecret(value_); }

    const std::string& value() const { return value_; }
    bool empty() const { return value_.empty(); }
    friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }

private:
    std::string value_;
};

}  // namespace dialupd
