// SPDX-License-Identifier: GPL-2.0-or-later
#include "at_session.h"

#include <array>
#include <cctype>
#include <stdexcept>
#include <utility>

#include "text.h"

namespace dialupd {

namespace {

struct FinalCode {
    std::string_view text;
    AtFinal final;
    bool takesSuffix;  // "+CME ERROR: <n>", "CONNECT <rate>"
};

constexpr std::array<FinalCode, 9> kFinalCodes = {{
    {"OK", AtFinal::Ok, false},
    {"ERROR", AtFinal::Error, false},
    {"+CME ERROR:", AtFinal::CmeError, true},
    {"+CMS ERROR:", AtFinal::CmsError, true},
    {"NO CARRIER", AtFinal::NoCarrier, false},
    {"BUSY", AtFinal::Busy, false},
    {"NO ANSWER", AtFinal::NoAnswer, false},
    {"NO DIALTONE", AtFinal::NoDialtone, false},
    {"CONNECT", AtFinal::Connect, true},
}};

}  // namespace

std::optional<AtFinal> parseFinalResult(std::string_view line) {
    for (const FinalCode& code : kFinalCodes) {
        if (line == code.text) return code.final;
        if (!code.takesSuffix || !line.starts_with(code.text)) continue;
        // "+CME ERROR:" takes anything after it; "CONNECT" only after a space ("CONNECTED" is not one).
        if (code.text.back() == ':' || line[code.text.size()] == ' ') return code.final;
    }
    return std::nullopt;
}

std::string_view toString(AtFinal final) {
    for (const FinalCode& code : kFinalCodes)
        if (code.final == final) return code.text;
    return "unknown";
}

std::string_view trimmedAtLine(std::string_view line) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    return line;
}

// Hears one opened channel for its session, until the session lets it go (then nobody).
class AtSession::Listener final : public AtChannelObserver {
public:
    explicit Listener(AtSession* owner) : owner_(owner) {}
    void atLine(std::string_view line) override {
        dispatch([line](AtSession& session) { session.heard(line); });
    }
    void atClosed(std::string_view why) override {
        dispatch([why](AtSession& session) { session.portHungUp(why); });
    }
    AtSession* owner_;

private:
    // While the session is called from the channel, it knows it: destroyed then, it lets the
    // channel go on a later turn instead of under the channel's feet.
    template <typename Call>
    void dispatch(Call call) {
        if (!owner_) return;
        AtSession& session = *owner_;
        std::shared_ptr<bool> alive = session.alive_;
        ++session.dispatching_;
        call(session);
        if (*alive) --session.dispatching_;
    }
};

// The channel is declared last: destroyed first, it can no longer call the listener.
struct AtSession::Port {
    std::string path;
    std::unique_ptr<Listener> listener;
    std::unique_ptr<AtChannel> channel;
};

AtSession::AtSession(AtPortOpener& opener, Scheduler& scheduler, Events events)
    : opener_(opener), scheduler_(scheduler), events_(std::move(events)) {}

AtSession::~AtSession() {
    *alive_ = false;
    if (pending_) wipeSecret(pending_->echo);
    pending_.reset();
    if (port_) {
        port_->listener->owner_ = nullptr;
        // Destroyed from inside the channel's own callback: the channel must outlive that call.
        if (dispatching_ > 0) letGo(std::move(port_));
    }
}

const std::string& AtSession::path() const {
    static const std::string none;
    return port_ ? port_->path : none;
}

void AtSession::open(const std::string& path) {
    close();
    auto port = std::make_unique<Port>();
    port->path = path;
    port->listener = std::make_unique<Listener>(this);
    port->channel = opener_.open(path, *port->listener);  // throws AtPortError
    port_ = std::move(port);
    hungUp_ = false;
    hungUpWhy_.clear();
}

void AtSession::close() {
    cancel();
    if (port_) letGo(std::move(port_));
    hungUp_ = false;
}

