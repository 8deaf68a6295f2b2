// SPDX-License-Identifier: GPL-2.0-or-later
// Redialling after a call ended by itself (ReconnectSettings): the settings the next dial is made
// with (kept while reconnect is on for the call), how many redials in a row, when the next is
// due, and its timer. reconnect.h has the rules (delay, jitter, which ends a redial can mend).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "call_settings.h"
#include "modem_states.h"
#include "scheduler.h"

namespace dialupd {

// NextReconnect while the redial waits for an event rather than a time (waitForEvent): the
// highest value, never a real time.
inline constexpr uint64_t kRedialAwaitsEvent = UINT64_MAX;

class Redialer final {
public:
    using Note = std::function<void(std::string_view line)>;
    // The redial is due: NextReconnect is 0 again; plan() is what to dial, if anything.
    using Due = std::function<void()>;

    Redialer(Scheduler& scheduler, std::function<double()> random, Note note, Due due);
    Redialer(const Redialer&) = delete;
    Redialer& operator=(const Redialer&) = delete;

    // A call started with `call`: its settings are the next redial's when reconnect is on for it.
    void remember(const CallSettings& call);
    // No redial for the call being made (it could not start).
    void forget() { plan_.reset(); }
    const std::optional<CallSettings>& plan() const { return plan_; }
    // The call ended by itself: the next redial is scheduled, unless trying again cannot help,
    // the attempts are used up or no redial was planned.
    // `why` says in the log why no redial can help.
    void schedule(bool canHelp, std::vector<ModemProperty>& changed,
                  std::string_view why = "trying again cannot mend this");
    // The plan is kept but no redial can help before `dueUsec` (µs since the epoch; the next data
    // period, after a data-limit end): the redial is due then, `delay` from now, without
    // counting as an attempt. `why` says in the log what it waits for.
    void waitUntil(uint64_t dueUsec, std::chrono::microseconds delay, std::vector<ModemProperty>& changed,
                   std::string_view why);
    // The plan is kept but no redial can help before an event no timer can foresee (the module
    // registered again after the network detached it, Modem::waitForRegistration): no timer
    // runs, NextReconnect is kRedialAwaitsEvent, and the redial is due at eventCame(). Not
    // counted as an attempt. `why` says in the log what it waits for. False (and no redial, as
    // schedule() says) when no redial is planned or reconnect-attempts are used up.
    bool waitForEvent(std::vector<ModemProperty>& changed, std::string_view why);
    bool waitingForEvent() const { return waiting_; }
    // The awaited event came: the redial is due on the loop's next turn (the caller may be deep in
    // the code that saw the event).
    void eventCame(std::vector<ModemProperty>& changed);
    // No redial: the plan, the timer, the wait and the count are dropped.
    void cancel(std::vector<ModemProperty>& changed);
    // The link is up: the next trouble starts the backoff afresh.
    void linkUp(std::vector<ModemProperty>& changed);

    // A redial is to come: its timer runs, or it waits for an event.
    bool pending() const { return timer_ != nullptr || waiting_; }
    // Redials made since the link was last up (0 when none), and when the next one is due
    // (µs since the epoch; 0 when none is pending; kRedialAwaitsEvent while waiting for an event).
    uint32_t attempts() const { return attempts_; }
    uint64_t nextUsec() const { return nextUsec_; }

private:
    Scheduler& scheduler_;
    std::function<double()> random_;
    Note note_;
    Due due_;
    std::optional<CallSettings> plan_;
    ReconnectSettings settings_;
    uint32_t attempts_ = 0;
    uint64_t nextUsec_ = 0;
    bool waiting_ = false;  // waitForEvent
    std::unique_ptr<TimerHandle> timer_;
};

}  // namespace dialupd
