// SPDX-License-Identifier: GPL-2.0-or-later
// An AT command channel: a tty in the daemon (sys/tty_at_port), a script in unit tests. The
// diagnostic snapshot opens the AT port after pppd has exited; module recovery also opens the
// modem port, only while no pppd runs on it. In the core only AtSession (at_session.h) talks
// to a channel: the snapshot, the recovery and every later AT exchange go through it.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dialupd {

class AtChannelObserver {
public:
    // One line from the modem, without CR/LF, as it came: any bytes (the observer sanitizes it).
    virtual void atLine(std::string_view line) = 0;
    virtual void atClosed(std::string_view why) = 0;  // the tty hung up or failed: no more lines

protected:
    ~AtChannelObserver() = default;
};

class AtChannel {
public:
    virtual ~AtChannel() = default;                       // closes the port and releases its lock
    virtual void send(std::string_view commandLine) = 0;  // "AT+CSQ"; the CR is added here
    virtual void sendRaw(std::string_view bytes) = 0;     // as they are ("+++" must have no CR)
    // As send(), for a command that carries a secret (AT+CPIN="<pin>"): never logged, and
    // whatever copy the channel makes is wiped. The default suits a channel that logs nothing.
    virtual void sendSecret(std::string_view commandLine) { send(commandLine); }
};

// Why a port could not be opened: recorded in the snapshot as such.
class AtPortError : public std::runtime_error {
public:
    enum class Kind { Absent, Busy, Failed };
    AtPortError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

class AtPortOpener {
public:
    virtual ~AtPortOpener() = default;
    // Throws AtPortError. The observer is called from the event loop until the channel dies.
    virtual std::unique_ptr<AtChannel> open(const std::string& path, AtChannelObserver& observer) = 0;
};

}  // namespace dialupd
