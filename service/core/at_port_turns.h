// SPDX-License-Identifier: GPL-2.0-or-later
// A modem's AT port between its users. The live status (live_status.h) holds the port open
// between uses to hear the module's unsolicited result codes; the AT snapshot after a hangup,
// module recovery and the readiness check before a dial open the port themselves (its UUCP lock
// makes every opener exclusive), so each takes its turn: take(whenFree) asks the holder to let
// the port go and runs `whenFree` once it has (at once when the holder has nothing waiting);
// giveBack() ends the turn, and the holder reopens the port when every turn has ended. A
// giveBack() before `whenFree` ran cancels that turn: `whenFree` is then never called.
// Without a holder (no live status) `whenFree` runs at once and giveBack() does nothing.
#pragma once

#include <functional>
#include <utility>

#include "live_status.h"

namespace dialupd {

class AtPortTurns final {
public:
    void setHolder(LiveStatus* holder) { holder_ = holder; }
    // The live status holding the port between turns (nullptr: none), for what it knows.
    const LiveStatus* holder() const { return holder_; }

    void take(std::function<void()> whenFree) {
        if (holder_)
            holder_->suspend(std::move(whenFree));
        else
            whenFree();
    }
    void giveBack() {
        if (holder_) holder_->resume();
    }

private:
    LiveStatus* holder_ = nullptr;
};

}  // namespace dialupd
