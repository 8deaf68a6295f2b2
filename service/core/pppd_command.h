// SPDX-License-Identifier: GPL-2.0-or-later
// The one place where pppd's command line is decided.
#pragma once

#include <string>

#include "call_settings.h"
#include "daemon_settings.h"
#include "pppd_runner.h"

namespace dialupd {

struct PppdCommandInput {
    std::string modemId;  // also pppd's linkname suffix and ipparam
    std::string device;   // the PPP tty
    CallSettings call;    // validated
};

PppdLaunch buildPppdLaunch(const DaemonSettings& daemon, const PppdCommandInput& input);

// `text` as one word for /bin/sh (pppd runs its `connect` option through sh -c).
std::string shellQuote(const std::string& text);

}  // namespace dialupd
