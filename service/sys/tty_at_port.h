// SPDX-License-Identifier: GPL-2.0-or-later
// AT ports for the diagnostic snapshot: the tty opened raw and non-blocking on the event
// loop, under the UUCP lock pppd and chat honour (/run/lock/LCK..ttyUSB2), so the snapshot
// never talks over another program on that port, and none talks over it.
#pragma once

#include <string>

#include "core/at_channel.h"
#include "event_loop.h"

namespace dialupd {

class TtyAtPortOpener final : public AtPortOpener {
public:
    // `lockDir`: where UUCP lock files live (/run/lock on Debian).
    TtyAtPortOpener(EventLoop& loop, std::string lockDir = "/run/lock") : loop_(loop), lockDir_(std::move(lockDir)) {}
    std::unique_ptr<AtChannel> open(const std::string& path, AtChannelObserver& observer) override;

private:
    EventLoop& loop_;
    std::string lockDir_;
};

}  // namespace dialupd
