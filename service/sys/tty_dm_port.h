// SPDX-License-Identifier: GPL-2.0-or-later
// The module's DM (DIAG) port for the DM log's recorder (core/dm_recorder.h): the tty opened raw
// and non-blocking, watched by the event loop, read in chunks, written without blocking. Held
// exclusively (TIOCEXCL) while open, so that no second reader splits the stream with us.
#pragma once

#include <string>

#include "core/dm_recorder.h"
#include "event_loop.h"

namespace dialupd {

class TtyDmPortOpener final : public DmPortOpener {
public:
    explicit TtyDmPortOpener(EventLoop& loop) : loop_(loop) {}
    std::unique_ptr<DmChannel> open(const std::string& path, DmPortObserver& observer) override;

private:
    EventLoop& loop_;
};

}  // namespace dialupd
