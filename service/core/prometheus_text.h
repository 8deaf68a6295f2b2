// SPDX-License-Identifier: GPL-2.0-or-later
// The modems' counters and states in Prometheus' text exposition format (version 0.0.4), for
// node_exporter's textfile collector: one HELP and TYPE line per metric, then a series per
// modem (and per reason code, recovery step, state). Pure: the daemon writes the text to
// <metrics-dir>/dialupd.prom when it changes (sys/metrics_file).
#pragma once

#include <string>
#include <vector>

#include "modem.h"

namespace dialupd {

struct ModemMetrics {
    std::string id;
    ModemState state = ModemState::Disconnected;
    ModemStatistics statistics;  // without the running call's live bytes: finished calls only
};

std::string formatPrometheus(const std::vector<ModemMetrics>& modems);

}  // namespace dialupd
