// SPDX-License-Identifier: GPL-2.0-or-later
// A modem's counters read back from disk (parseCounters, core/modem_counters.h): the file may
// have been edited, cut short, damaged, or put there by someone else. What is accepted becomes
// GetStatistics' answer and the metrics file.
#include "core/modem_counters.h"
#include "fuzz.h"

using namespace dialupd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string content(reinterpret_cast<const char*>(data), size);
    std::string why;
    std::optional<ModemCounters> counters = parseCounters(content, why);
    if (!counters) {
        FUZZ_CHECK(!why.empty(), "a refused file without a reason");
        return 0;
    }
    // What is accepted writes back as it reads, and within bounds.
    std::string written = formatCounters(*counters);
    std::string again;
    std::optional<ModemCounters> reread = parseCounters(written, again);
    FUZZ_CHECK(reread.has_value(), "formatCounters' text does not parse: {}", again);
    FUZZ_CHECK(*reread == *counters, "the counters do not read back the same after formatCounters");
    FUZZ_CHECK(counters->ends.size() <= 1024 && counters->recoveries.size() <= 16, "{} codes, {} steps kept",
               counters->ends.size(), counters->recoveries.size());
    for (const auto& [step, count] : counters->recoveries)
        FUZZ_CHECK(!step.empty() && step.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string::npos,
                   "step '{}' kept", step);
    return 0;
}
