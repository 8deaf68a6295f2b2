// SPDX-License-Identifier: GPL-2.0-or-later
// A NAS EPS PDU as the module logs it (service/core/nas_eps.h): any bytes. A session end must be
// what its bytes say (the cause is the byte at its place), ciphered only for a ciphering
// security header, and its text printable ASCII from the tables, never the input's bytes. The
// same PDU inside a DIAG log packet (0xB0EC) decodes the same through the log packet reader.
// The same bytes as an LTE RRC DL-DCCH PDU (service/core/lte_rrc.h): a release cause only for a
// PDU whose first 15 bits say RRCConnectionRelease-r8 and hold it, and the same through an LTE RRC
// OTA log packet (0xB0C0, version 20).
#include <algorithm>

#include "core/diag_network_cause.h"
#include "core/lte_rrc.h"
#include "core/nas_eps.h"
#include "fuzz.h"

using namespace dialupd;

namespace {

bool printableAscii(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

void check(std::span<const uint8_t> pdu, NasDirection direction, bool deciphered) {
    NasDecodeResult result = decodeNasEps(pdu, direction, deciphered);
    FUZZ_CHECK(result.message.has_value() == (result.status == NasDecodeStatus::SessionEnd), "status {} message {}",
               int(result.status), result.message.has_value());
    uint8_t header = pdu.empty() ? 0 : pdu[0] >> 4;
    bool emm = !pdu.empty() && (pdu[0] & 0x0f) == 7;
    if (result.status == NasDecodeStatus::Ciphered)
        FUZZ_CHECK(!deciphered && emm && (header == 2 || header == 4 || header == 5), "ciphered with header {}",
                   header);
    if (!result.message) return;
    const NasSessionEnd& message = *result.message;
    FUZZ_CHECK(message.direction == direction, "the direction changed");
    // The plain message starts at 0, or at 6 behind a security header.
    size_t plain = emm && header != 0 ? 6 : 0;
    FUZZ_CHECK(pdu.size() > plain, "a message from {} bytes", pdu.size());
    if (message.cause) {
        size_t at = message.causeKind == NasCauseKind::Esm             ? plain + 3
                    : message.message == NasMessageType::DetachRequest ? plain + 4
                                                                       : plain + 2;
        FUZZ_CHECK(at < pdu.size() && pdu[at] == *message.cause, "cause {} is not the byte at {}",
                   unsigned(*message.cause), at);
    }
    FUZZ_CHECK(printableAscii(describeNasSessionEnd(message)), "description not printable");
    FUZZ_CHECK(printableAscii(nasCauseSummary(message)), "summary not printable");
}

void checkRrc(std::span<const uint8_t> pdu) {
    std::optional<uint8_t> cause = rrcConnectionReleaseCause(pdu);
    // 0 0101 xx 0 | 00 xxx cc: c1, rrcConnectionRelease, any transaction, c1, r8, any optionals.
    const bool release = pdu.size() >= 2 && (pdu[0] & 0xf9) == 0x28 && (pdu[1] & 0xc0) == 0;
    FUZZ_CHECK(cause.has_value() == release, "release {} cause {}", release, cause.has_value());
    if (cause) FUZZ_CHECK(*cause == ((pdu[1] >> 1) & 3), "cause {} is not bits 13-14", unsigned(*cause));
    if (pdu.empty() || pdu.size() > 255) return;
    // In a version 20 LTE RRC OTA packet on DL-DCCH (PDU number 7), after the 19-byte header.
    std::vector<uint8_t> frame = {0x10, 0,    0, 0,  0, 0,    0xc0, 0xb0, 1, 2, 3, 4, 5, 6, 7, 8, 20,
                                  0x30, 0x0e, 1, 11, 0, 0xfa, 9,    0,    0, 0, 0, 7, 0, 0, 0, 0, uint8_t(pdu.size()),
                                  0};
    frame.insert(frame.end(), pdu.begin(), pdu.end());
    const auto length = uint16_t(frame.size() - 4);
    frame[2] = frame[4] = uint8_t(length);
    frame[3] = frame[5] = uint8_t(length >> 8);
    std::optional<NasSessionEnd> found = sessionEndInFrame(frame, std::chrono::steady_clock::time_point());
    FUZZ_CHECK(found.has_value() == cause.has_value(), "the log packet decodes differently");
    if (!found) return;
    FUZZ_CHECK(found->message == NasMessageType::RrcConnectionRelease && found->causeKind == NasCauseKind::Rrc &&
                   found->cause == cause,
               "not the release that was read");
    FUZZ_CHECK(printableAscii(describeNasSessionEnd(*found)), "description not printable");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> pdu(data, size);
    checkRrc(pdu);
    for (NasDirection direction : {NasDirection::NetworkToUe, NasDirection::UeToNetwork})
        for (bool deciphered : {false, true}) check(pdu, direction, deciphered);

    // Inside an LTE NAS EMM plain OTA incoming packet: version bytes, then the PDU.
    if (size > 0 && size < 1000) {
        uint16_t length = uint16_t(12 + 4 + size);
        std::vector<uint8_t> frame = {0x10,
                                      0x00,
                                      uint8_t(length),
                                      uint8_t(length >> 8),
                                      uint8_t(length),
                                      uint8_t(length >> 8),
                                      0xec,
                                      0xb0,
                                      1,
                                      2,
                                      3,
                                      4,
                                      5,
                                      6,
                                      7,
                                      8,
                                      1,
                                      9,
                                      5,
                                      0};
        frame.insert(frame.end(), pdu.begin(), pdu.end());
        std::optional<NasSessionEnd> found = sessionEndInFrame(frame, std::chrono::steady_clock::time_point());
        NasDecodeResult direct = decodeNasEps(pdu, NasDirection::NetworkToUe, true);
        FUZZ_CHECK(found.has_value() == direct.message.has_value(), "the log packet decodes differently");
        if (found) {
            FUZZ_CHECK(found->modemTimestamp == 0x0807060504030201ULL, "the packet's timestamp was not kept");
            found->receivedAt.reset();
            found->modemTimestamp.reset();
            FUZZ_CHECK(*found == *direct.message, "the log packet decodes differently");
        }
    }
    return 0;
}
