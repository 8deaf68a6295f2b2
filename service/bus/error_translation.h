// SPDX-License-Identifier: GPL-2.0-or-later
// The one place where exceptions become D-Bus errors. sdbus-c++ terminates the process on any
// exception other than sdbus::Error escaping a handler, so every handler goes through here.
#pragma once

#include <sdbus-c++/Error.h>

#include <spdlog/spdlog.h>

#include "core/errors.h"
#include "core/text.h"

namespace dialupd {

// A message may quote outside text (a device path, a module's answer): sanitized like the rest
// of what leaves on the bus, or sd-bus could refuse to send the error at all.
inline sdbus::Error toBusError(const Error& error) { return sdbus::Error(error.name(), sanitizeText(error.what())); }

// Runs `body`; whatever it throws leaves as an sdbus::Error with an org.dialupd1.Error.* name
// (or the sdbus::Error it already was).
template <typename Body>
auto translateErrors(Body&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const sdbus::Error&) {
        throw;
    } catch (const Error& error) {
        throw toBusError(error);
    } catch (const std::exception& error) {
        spdlog::error("internal error in a D-Bus handler: {}", error.what());
        throw sdbus::Error(error_name::kInternal, sanitizeText(error.what()));
    } catch (...) {
        spdlog::error("internal error in a D-Bus handler: unknown exception");
        throw sdbus::Error(error_name::kInternal, "unknown internal error");
    }
}

// For an asynchronous method: runs `body`, which either completes `done` later or throws; a
// throw completes `done` at once with the named error (an unnamed one becomes Internal).
template <typename Done, typename Body>
void completeOnThrow(const char* method, const Done& done, Body&& body) {
    try {
        body();
    } catch (const Error& error) {
        done(&error);
    } catch (const std::exception& error) {
        spdlog::error("{} failed internally: {}", method, error.what());
        Error internal(error_name::kInternal, error.what());
        done(&internal);
    }
}

}  // namespace dialupd
