// SPDX-License-Identifier: GPL-2.0-or-later
// DNS through resolvconf(8) (Debian's resolvconf, openresolv, or systemd's resolvconf mode):
// `resolvconf -a <ifname>.dialupd` with "nameserver" lines on stdin, `resolvconf -d` to take
// them away. resolvconf runs as a child process watched in the loop, never waited for; one at a
// time, so a link's -a and -d reach the system in the order they were asked for.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "core/link_services.h"
#include "event_loop.h"

namespace dialupd {

class ResolvconfDns final : public DnsBackend {
public:
    static constexpr const char* kDefaultProgram = "/sbin/resolvconf";
    // A resolvconf that hangs (an update script waiting on something) is killed after this, so a
    // call's end cannot wait on it for ever.
    static constexpr std::chrono::seconds kDefaultTimeout{25};

    // `program`: resolvconf's path (tests give a stand-in).
    explicit ResolvconfDns(EventLoop& loop, std::string program = kDefaultProgram,
                           std::chrono::milliseconds timeout = kDefaultTimeout);
    // A resolvconf still running is left to finish its work (its record would be half written
    // otherwise); its result is dropped.
    ~ResolvconfDns() override;
    ResolvconfDns(const ResolvconfDns&) = delete;
    ResolvconfDns& operator=(const ResolvconfDns&) = delete;

    std::string_view name() const override { return "resolvconf"; }
    void apply(const LinkDns& dns, DnsDone done) override;
    void revert(const LinkDns& dns, DnsDone done) override;

    const std::string& program() const { return program_; }
    // Whether `program` exists and we may execute it.
    static bool installed(const std::string& program);

private:
    struct Job {
        std::vector<std::string> argv;
        std::string input;  // for stdin
        DnsDone done;
    };
    class Run;

    void enqueue(const LinkDns& dns, bool add, DnsDone done);
    void startNext();
    void finished(const std::optional<std::string>& error);

    EventLoop& loop_;
    std::string program_;
    std::chrono::milliseconds timeout_;
    std::deque<Job> queue_;
    std::unique_ptr<Run> running_;
    DnsDone runningDone_;
    // Deferred answers (a bad interface name, a failed spawn) check this before they run.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace dialupd
