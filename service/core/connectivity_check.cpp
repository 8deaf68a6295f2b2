// SPDX-License-Identifier: GPL-2.0-or-later
#include "connectivity_check.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

namespace dialupd {

std::string_view toString(CheckKind kind) {
    switch (kind) {
        case CheckKind::None:
            return "none";
        case CheckKind::Icmp:
            return "icmp";
        case CheckKind::Dns:
            return "dns";
        case CheckKind::Tcp:
            return "tcp";
    }
    return "none";
}

std::optional<CheckKind> parseCheckKind(std::string_view text) {
    for (CheckKind kind : {CheckKind::None, CheckKind::Icmp, CheckKind::Dns, CheckKind::Tcp})
        if (text == toString(kind)) return kind;
    return std::nullopt;
}

std::string CheckTarget::text() const {
    if (port == 0) return address;
    return family == AF_INET6 ? fmt::format("[{}]:{}", address, port) : fmt::format("{}:{}", address, port);
}

namespace {

std::optional<CheckTarget> numericAddress(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos)
        return std::nullopt;
    const std::string terminated(text);
    unsigned char bytes[16];
    char written[INET6_ADDRSTRLEN];
    for (int family : {AF_INET, AF_INET6})
        if (inet_pton(family, terminated.c_str(), bytes) == 1 && inet_ntop(family, bytes, written, sizeof written))
            return CheckTarget{family, written, 0};
    return std::nullopt;
}

}  // namespace

std::optional<CheckTarget> parseCheckTarget(std::string_view text, bool withPort) {
    if (!withPort) return numericAddress(text);
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view host = text.substr(0, colon), portText = text.substr(colon + 1);
    const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
    if (bracketed) host = host.substr(1, host.size() - 2);
    uint32_t port = 0;
    auto [end, error] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (portText.empty() || error != std::errc() || end != portText.data() + portText.size() || port == 0 ||
        port > 65535)
        return std::nullopt;
    std::optional<CheckTarget> target = numericAddress(host);
    // An IPv6 address with a port is written in brackets (RFC 3986), an IPv4 one without.
    if (!target || bracketed != (target->family == AF_INET6)) return std::nullopt;
    target->port = static_cast<uint16_t>(port);
    return target;
}

std::optional<std::vector<CheckTarget>> parseCheckTargets(std::string_view text, bool withPort, std::string& bad) {
    std::vector<CheckTarget> targets;
    size_t at = 0;
    while (at < text.size()) {
        size_t begin = text.find_first_not_of(" \t,", at);
        if (begin == std::string_view::npos) break;
        size_t end = text.find_first_of(" \t,", begin);
        std::string_view word = text.substr(begin, end == std::string_view::npos ? text.size() - begin : end - begin);
        std::optional<CheckTarget> target = parseCheckTarget(word, withPort);
        if (!target) {
            bad = std::string(word);
            return std::nullopt;
        }
        targets.push_back(*target);
        at = begin + word.size();
    }
    return targets;
}

bool isCheckName(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > 253) return false;
    size_t label = 0;
    for (char c : name) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
        if (++label > 63) return false;
    }
    return label > 0;
}

std::optional<std::string> finishCheckSettings(ConnectivityCheckSettings& settings) {
    settings.targets.clear();
    if (settings.kind == CheckKind::None) return std::nullopt;
    const bool withPort = settings.kind == CheckKind::Tcp;
    std::string bad;
    std::optional<std::vector<CheckTarget>> targets = parseCheckTargets(settings.targetsText, withPort, bad);
    if (!targets)
        return withPort ? fmt::format(
                              "'check-targets' takes ADDRESS:PORT targets ([IPV6]:PORT) for check = tcp, got "
                              "'{}'",
                              bad)
                        : fmt::format(
                              "'check-targets' takes numeric IPv4 or IPv6 addresses (no names, no ports) for "
                              "check = {}, got '{}'",
                              toString(settings.kind), bad);
    if (targets->size() > 8) return std::string("'check-targets' takes at most 8 targets");
    settings.targets = std::move(*targets);
    if (withPort && settings.targets.empty())
        return std::string("check = tcp needs 'check-targets' (ADDRESS:PORT, e.g. 192.0.2.1:443)");
    if (settings.kind == CheckKind::Dns && settings.name.empty())
        return std::string("check = dns needs 'check-name' (the name whose A record is asked for)");
    if (settings.retryIntervalSeconds > settings.intervalSeconds)
        return fmt::format("'check-retry-interval' ({} s) must not be longer than 'check-interval' ({} s)",
                           settings.retryIntervalSeconds, settings.intervalSeconds);
    if (settings.timeoutSeconds > settings.intervalSeconds)
        return fmt::format("'check-timeout' ({} s) must not be longer than 'check-interval' ({} s)",
                           settings.timeoutSeconds, settings.intervalSeconds);
    return std::nullopt;
}

