// SPDX-License-Identifier: GPL-2.0-or-later
#include "diag_log_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "diag_hdlc.h"

namespace dialupd {
namespace {

void appendU32(std::vector<uint8_t>& out, uint32_t value) {
    for (int shift = 0; shift < 32; shift += 8) out.push_back(uint8_t(value >> shift));
}

uint32_t readU32(std::span<const uint8_t> bytes, size_t at) {
    return uint32_t(bytes[at]) | uint32_t(bytes[at + 1]) << 8 | uint32_t(bytes[at + 2]) << 16 |
           uint32_t(bytes[at + 3]) << 24;
}

std::vector<uint8_t> header(LogConfigOperation operation) {
    std::vector<uint8_t> request = {kDiagLogConfigCommand, 0, 0, 0};
    appendU32(request, uint32_t(operation));
    return request;
}

constexpr unsigned equipmentId(uint16_t code) { return code >> 12; }
constexpr unsigned itemNumber(uint16_t code) { return code & 0x0fff; }

}  // namespace

std::vector<uint8_t> logConfigSetMaskRequest(std::span<const uint16_t> codes) {
    if (codes.empty()) throw std::invalid_argument("a log mask needs at least one log code");
    unsigned equipment = equipmentId(codes.front());
    unsigned highest = 0;
    for (uint16_t code : codes) {
        if (equipmentId(code) != equipment)
            throw std::invalid_argument("the log codes of one mask must share their equipment id");
        highest = std::max(highest, itemNumber(code));
    }
    uint32_t items = highest + 1;
    std::vector<uint8_t> request = header(LogConfigOperation::SetMask);
    appendU32(request, equipment);
    appendU32(request, items);
    size_t maskAt = request.size();
    request.resize(maskAt + (items + 7) / 8, 0);
    for (uint16_t code : codes) request[maskAt + itemNumber(code) / 8] |= uint8_t(1u << (itemNumber(code) % 8));
    return request;
}

std::vector<uint8_t> logConfigDisableRequest() { return header(LogConfigOperation::Disable); }

std::vector<std::vector<uint8_t>> builtinMaskCommands() {
    std::map<unsigned, std::vector<uint16_t>> byEquipment;
    for (uint16_t code : kBuiltinLogCodes) byEquipment[equipmentId(code)].push_back(code);
    std::vector<std::vector<uint8_t>> commands;
    for (const auto& [equipment, codes] : byEquipment) commands.push_back(hdlcEncode(logConfigSetMaskRequest(codes)));
    return commands;
}

std::vector<uint8_t> disableLoggingCommand() { return hdlcEncode(logConfigDisableRequest()); }

DiagReply classifyDiagReply(std::span<const uint8_t> payload) {
    if (payload.empty()) return DiagReply::Other;
    switch (payload[0]) {
        case kDiagBadCommand:
        case kDiagBadParameters:
        case kDiagBadLength:
        case kDiagBadMode:
            return DiagReply::Refused;
        case kDiagLogConfigCommand:
            // command, padding (3), operation (u32), status (u32)
            if (payload.size() < 12) return DiagReply::Other;
            return readU32(payload, 8) == 0 ? DiagReply::LogConfigSuccess : DiagReply::LogConfigFailure;
        default:
            return DiagReply::Other;
    }
}

MaskFile parseMaskFile(std::span<const uint8_t> content) {
    MaskFile file;
    auto fail = [&](MaskFileError error, size_t frame, size_t offset) {
        file.commands.clear();
        file.error = error;
        file.errorFrame = frame;
        file.errorOffset = offset;
        return file;
    };
    if (content.size() > kMaxMaskFileSize) return fail(MaskFileError::TooLarge, 0, 0);
    std::vector<uint8_t> payload;
    size_t start = 0;
    while (start < content.size()) {
        auto flag = std::find(content.begin() + start, content.end(), kHdlcFlag);
        if (flag == content.end()) return fail(MaskFileError::Unterminated, file.commands.size(), start);
        size_t end = size_t(flag - content.begin()) + 1;  // past the 0x7E
        std::span<const uint8_t> framed = content.subspan(start, end - start);
        size_t offset = start;
        start = end;
        if (framed.size() == 1) continue;  // an empty frame
        if (file.commands.size() == kMaxMaskFileFrames)
            return fail(MaskFileError::TooManyFrames, file.commands.size(), offset);
        if (!hdlcDecode(framed, payload)) {
            // Tell a frame too large from a broken one by its escaped size: the unescaped
            // payload is at most as long.
            bool tooLarge = framed.size() > 2 * (kDiagMaxFramePayload + 2) + 1;
            return fail(tooLarge ? MaskFileError::FrameTooLarge : MaskFileError::BadFrame, file.commands.size(),
                        offset);
        }
        if (payload.size() > kDiagMaxFramePayload)
            return fail(MaskFileError::FrameTooLarge, file.commands.size(), offset);
        file.commands.emplace_back(framed.begin(), framed.end());
    }
    if (file.commands.empty()) return fail(MaskFileError::Empty, 0, 0);
    return file;
}

const char* maskFileErrorName(MaskFileError error) {
    switch (error) {
        case MaskFileError::None:
            return "none";
        case MaskFileError::Empty:
            return "empty";
        case MaskFileError::TooLarge:
            return "too-large";
        case MaskFileError::TooManyFrames:
            return "too-many-frames";
        case MaskFileError::FrameTooLarge:
            return "frame-too-large";
        case MaskFileError::BadFrame:
            return "bad-frame";
        case MaskFileError::Unterminated:
            return "unterminated";
    }
    return "unknown";
}

std::string describeMaskFileError(const MaskFile& file) {
    switch (file.error) {
        case MaskFileError::None:
            return fmt::format("{} DIAG commands", file.commands.size());
        case MaskFileError::Empty:
            return "no DIAG command in it (no byte 0x7E ends a frame)";
        case MaskFileError::TooLarge:
            return fmt::format("larger than {} bytes", kMaxMaskFileSize);
        case MaskFileError::TooManyFrames:
            return fmt::format("more than {} DIAG commands", kMaxMaskFileFrames);
        case MaskFileError::FrameTooLarge:
            return fmt::format("frame {} at byte {}: larger than {} bytes", file.errorFrame + 1, file.errorOffset,
                               kDiagMaxFramePayload);
        case MaskFileError::BadFrame:
            return fmt::format("frame {} at byte {}: its CRC does not hold or its escaping is broken",
                               file.errorFrame + 1, file.errorOffset);
        case MaskFileError::Unterminated:
            return fmt::format("bytes after the last frame, from byte {}: no 0x7E ends them", file.errorOffset);
    }
    return "unknown error";
}

}  // namespace dialupd
