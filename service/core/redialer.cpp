// SPDX-License-Identifier: GPL-2.0-or-later
#include "redialer.h"

#include <fmt/format.h>

#include "reconnect.h"

namespace dialupd {

Redialer::Redialer(Scheduler& scheduler, std::function<double()> random, Note note, Due due)
    : scheduler_(scheduler), random_(std::move(random)), note_(std::move(note)), due_(std::move(due)) {}

void Redialer::remember(const CallSettings& call) {
    if (!call.reconnect.enabled.value_or(false)) return;
    plan_ = call;
    settings_ = call.reconnect;
}

void Redialer::schedule(bool canHelp, std::vector<ModemProperty>& changed, std::string_view why) {
    if (!plan_) return;
    if (!canHelp) {
        note_(fmt::format("no redial: {}", why));
        plan_.reset();
        return;
    }
    if (settings_.maxAttempts != 0 && attempts_ >= settings_.maxAttempts) {
        note_(fmt::format("no redial: {} in a row did not bring the link up (reconnect-attempts)", attempts_));
        plan_.reset();
        return;
    }
    ++attempts_;
    waiting_ = false;
    auto delay = reconnectDelay(settings_, attempts_, random_());
    nextUsec_ = scheduler_.realtimeNowUsec() + static_cast<uint64_t>(delay.count());
    timer_ = scheduler_.after(delay, [this] {
        timer_.reset();
        nextUsec_ = 0;
        due_();
    });
    note_(fmt::format("redial {} in {:.1f} s", attempts_, std::chrono::duration<double>(delay).count()));
    changed.push_back(ModemProperty::ReconnectAttempts);
    changed.push_back(ModemProperty::NextReconnect);
}

void Redialer::waitUntil(uint64_t dueUsec, std::chrono::microseconds delay, std::vector<ModemProperty>& changed,
                         std::string_view why) {
    if (!plan_) return;
    waiting_ = false;
    nextUsec_ = dueUsec;
    timer_ = scheduler_.after(delay, [this] {
        timer_.reset();
        nextUsec_ = 0;
        due_();
    });
    note_(fmt::format("redial in {:.1f} h: {}", std::chrono::duration<double, std::ratio<3600>>(delay).count(), why));
    changed.push_back(ModemProperty::NextReconnect);
}

bool Redialer::waitForEvent(std::vector<ModemProperty>& changed, std::string_view why) {
    if (!plan_) return false;
    if (settings_.maxAttempts != 0 && attempts_ >= settings_.maxAttempts) {
        schedule(true, changed);  // says so, and drops the plan
        return false;
    }
    timer_.reset();
    waiting_ = true;
    nextUsec_ = kRedialAwaitsEvent;
    note_(why);
    changed.push_back(ModemProperty::NextReconnect);
    return true;
}

void Redialer::eventCame(std::vector<ModemProperty>& changed) {
    if (!waiting_) return;
    waiting_ = false;
    nextUsec_ = scheduler_.realtimeNowUsec();
    timer_ = scheduler_.after(std::chrono::microseconds(0), [this] {
        timer_.reset();
        nextUsec_ = 0;
        due_();
    });
    changed.push_back(ModemProperty::NextReconnect);
}

void Redialer::cancel(std::vector<ModemProperty>& changed) {
    plan_.reset();
    timer_.reset();
    waiting_ = false;
    if (nextUsec_ != 0) {
        nextUsec_ = 0;
        changed.push_back(ModemProperty::NextReconnect);
    }
    if (attempts_ != 0) {
        attempts_ = 0;
        changed.push_back(ModemProperty::ReconnectAttempts);
    }
}

void Redialer::linkUp(std::vector<ModemProperty>& changed) {
    if (attempts_ == 0) return;
    attempts_ = 0;
    changed.push_back(ModemProperty::ReconnectAttempts);
}

}  // namespace dialupd
