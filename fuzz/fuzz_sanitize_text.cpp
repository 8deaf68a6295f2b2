// SPDX-License-Identifier: GPL-2.0-or-later
// sanitizeText, isValidUtf8 and shortened (service/core/text.cpp): every byte from outside
// passes through them on its way to D-Bus, the call log and the journal.
#include "core/text.h"
#include "fuzz.h"

using namespace dialupd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    FUZZ_CHECK(isValidUtf8(input) == fuzz::isValidUtf8Oracle(input), "isValidUtf8 says {} for {} bytes",
               isValidUtf8(input), size);

    std::string clean = sanitizeText(input);
    std::string problem = fuzz::textProblem(clean, true);
    FUZZ_CHECK(problem.empty(), "sanitizeText output: {}", problem);
    // Each byte becomes at most an escape ("\x1b") or U+FFFD.
    FUZZ_CHECK(clean.size() <= 6 * size, "{} bytes became {}", size, clean.size());
    FUZZ_CHECK(sanitizeText(clean) == clean, "sanitizeText is not idempotent");
    // Text that is clean already passes unchanged, except line ends, which may be escaped.
    if (fuzz::textProblem(input, false).empty()) FUZZ_CHECK(clean == input, "clean text was changed");

    for (size_t limit : {size_t{0}, size_t{1}, size / 2, size}) {
        std::string cut = shortened(clean, limit);
        FUZZ_CHECK(cut.size() <= limit + 3, "shortened to {} gave {} bytes", limit, cut.size());
        problem = fuzz::textProblem(cut, true);
        FUZZ_CHECK(problem.empty(), "shortened clean text to {}: {}", limit, problem);
        if (clean.size() <= limit) FUZZ_CHECK(cut == clean, "text within the limit was cut");
    }
    return 0;
}