ConnectivityWatchdog::ConnectivityWatchdog(const ConnectivityCheckSettings& settings, std::string interface,
                                           std::vector<CheckTarget> targets, Scheduler& scheduler,
                                           ConnectivityProber& prober, Note note, Lost lost)
    : settings_(settings),
      interface_(std::move(interface)),
      targets_(std::move(targets)),
      scheduler_(scheduler),
      prober_(prober),
      note_(std::move(note)),
      lost_(std::move(lost)) {
    lastRx_ = prober_.rxBytes(interface_);
    std::vector<std::string> names;
    for (const CheckTarget& target : targets_) names.push_back(target.text());
    note_(fmt::format(
        "connectivity check: {} over {} to {} every {} s (skipped while the link receives), {} s between retries, "
        "the call ends after {} failed checks in a row",
        toString(settings_.kind), interface_, fmt::join(names, " "), settings_.intervalSeconds,
        settings_.retryIntervalSeconds, settings_.failures));
    schedule(std::chrono::seconds(settings_.intervalSeconds));
}

ConnectivityWatchdog::~ConnectivityWatchdog() = default;

void ConnectivityWatchdog::schedule(std::chrono::seconds delay) {
    timer_ = scheduler_.after(delay, [this] { check(); });
}

void ConnectivityWatchdog::check() {
    timer_.reset();
    std::optional<uint64_t> rx = prober_.rxBytes(interface_);
    if (rx && lastRx_ && *rx > *lastRx_) {
        // Traffic came in since the last check: the path works, no probe needed.
        ++checksSkipped_;
        const uint64_t received = *rx - *lastRx_;
        spdlog::debug("connectivity check on {} skipped: {} bytes received since the last check", interface_, received);
        lastRx_ = rx;
        if (failures_ > 0) {
            note_(fmt::format("connectivity check: {} received {} bytes since the last check: the path works",
                              interface_, received));
            failures_ = 0;
            streak_.clear();
        }
        schedule(std::chrono::seconds(settings_.intervalSeconds));
        return;
    }
    targetIndex_ = 0;
    sendProbe();
}

void ConnectivityWatchdog::sendProbe() {
    ProbeRequest request;
    request.kind = settings_.kind;
    request.interface = interface_;
    request.target = targets_[targetIndex_];
    request.name = settings_.name;
    request.sequence = ++sequence_;
    ++probesSent_;
    probe_ = prober_.start(request, [this](ProbeAnswer answer) { probeAnswered(std::move(answer)); });
    timer_ = scheduler_.after(std::chrono::seconds(settings_.timeoutSeconds), [this] { probeTimedOut(); });
}

void ConnectivityWatchdog::probeAnswered(ProbeAnswer answer) {
    timer_.reset();
    const std::string line =
        fmt::format("connectivity check {}/{}: {} to {} over {}, sent {}: {}", failures_ + 1, settings_.failures,
                    toString(settings_.kind), targets_[targetIndex_].text(), interface_, probe_->sent(), answer.answer);
    scheduler_.deferRelease(std::move(probe_));  // its callback is running
    if (answer.ok) {
        // The first success of the call and the one that ends a run of failures go in the log;
        // the others only to the journal's debug level (one a check-interval, all day long).
        if (!confirmedOnce_ || failures_ > 0)
            note_(line);
        else
            spdlog::debug("{}", line);
        confirmedOnce_ = true;
        checkSucceeded();
        return;
    }
    probeFailed(line);
}

void ConnectivityWatchdog::probeTimedOut() {
    timer_.reset();
    const std::string line =
        fmt::format("connectivity check {}/{}: {} to {} over {}, sent {}: no answer within {} s", failures_ + 1,
                    settings_.failures, toString(settings_.kind), targets_[targetIndex_].text(), interface_,
                    probe_ ? probe_->sent() : "nothing", settings_.timeoutSeconds);
    probe_.reset();
    probeFailed(line);
}

// A probe went unanswered: the next target, or the check failed when none is left.
void ConnectivityWatchdog::probeFailed(const std::string& line) {
    note_(line);
    streak_.push_back(line);
    if (++targetIndex_ < targets_.size()) {
        sendProbe();
        return;
    }
    checkFailed();
}

void ConnectivityWatchdog::checkSucceeded() {
    failures_ = 0;
    streak_.clear();
    lastRx_ = prober_.rxBytes(interface_);  // the answer itself came in: not traffic of others
    schedule(std::chrono::seconds(settings_.intervalSeconds));
}

void ConnectivityWatchdog::checkFailed() {
    ++failures_;
    if (checkFailedHook_) checkFailedHook_();
    lastRx_ = prober_.rxBytes(interface_);
    if (failures_ < settings_.failures) {
        schedule(std::chrono::seconds(settings_.retryIntervalSeconds));
        return;
    }
    const std::string why = fmt::format(
        "{} connectivity checks in a row failed ({} probes, each above): ending the call", failures_, streak_.size());
    timer_.reset();
    lost_(why);  // may destroy this watchdog: nothing after it
}

}  // namespace dialupd
