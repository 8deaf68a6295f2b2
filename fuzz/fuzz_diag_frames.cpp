// SPDX-License-Identifier: GPL-2.0-or-later
// Bytes from a module's DM port (service/core/diag_hdlc.h and what reads the frames): any bytes,
// in any chunks. The splitter must hand on the same frames however the stream is cut, each one
// CRC-valid and within its bound; the ring keeps whole frames within its budget and its .qmdl
// splits back into exactly the frames it kept; the log packet reader and the NAS decoder stay
// inside each frame, and what they make into text is printable ASCII from their tables. The
// same bytes as a user's mask file: what is accepted is the file's frames, verbatim.
#include <algorithm>

#include "core/diag_hdlc.h"
#include "core/diag_log_config.h"
#include "core/diag_network_cause.h"
#include "core/diag_ring.h"
#include "fuzz.h"

using namespace dialupd;

namespace {

using Bytes = std::vector<uint8_t>;
constexpr size_t kMaxPayload = 512;

bool printableAscii(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

struct Split {
    std::vector<Bytes> frames;
    uint64_t good = 0, bad = 0, oversized = 0;
    size_t pending = 0;
};

Split splitInChunks(std::span<const uint8_t> stream, size_t chunk) {
    HdlcSplitter splitter(kMaxPayload);
    Split split;
    for (size_t at = 0; at < stream.size(); at += chunk)
        splitter.feed(stream.subspan(at, std::min(chunk, stream.size() - at)), [&](std::span<const uint8_t> payload) {
            split.frames.emplace_back(payload.begin(), payload.end());
        });
    split.good = splitter.goodFrames();
    split.bad = splitter.badFrames();
    split.oversized = splitter.oversizedFrames();
    split.pending = splitter.pendingBytes();
    return split;
}

void checkMaskFile(std::span<const uint8_t> content) {
    MaskFile file = parseMaskFile(content);
    FUZZ_CHECK(printableAscii(describeMaskFileError(file)), "mask file error text not printable");
    if (file.error != MaskFileError::None) {
        FUZZ_CHECK(file.commands.empty(), "a refused mask file kept {} commands", file.commands.size());
        return;
    }
    // The commands are the file without its empty frames, byte for byte.
    Bytes joined, expected;
    for (const Bytes& command : file.commands) {
        FUZZ_CHECK(command.size() >= 4 && command.back() == kHdlcFlag, "a command of {} bytes", command.size());
        Bytes payload;
        FUZZ_CHECK(hdlcDecode(command, payload), "an accepted command does not decode");
        FUZZ_CHECK(payload.size() <= kDiagMaxFramePayload, "an accepted command of {} bytes", payload.size());
        joined.insert(joined.end(), command.begin(), command.end());
    }
    for (size_t at = 0; at < content.size(); ++at)
        if (!(content[at] == kHdlcFlag && (at == 0 || content[at - 1] == kHdlcFlag))) expected.push_back(content[at]);
    FUZZ_CHECK(joined == expected, "the commands are not the file's frames");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> input(data, size);
    Split whole = splitInChunks(input, size + 1);
    size_t flags = size_t(std::count(input.begin(), input.end(), kHdlcFlag));
    FUZZ_CHECK(whole.good + whole.bad + whole.oversized <= flags, "{} frames ended by {} flags",
               whole.good + whole.bad + whole.oversized, flags);
    FUZZ_CHECK(whole.good == whole.frames.size(), "{} good, {} handed on", whole.good, whole.frames.size());
    for (const Bytes& frame : whole.frames) {
        FUZZ_CHECK(!frame.empty() && frame.size() <= kMaxPayload, "a frame of {} bytes", frame.size());
        Bytes back;
        FUZZ_CHECK(hdlcDecode(hdlcEncode(frame), back) && back == frame, "a frame does not round-trip");
    }
    // Any cut gives the same frames and counts.
    for (size_t chunk : {size_t(1), size_t(2), size_t(7), size_t(1) + (size ? data[0] : 0)}) {
        Split cut = splitInChunks(input, chunk);
        FUZZ_CHECK(cut.frames == whole.frames && cut.bad == whole.bad && cut.oversized == whole.oversized &&
                       cut.pending == whole.pending,
                   "chunks of {} split differently", chunk);
    }

    // A small ring over them: within its budget, its file the kept frames exactly.
    DiagFrameRing ring(64 + (size ? data[size - 1] : 0) * 4);
    auto now = DiagFrameRing::Clock::time_point();
    for (const Bytes& frame : whole.frames) {
        now += std::chrono::milliseconds(1);
        ring.push(frame, now);
        FUZZ_CHECK(ring.usedBytes() <= ring.budget(), "ring holds {} of {}", ring.usedBytes(), ring.budget());
    }
    std::vector<Bytes> kept;
    ring.forEach([&](std::span<const uint8_t> payload, DiagFrameRing::Clock::time_point) {
        kept.emplace_back(payload.begin(), payload.end());
    });
    // The newest of the frames that fit the budget at all (a larger one is refused, and the
    // older ones stay).
    std::vector<Bytes> fitting;
    for (const Bytes& frame : whole.frames)
        if (hdlcEncodedSize(frame) + DiagFrameRing::kPerFrameCost <= ring.budget()) fitting.push_back(frame);
    FUZZ_CHECK(
        kept.size() <= fitting.size() && std::equal(kept.begin(), kept.end(), fitting.end() - ptrdiff_t(kept.size())),
        "the ring does not hold the newest frames");
    FUZZ_CHECK(ring.refusedFrames() == whole.frames.size() - fitting.size(), "{} refused, {} too large",
               ring.refusedFrames(), whole.frames.size() - fitting.size());
    Bytes qmdl = ring.toQmdl();
    FUZZ_CHECK(qmdl.size() == ring.qmdlSize(), "qmdl of {} bytes, said {}", qmdl.size(), ring.qmdlSize());
    Split reread = splitInChunks(qmdl, qmdl.size() + 1);
    FUZZ_CHECK(reread.frames == kept && reread.bad == 0 && reread.pending == 0, "the .qmdl does not split back");

    // What the frames say, as text: printable, from the tables.
    NetworkCauses causes = findNetworkCauses(ring);
    FUZZ_CHECK(causes.messages.size() <= causes.nasMessages + causes.rrcReleases &&
                   causes.nasMessages + causes.rrcReleases <= causes.logPackets && causes.logPackets <= kept.size(),
               "{} messages, {} NAS, {} RRC releases, {} packets, {} frames", causes.messages.size(),
               causes.nasMessages, causes.rrcReleases, causes.logPackets, kept.size());
    for (const NasSessionEnd& message : causes.messages)
        FUZZ_CHECK(printableAscii(describeNasSessionEnd(message)), "description not printable");

    checkMaskFile(input);
    for (const Bytes& frame : whole.frames) classifyDiagReply(frame);
    return 0;
}
