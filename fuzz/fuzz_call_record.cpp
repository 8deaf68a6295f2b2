// SPDX-License-Identifier: GPL-2.0-or-later
// A kept call record read back from disk (parseCallRecord, service/sys/file_call_log_store.cpp):
// the file may have been edited, cut short by a crash, or written by an older daemon. What is
// accepted goes to GetCallLogs, which anyone may call.
//
// The parser is linked from the daemon library's own object (see fuzz/meson.build), not moved
// into the core: other work on file_call_log_store.cpp is under way.
#include "fuzz.h"
#include "sys/file_call_log_store.h"

using namespace dialupd;

namespace {

bool same(const CallRecord& a, const CallRecord& b) {
    return a.startedAtUsec == b.startedAtUsec && a.durationUsec == b.durationUsec && a.bytesIn == b.bytesIn &&
           a.bytesOut == b.bytesOut && a.reason.code == b.reason.code && a.reason.name == b.reason.name &&
           a.reason.description == b.reason.description && a.requested == b.requested && a.text == b.text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string content(reinterpret_cast<const char*>(data), size);
    CallRecord record;
    if (!parseCallRecord(content, record)) return 0;

    // Header values are single lines, so what is written back reads back the same.
    for (const std::string* value : {&record.reason.name, &record.reason.description})
        FUZZ_CHECK(value->find('\n') == std::string::npos, "header value '{}' spans lines", *value);
    std::string written = formatCallRecord(record);
    CallRecord again;
    FUZZ_CHECK(parseCallRecord(written, again), "a record written by formatCallRecord does not parse");
    FUZZ_CHECK(same(record, again), "a record does not read back the same after formatCallRecord");
    FUZZ_CHECK(formatCallRecord(again) == written, "formatCallRecord is not stable");
    // Sanitizing may write a byte out as an escape ("\xff"), no more.
    FUZZ_CHECK(record.text.size() <= 4 * content.size(), "{} bytes of file gave {} of text", content.size(),
               record.text.size());

    if (fuzz::kStrictText) {  // every string goes into GetCallLogs' answer
        for (const std::string* value : {&record.reason.name, &record.reason.description}) {
            std::string problem = fuzz::textProblem(*value, false);
            FUZZ_CHECK(problem.empty(), "header value read back: {}", problem);
        }
        std::string problem = fuzz::textProblem(record.text, true);
        FUZZ_CHECK(problem.empty(), "call text read back: {}", problem);
    }
    return 0;
}
