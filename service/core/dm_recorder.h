// SPDX-License-Identifier: GPL-2.0-or-later
// The DM log's flight recorder of one modem (`dm-log = yes`): while a call is being dialled and
// while it is up, the module's DIAG logging is on and what its DM port sends is kept, whole
// frames only, in a DiagFrameRing of `dm-log-size` bytes. At the end of a call freeze() gives
// what the Hangup needs: the .qmdl bytes, their extent, and the network's stated cause read
// from them. The port comes in through DmPortOpener (sys/tty_dm_port in the daemon, a fake in
// unit tests), time through the Scheduler: no fds here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "diag_hdlc.h"
#include "diag_network_cause.h"
#include "diag_ring.h"
#include "nas_eps.h"
#include "scheduler.h"

namespace dialupd {

class DmPortObserver {
public:
    // Bytes read from the port, as they came (any chunking).
    virtual void dmBytes(std::span<const uint8_t> bytes) = 0;
    // The port hung up or failed: nothing more comes.
    virtual void dmClosed(std::string_view why) = 0;

protected:
    ~DmPortObserver() = default;
};

class DmChannel {
public:
    virtual ~DmChannel() = default;  // closes the port
    // Writes without blocking; false when not all of it could be written now.
    virtual bool write(std::span<const uint8_t> bytes) = 0;
};

// Why the port could not be opened.
class DmPortError : public std::runtime_error {
public:
    enum class Kind { Absent, Busy, Failed };
    DmPortError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

class DmPortOpener {
public:
    virtual ~DmPortOpener() = default;
    // Throws DmPortError. The observer is called from the event loop until the channel dies.
    virtual std::unique_ptr<DmChannel> open(const std::string& path, DmPortObserver& observer) = 0;
};

struct DmRecorderSettings {
    std::string port;                                // the DM tty; empty: none known
    size_t ringBytes = kDefaultDmLogSize;            // dm-log-size
    std::vector<std::vector<uint8_t>> maskCommands;  // framed, sent as they are; empty: the built-in mask
    // How long the module has to answer the log-config command before the recorder gives up.
    std::chrono::microseconds answerTimeout = std::chrono::seconds(5);
};

// What freeze() gives for a Hangup.
struct DmLogFreeze {
    // Why there is no DM log, or why it is incomplete ("the DM port /dev/ttyUSB0 does not exist");
    // empty when the module answered and logged.
    std::string problem;
    std::vector<uint8_t> qmdl;  // the frames, framed again: the .qmdl file's bytes
    size_t frames = 0;
    std::chrono::microseconds span{0};  // from the oldest frame kept to the newest
    uint64_t badFrames = 0;             // frames read whose CRC or escaping failed (not kept)
    uint64_t evictedFrames = 0;         // frames dropped for newer ones (the ring was full)
    // Every session end seen in the window, oldest first, and the network's stated cause among
    // them (an index into it), with how long before the freeze it came.
    std::vector<NasSessionEnd> sessionEnds;
    std::optional<size_t> cause;
    std::chrono::microseconds causeBeforeEnd{0};
    std::chrono::steady_clock::time_point frozenAt{};  // the session ends' times are before this

    bool hasLog() const { return frames > 0; }
};

class DmRecorder final : private DmPortObserver {
public:
    DmRecorder(DmRecorderSettings settings, DmPortOpener& opener, Scheduler& scheduler);
    ~DmRecorder();
    DmRecorder(const DmRecorder&) = delete;
    DmRecorder& operator=(const DmRecorder&) = delete;

    // A USB modem's DM port may come and go with the module ("" : none now).
    void setPort(std::string port) { settings_.port = std::move(port); }

    // A call attempt begins: opens the port, sends the mask, keeps what comes. A recorder that
    // is already running goes on (a redial keeps the frames before it). The previous window is
    // dropped when it starts afresh. Never throws: a port that cannot be used is noted for
    // freeze().
    void start();
    // No call is up any more: logging off (the DISABLE command), the port closed. The frames
    // stay until the next start().
    void stop();
    // The end of a call: what was kept, and what it says.
    DmLogFreeze freeze() const;

    bool running() const { return channel_ != nullptr; }
    // The module answered the log-config command (the mask is in force).
    bool answered() const { return answered_; }
    const DiagFrameRing& ring() const { return ring_; }

private:
    void dmBytes(std::span<const uint8_t> bytes) override;
    void dmClosed(std::string_view why) override;
    void frame(std::span<const uint8_t> payload);
    void giveUp(std::string why);
    void send(std::span<const uint8_t> framed);
    DiagFrameRing::Clock::time_point now() const;

    DmRecorderSettings settings_;
    DmPortOpener& opener_;
    Scheduler& scheduler_;
    std::unique_ptr<DmChannel> channel_;
    std::unique_ptr<TimerHandle> answerTimer_;
    HdlcSplitter splitter_;
    DiagFrameRing ring_;
    bool answered_ = false;
    std::string problem_;
    uint64_t badFramesBefore_ = 0;  // the splitter's count when this window began
};

// The Hangup's lines about the DM log: "DM log: 1234 frames, 56789 bytes, 42.0 s, saved as
// FILE" (or why there is none) and, with a cause, "network: ESM cause #36 regular deactivation
// (NAS, 0.8 s before the end)", then each session end seen with its time. `savedAs` empty: not
// saved (`saveProblem` says why, if anything).
std::string describeDmLog(const DmLogFreeze& log, const std::string& savedAs, const std::string& saveProblem);
// "network: ESM cause #36 regular deactivation" for the summary line; empty without a cause.
std::string dmNetworkCauseSummary(const DmLogFreeze& log);

}  // namespace dialupd