void AtSession::letGo(std::unique_ptr<Port> port) {
    port->listener->owner_ = nullptr;
    // This may run inside the channel's own callback: let it (and the port's lock) go on a
    // later turn.
    scheduler_.defer([port = std::shared_ptr<Port>(std::move(port))] {});
}

void AtSession::cancel() {
    if (!pending_) return;
    ++generation_;
    wipeSecret(pending_->echo);
    pending_.reset();
}

void AtSession::later(std::function<void()> work) {
    scheduler_.defer([alive = alive_, work = std::move(work)] {
        if (*alive) work();
    });
}

void AtSession::send(std::string_view command, std::chrono::milliseconds timeout, Callback done) {
    start(command, true, timeout, std::move(done));
    if (port_ && !hungUp_) port_->channel->send(command);
}

void AtSession::sendSecret(std::string_view command, std::chrono::milliseconds timeout, Callback done) {
    start(command, true, timeout, std::move(done));
    if (port_ && !hungUp_) port_->channel->sendSecret(command);
}

void AtSession::sendRaw(std::string_view bytes, std::chrono::milliseconds timeout, Callback done) {
    start(bytes, true, timeout, std::move(done));
    if (port_ && !hungUp_) port_->channel->sendRaw(bytes);
}

void AtSession::guard(std::chrono::milliseconds quiet, Callback done) { start("", false, quiet, std::move(done)); }

void AtSession::start(std::string_view echo, bool endsOnFinal, std::chrono::milliseconds timeout, Callback done) {
    if (pending_) throw std::logic_error("AtSession: a command is already waiting");
    pending_.emplace(Pending{std::move(done), std::string(echo), endsOnFinal, {}, nullptr});
    bool closed = port_ ? hungUp_ : endsOnFinal;
    if (closed) {
        // Nothing can answer: ends as Closed, on a later turn (never from inside this call).
        std::string why = port_ ? hungUpWhy_ : "the port is not open";
        scheduler_.defer([this, alive = alive_, generation = generation_, why = std::move(why)] {
            if (!*alive || generation != generation_ || !pending_) return;
            pending_->result.closedWhy = why;
            complete(AtResult::End::Closed);
        });
        return;
    }
    pending_->timer = scheduler_.after(timeout, [this] { complete(AtResult::End::Timeout); });
}

void AtSession::heard(std::string_view raw) {
    // The module's text enters the core here: from now on it is clean (text.h).
    std::string line = sanitizeText(trimmedAtLine(raw));
    if (line.empty()) return;
    if (!pending_) {
        if (events_.unsolicited) events_.unsolicited(line);
        return;
    }
    if (!pending_->echo.empty() && line == pending_->echo) {  // ATE1
        wipeSecret(line);                                     // it may be a secret command's
        return;
    }
    AtResult& result = pending_->result;
    result.lastLine = line;
    if (pending_->endsOnFinal) {
        if (std::optional<AtFinal> final = parseFinalResult(line)) {
            result.final = final;
            result.finalLine = line;
            complete(AtResult::End::Final);
            return;
        }
    }
    if (result.lines.size() < AtResult::kMaxLines) result.lines.push_back(line);
}

void AtSession::portHungUp(std::string_view why) {
    hungUp_ = true;
    hungUpWhy_ = std::string(why);
    std::shared_ptr<bool> alive = alive_;
    if (pending_) {
        pending_->result.closedWhy = hungUpWhy_;
        complete(AtResult::End::Closed);
    }
    if (*alive && events_.closed) events_.closed(why);
}

void AtSession::complete(AtResult::End end) {
    // The state is cleared before the callback, which may send the next command or destroy the
    // session; nothing of `this` is touched after it.
    wipeSecret(pending_->echo);
    Pending pending = std::move(*pending_);
    pending_.reset();
    ++generation_;
    pending.result.end = end;
    Callback done = std::move(pending.done);
    done(std::move(pending.result));
}

}  // namespace dialupd
