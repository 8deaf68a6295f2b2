// SPDX-License-Identifier: GPL-2.0-or-later
// One conversation with a module over an AT port: open it (under its UUCP lock), send a
// command and wait for its final result within the command's own timeout, send raw bytes
// ("+++", which must have no CR), keep the line quiet for a guard time, cancel what waits, let
// the port go. The AT snapshot after a hangup and the recovery ladder are sequences of steps
// over it; so are the readiness checks (AT+CPIN?, registration) to come.
//
// The rules, in one place:
// - One port per session, held from open() until close() or the session's end. The port's
//   UUCP lock (sys/tty_at_port) goes with the channel: while a session holds a port, pppd, chat
//   and every other session find it busy (open() throws AtPortError::Kind::Busy), and the other
//   way round. A channel may be closed from inside its own callback, so it is let go on a later
//   turn of the loop: a port closed now can be opened again from the next turn on.
// - One command at a time. Its callback is called exactly once, unless cancel() or close()
//   comes first or the session ends (then never): with the final result, when the timeout
//   passes, or when the port closes (hangs up) first.
// - Callbacks never run from inside send(), sendRaw(), guard() or open(); they run from the
//   loop (the channel's line, a timer, a later turn). A callback may send the next command,
//   close the port or destroy the session.
// - What the module says enters the core here: every line handed out is trimmed and clean
//   text (text.h), final result codes included.
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
#include "secret.h"

namespace dialupd {

// The final result codes of V.250 and 27.007: what ends a command's answer.
enum class AtFinal { Ok, Error, CmeError, CmsError, NoCarrier, Busy, NoAnswer, NoDialtone, Connect };

// The final result `line` is (one trimmed line as it came: "+CME ERROR: 10", "CONNECT 150000000"),
// or nullopt for an intermediate line, an echo or an unsolicited result. The one parser.
std::optional<AtFinal> parseFinalResult(std::string_view line);
inline bool isFinalResult(std::string_view line) { return parseFinalResult(line).has_value(); }
std::string_view toString(AtFinal final);

// `line` without the whitespace (CR, spaces) around it.
std::string_view trimmedAtLine(std::string_view line);

// How one command (or guard time) ended, and what the module said meanwhile.
struct AtResult {
    enum class End {
        Final,    // its final result came: `final`, `finalLine`
        Timeout,  // its time passed first (for guard(): the normal end)
        Closed,   // the port hung up first, or was not open: `closedWhy`
    };
    End end = End::Timeout;
    std::optional<AtFinal> final;
    std::string finalLine;           // "+CME ERROR: 10", clean text
    std::vector<std::string> lines;  // the intermediate lines in order (no echo), at most kMaxLines
    std::string lastLine;            // the last line heard, the final one included ("" for none)
    std::string closedWhy;

    static constexpr size_t kMaxLines = 32;  // a flooding port cannot grow it
    bool ok() const { return final == AtFinal::Ok; }
};

class AtSession final {
public:
    using Callback = std::function<void(AtResult result)>;
    // What comes outside any command: a line heard while none waits (an unsolicited result,
    // a late answer), and the port hanging up (after the waiting command's callback, if any).
    struct Events {
        std::function<void(std::string_view line)> unsolicited;
        std::function<void(std::string_view why)> closed;
    };

    AtSession(AtPortOpener& opener, Scheduler& scheduler, Events events = {});
    ~AtSession();  // lets the port go; no callback runs after
    AtSession(const AtSession&) = delete;
    AtSession& operator=(const AtSession&) = delete;

    // Opens `path` (closing the port held before, if any). Throws AtPortError: Absent, Busy
    // (its lock is held) or Failed.
    void open(const std::string& path);
    // Cancels what waits and lets the port (and its lock) go on a later turn. Lines and
    // hang-ups of the old port reach nobody from now on.
    void close();
    bool isOpen() const { return static_cast<bool>(port_); }
    bool hungUp() const { return port_ && hungUp_; }  // open, but the far end hung up
    const std::string& path() const;

    // Sends "AT..." (the CR is added) and waits up to `timeout` for its final result. A line
    // equal to the command is its echo (ATE1) and is dropped.
    void send(std::string_view command, std::chrono::milliseconds timeout, Callback done);
    // As send(), for a command that carries a secret (AT+CPIN="<pin>"): the channel neither
    // logs it nor keeps a copy, and the session wipes its own (kept to tell the echo) when the
    // command ends. Its result's lines stay the caller's to keep out of logs: an echo the
    // module garbled would be among them.
    void sendSecret(std::string_view command, std::chrono::milliseconds timeout, Callback done);
    // Sends `bytes` as they are ("+++") and waits up to `timeout` for a final result. For the
    // escape sequence the module wants a guard time of silence on both sides: guard() before,
    // and a `timeout` that covers the guard time after plus the answer.
    void sendRaw(std::string_view bytes, std::chrono::milliseconds timeout, Callback done);
    // Sends nothing for `quiet`: ends with Timeout (lines heard meanwhile are in the result's
    // lines, they do not end it), or with Closed if the port hangs up. With no port open only
    // the time ends it (a pause between tries).
    void guard(std::chrono::milliseconds quiet, Callback done);
    // Drops the waiting command: its callback is not called. A late answer to it comes as
    // unsolicited lines, or is taken for the next command's: an owner that cancels a command
    // the module may still answer should rather close the port.
    void cancel();
    bool waiting() const { return static_cast<bool>(pending_); }

    // Runs `work` on a later turn of the loop, unless the session has ended by then: for an
    // owner that must report from outside its own call or callback, and is gone with the session.
    void later(std::function<void()> work);

private:
    class Listener;
    struct Port;
    struct Pending {
        Callback done;
        std::string echo;  // the command as sent, to tell its echo (wiped at the end: sendSecret)
        bool endsOnFinal;  // false for guard()
        AtResult result;
        std::unique_ptr<TimerHandle> timer;
    };

    void start(std::string_view echo, bool endsOnFinal, std::chrono::milliseconds timeout, Callback done);
    void heard(std::string_view raw);
    void portHungUp(std::string_view why);
    void complete(AtResult::End end);
    void letGo(std::unique_ptr<Port> port);

    AtPortOpener& opener_;
    Scheduler& scheduler_;
    Events events_;
    std::unique_ptr<Port> port_;
    bool hungUp_ = false;
    std::string hungUpWhy_;
    std::optional<Pending> pending_;
    unsigned generation_ = 0;  // a deferred Closed finds it changed when its command was dropped
    int dispatching_ = 0;      // inside the channel's or a timer's callback
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace dialupd
