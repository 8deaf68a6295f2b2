// Brings a module that stopped answering back to command mode. After pppd died without
// hanging up (SIGKILL, a crash, a daemon that was killed), an EC25 can be left in data mode,
// swallowing everything on its modem port: the next dial's "AT" gets no OK. The ladder is the
// one Quectel's notes and ModemManager's port probing use, gentlest first, stopping at the
// first rung that brings back OK:
//   1. probe:  "AT" on the modem port (the module may be fine: nothing to do)
//   2. escape: "+++" between guard times, then ATH, on the modem port
//   3. reboot: AT+CFUN=1,1 on the AT port, then wait for the modem port to answer again (a
//              USB module re-enumerates: its ttys go away and come back)
//   4. usb-reset: de-authorize and re-authorize the USB device, then wait likewise
// Every step is told to `note` as it happens (the call log and the journal).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "at_channel.h"
#include "scheduler.h"

namespace dialupd {

struct RecoveryLimits {
    std::chrono::milliseconds answer{1000};       // for an OK to a command
    std::chrono::milliseconds guard{1200};        // silence before and after "+++" (the module's S12 is 1 s)
    std::chrono::milliseconds rebootWait{45000};  // for the modem port to answer after a reboot or reset
    std::chrono::milliseconds poll{1000};         // between tries while waiting for it
};

// Where the module can be reached; asked again at every try, since a re-enumerated USB module
// may come back on other tty names.
struct RecoveryPorts {
    std::string modemPort;
    std::string atPort;       // "" or the modem port itself: no reboot rung
    std::string usbPortPath;  // "" for a modem on a fixed port: no USB reset rung
};

// USB reset through sysfs; throws std::runtime_error when it cannot be done.
class UsbResetter {
public:
    virtual ~UsbResetter() = default;
    virtual void reset(const std::string& usbPortPath) = 0;
};

class ModuleRecovery final : private AtChannelObserver {
public:
    using Note = std::function<void(std::string_view line)>;
    // The rung that brought OK back ("probe" when the module was fine), or nullopt when none did.
    using Done = std::function<void(std::optional<std::string> recoveredBy)>;

    ModuleRecovery(AtPortOpener& ports, Scheduler& scheduler, UsbResetter* usbResetter, RecoveryLimits limits,
                   Note note);
    ~ModuleRecovery();  // abandons a recovery in progress: `done` is not called
    ModuleRecovery(const ModuleRecovery&) = delete;
    ModuleRecovery& operator=(const ModuleRecovery&) = delete;

    // `done` is called from a later turn of the loop, never from inside start().
    void start(std::function<RecoveryPorts()> ports, Done done);
    bool running() const { return static_cast<bool>(done_); }

private:
    enum class Outcome { Ok, Failed, Silent, Closed };
    using Answered = std::function<void(Outcome outcome, std::string detail)>;

    void atLine(std::string_view line) override;
    void atClosed(std::string_view why) override;

    bool openPort(const std::string& path);
    void closePort();
    // Sends `text` ("AT" gets a CR, raw bytes do not) and waits up to `timeout` for a final result.
    void exchange(std::string_view text, bool raw, std::chrono::milliseconds timeout, Answered answered);
    void answer(Outcome outcome, std::string detail);
    void after(std::chrono::milliseconds delay, std::function<void()> then);

    void probe();
    void escape();
    void escapeHangUp();
    void reboot();
    void usbReset();
    void awaitReturn(std::string rung);
    void tryReturn();
    void finish(std::optional<std::string> recoveredBy);

    AtPortOpener& ports_;
    Scheduler& scheduler_;
    UsbResetter* usbResetter_;
    RecoveryLimits limits_;
    Note note_;
    std::function<RecoveryPorts()> where_;
    Done done_;
    std::chrono::microseconds startedAt_{0};

    std::unique_ptr<AtChannel> channel_;
    std::string channelPath_;
    Answered answered_;
    std::string lastLine_;
    std::unique_ptr<TimerHandle> timer_;

    // Waiting for the module to come back after a reboot or reset.
    std::string awaiting_;
    std::chrono::microseconds awaitDeadline_{0};
    std::string lastTryProblem_;

    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// An AT final result code, as opposed to an intermediate line or an echo.
bool isFinalResult(std::string_view line);

}  // namespace dialupd
