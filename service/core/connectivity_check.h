// SPDX-License-Identifier: GPL-2.0-or-later
// The connectivity watchdog: while a call is connected, a probe over the link every
// check-interval proves that data still gets through (a network may keep answering LCP echo while
// its data path is dead, so pppd never notices). Skipped when the interface received bytes since
// the last check (traffic already proves the path); after a failed check, checks follow at
// check-retry-interval; check-failures failed checks in a row end the call (reason 65
// connectivity-lost). One timer at a time, and none without a connected call. Pure logic: the
// probes and the interface's counter come in through ConnectivityProber (sys/ implements it
// with sockets bound to the ppp interface), time through the Scheduler.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler.h"

namespace dialupd {

enum class CheckKind { None, Icmp, Dns, Tcp };
std::string_view toString(CheckKind kind);  // "none", "icmp", "dns", "tcp"
std::optional<CheckKind> parseCheckKind(std::string_view text);

// Where a probe goes: a numeric address (no name: resolving it would need the link itself),
// with a port for a TCP check.
struct CheckTarget {
    int family = 0;            // AF_INET or AF_INET6
    std::string address;       // numeric, as inet_ntop writes it
    uint16_t port = 0;         // TCP only; 0 otherwise
    std::string text() const;  // "10.64.0.53", "10.64.0.53:80", "[2001:db8::1]:443"
    bool operator==(const CheckTarget&) const = default;
};
// "ADDRESS" (withPort false) or "ADDRESS:PORT" / "[IPV6]:PORT" (withPort true, port 1..65535);
// nullopt for anything else.
std::optional<CheckTarget> parseCheckTarget(std::string_view text, bool withPort);
// check-targets: targets separated by spaces or commas; nullopt (and `bad` set to the word)
// when one does not parse.
std::optional<std::vector<CheckTarget>> parseCheckTargets(std::string_view text, bool withPort, std::string& bad);
// A DNS name for check-name: labels of letters, digits, '-' and '_', 1 to 63 bytes each, at
// most 253 in all, a trailing '.' allowed.
bool isCheckName(std::string_view name);

struct ConnectivityCheckSettings {
    CheckKind kind = CheckKind::None;
    uint32_t intervalSeconds = 300;      // check-interval
    uint32_t retryIntervalSeconds = 10;  // check-retry-interval: after a failed check
    uint32_t failures = 3;               // check-failures: failed checks in a row that end the call
    uint32_t timeoutSeconds = 5;         // check-timeout: one probe's wait for its answer
    // check-targets, as written (parsed when the whole section is read, once `kind` is known);
    // empty: the network's DNS servers (icmp, dns).
    std::string targetsText;
    std::vector<CheckTarget> targets;
    std::string name;  // check-name: what a dns check asks for (an A record)

    bool operator==(const ConnectivityCheckSettings&) const = default;
};
// After a section is read: the targets parsed for the kind; the problem for the config error
// ("check = tcp needs check-targets as host:port"), or nullopt.
std::optional<std::string> finishCheckSettings(ConnectivityCheckSettings& settings);

// One probe, as the prober is asked for it.
struct ProbeRequest {
    CheckKind kind = CheckKind::Icmp;
    std::string interface;  // the ppp interface the probe's socket is bound to
    CheckTarget target;     // TCP: with its port; ICMP, DNS: port 0 (DNS goes to 53)
    std::string name;       // DNS: the name asked for
    uint16_t sequence = 0;  // ICMP sequence number, DNS query id: tells this probe's answer
};

// What came back; the prober never reports a timeout (the watchdog's own timer does).
struct ProbeAnswer {
    bool ok = false;     // the path works: an echo reply, a DNS answer with the query's id, a connect
    std::string answer;  // "echo reply from 10.64.0.53, 24 bytes", "connect: Connection refused"
};

// A probe under way; destroying it cancels it (closes its socket, drops its callback).
class Probe {
public:
    virtual ~Probe() = default;
    // What was sent, for the call log: "ICMP echo request id 7 seq 3, 24 bytes".
    virtual std::string sent() const = 0;
};

class ConnectivityProber {
public:
    virtual ~ConnectivityProber() = default;
    // The interface's received-bytes counter; nullopt when it cannot be read.
    virtual std::optional<uint64_t> rxBytes(const std::string& interface) = 0;
    // Sends one probe; `answered` runs at most once, never from inside this call, and not after
    // the Probe is destroyed. A probe that could not even be sent answers with ok = false.
    virtual std::unique_ptr<Probe> start(const ProbeRequest& request, std::function<void(ProbeAnswer)> answered) = 0;
};

class ConnectivityWatchdog final {
public:
    using Note = std::function<void(std::string_view line)>;
    // check-failures checks in a row failed: `why` summarises them (each probe was noted).
    using Lost = std::function<void(const std::string& why)>;

    // Starts watching `interface` (connected now): the counter's value now, and the first
    // check in one interval. `targets` must not be empty.
    ConnectivityWatchdog(const ConnectivityCheckSettings& settings, std::string interface,
                         std::vector<CheckTarget> targets, Scheduler& scheduler, ConnectivityProber& prober, Note note,
                         Lost lost);
    ~ConnectivityWatchdog();
    ConnectivityWatchdog(const ConnectivityWatchdog&) = delete;
    ConnectivityWatchdog& operator=(const ConnectivityWatchdog&) = delete;

    // Called on every failed check, before the streak may end the call (the counters' hook).
    void onCheckFailed(std::function<void()> hook) { checkFailedHook_ = std::move(hook); }

    uint32_t failuresInARow() const { return failures_; }
    uint64_t probesSent() const { return probesSent_; }
    uint64_t checksSkipped() const { return checksSkipped_; }

private:
    void schedule(std::chrono::seconds delay);
    void check();
    void sendProbe();
    void probeAnswered(ProbeAnswer answer);
    void probeTimedOut();
    void probeFailed(const std::string& line);
    void checkFailed();
    void checkSucceeded();

    const ConnectivityCheckSettings settings_;
    const std::string interface_;
    const std::vector<CheckTarget> targets_;
    Scheduler& scheduler_;
    ConnectivityProber& prober_;
    Note note_;
    Lost lost_;

    std::unique_ptr<TimerHandle> timer_;  // the next check, or the probe's timeout: one at a time
    std::unique_ptr<Probe> probe_;
    size_t targetIndex_ = 0;
    std::optional<uint64_t> lastRx_;
    uint32_t failures_ = 0;
    std::function<void()> checkFailedHook_;
    uint16_t sequence_ = 0;
    uint64_t probesSent_ = 0;
    uint64_t checksSkipped_ = 0;
    bool confirmedOnce_ = false;
    std::vector<std::string> streak_;  // the failed probes of the failures in a row
};

}  // namespace dialupd
