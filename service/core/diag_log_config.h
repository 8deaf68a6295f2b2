// SPDX-License-Identifier: GPL-2.0-or-later
// What dialupd asks the module's DIAG to log. DIAG_LOG_CONFIG_F (command 0x73) sets, per
// equipment id (a log code's top four bits), a bit mask over the item numbers (its low twelve
// bits). The request is little-endian: command (u8) and three bytes of padding, operation (u32),
// then for SET_MASK the equipment id (u32), the number of items the mask covers (u32) and the
// mask, (items + 7) / 8 bytes, item n at byte n / 8, bit n % 8. The answer repeats command and
// operation and adds a status (u32, 0: success). DISABLE (operation 0, nothing after it) turns
// every log code off.
//
// The built-in mask holds the few log codes that explain a dropped data call; a user's mask file
// (`dm-mask-file`, e.g. the .cfg Quectel's support hands out) is a sequence of already framed
// DIAG commands, checked here and sent as they are. Pure: the bytes go out elsewhere.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dialupd {

inline constexpr uint8_t kDiagLogConfigCommand = 0x73;
// DIAG's refusals of a request: unknown command, bad parameters, bad length, bad mode.
inline constexpr uint8_t kDiagBadCommand = 0x13;
inline constexpr uint8_t kDiagBadParameters = 0x14;
inline constexpr uint8_t kDiagBadLength = 0x15;
inline constexpr uint8_t kDiagBadMode = 0x18;

enum class LogConfigOperation : uint32_t {
    Disable = 0,
    RetrieveIdRanges = 1,
    RetrieveValidMask = 2,
    SetMask = 3,
    GetMask = 4,
};

// The log codes of the built-in mask: what ends or refuses a data session, as the module logs
// it. NAS EPS messages after deciphering (ESM and EMM, in and out), LTE RRC over the air, and
// the 2G/3G NAS messages (GMM/SM, both ways) in one cheap packet.
inline constexpr uint16_t kLogLteRrcOta = 0xB0C0;
inline constexpr uint16_t kLogLteNasEsmPlainIn = 0xB0E2;
inline constexpr uint16_t kLogLteNasEsmPlainOut = 0xB0E3;
inline constexpr uint16_t kLogLteNasEmmPlainIn = 0xB0EC;
inline constexpr uint16_t kLogLteNasEmmPlainOut = 0xB0ED;
inline constexpr uint16_t kLogUmtsNasOta = 0x713A;
inline constexpr std::array<uint16_t, 6> kBuiltinLogCodes = {kLogLteRrcOta,         kLogLteNasEsmPlainIn,
                                                             kLogLteNasEsmPlainOut, kLogLteNasEmmPlainIn,
                                                             kLogLteNasEmmPlainOut, kLogUmtsNasOta};

// A SET_MASK request (unframed) enabling exactly `codes`, which must share one equipment id and
// be at least one; the mask covers items 0 to the highest among them. Throws
// std::invalid_argument otherwise.
std::vector<uint8_t> logConfigSetMaskRequest(std::span<const uint16_t> codes);
// The DISABLE request (unframed): all logging off.
std::vector<uint8_t> logConfigDisableRequest();

// The built-in mask as framed commands to write to the DM port, in order: one SET_MASK per
// equipment id in kBuiltinLogCodes.
std::vector<std::vector<uint8_t>> builtinMaskCommands();
// The DISABLE request, framed.
std::vector<uint8_t> disableLoggingCommand();

// What a frame read back from the DM port says of a command sent.
enum class DiagReply {
    LogConfigSuccess,  // 0x73 answer, status 0
    LogConfigFailure,  // 0x73 answer, another status
    Refused,           // 0x13/0x14/0x15/0x18: the module refused the request
    Other,             // anything else (a log packet, another command's answer, too short)
};
DiagReply classifyDiagReply(std::span<const uint8_t> payload);

// A user's mask file checked and split into the frames to send verbatim.
inline constexpr size_t kMaxMaskFileSize = 1024 * 1024;
inline constexpr size_t kMaxMaskFileFrames = 4096;

enum class MaskFileError {
    None,
    Empty,          // no frame at all
    TooLarge,       // the file is over kMaxMaskFileSize
    TooManyFrames,  // over kMaxMaskFileFrames
    FrameTooLarge,  // a frame's payload over kDiagMaxFramePayload
    BadFrame,       // broken escaping, shorter than a CRC, or its CRC does not hold
    Unterminated,   // bytes after the last 0x7E
};

struct MaskFile {
    std::vector<std::vector<uint8_t>> commands;  // each frame's bytes as in the file, its 0x7E last
    MaskFileError error = MaskFileError::None;
    size_t errorFrame = 0;   // 0-based index of the frame the error is about
    size_t errorOffset = 0;  // where that frame starts in the file
};

// Splits `content` into frames at each 0x7E (empty ones, such as a leading 0x7E, are dropped)
// and checks each one. On an error, `commands` is empty.
MaskFile parseMaskFile(std::span<const uint8_t> content);
// A stable name for the error ("bad-frame"), and a sentence for a log ("frame 3 at byte 120:
// its CRC does not hold or its escaping is broken"); text of ours only.
const char* maskFileErrorName(MaskFileError error);
std::string describeMaskFileError(const MaskFile& file);

}  // namespace dialupd
