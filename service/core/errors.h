// SPDX-License-Identifier: GPL-2.0-or-later
// The error the core throws: dialupd::Error carries one of the names in bus_names.h
// (error_name::*); the bus adaptors translate it into an sdbus::Error of the same name, so
// clients can match on a stable name.
#pragma once

#include <stdexcept>
#include <string>

#include "bus_names.h"

namespace dialupd {

// An error with a D-Bus name. `name` is one of error_name::*.
class Error : public std::runtime_error {
public:
    Error(const char* name, const std::string& message) : std::runtime_error(message), name_(name) {}
    const char* name() const noexcept { return name_; }

private:
    const char* name_;
};

}  // namespace dialupd
