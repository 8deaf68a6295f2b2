// SPDX-License-Identifier: GPL-2.0-or-later
#include "resolvconf_dns.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "child_spawn.h"
#include "core/dns_servers.h"
#include "core/errors.h"
#include "core/text.h"
#include "line_reader.h"

extern "C" {
#include <sys/pidfd.h>
}

namespace dialupd {

// One resolvconf process: its exit watched through the pidfd, the first line of its stderr kept
// for the error message, a timer against a hang.
class ResolvconfDns::Run {
public:
    Run(EventLoop& loop, const Job& job, std::chrono::milliseconds timeout,
        std::function<void(std::optional<std::string>)> onEnd)
        : onEnd_(std::move(onEnd)),
          what_(fmt::format("resolvconf {} {}", job.argv.at(1), job.argv.at(2))),
          stderrLines_([this](std::string_view line) {
              if (firstStderrLine_.empty() && !line.empty()) firstStderrLine_ = shortened(sanitizeText(line), 200);
          }) {
        int input[2];
        int errors[2];
        if (pipe2(input, O_CLOEXEC) < 0)
            throw Error(error_name::kSpawnFailed, fmt::format("pipe: {}", std::strerror(errno)));
        UniqueFd inputRead(input[0]);
        UniqueFd inputWrite(input[1]);
        if (pipe2(errors, O_CLOEXEC | O_NONBLOCK) < 0)
            throw Error(error_name::kSpawnFailed, fmt::format("pipe: {}", std::strerror(errno)));
        UniqueFd errorsRead(errors[0]);
        UniqueFd errorsWrite(errors[1]);
        UniqueFd devNull(::open("/dev/null", O_WRONLY | O_CLOEXEC));
        if (!devNull) throw Error(error_name::kSpawnFailed, fmt::format("/dev/null: {}", std::strerror(errno)));

        // The input goes into the pipe before resolvconf exists: a few hundred bytes into an empty
        // pipe (64 KiB) never block, and a resolvconf that dies without reading cannot turn this
        // write into SIGPIPE. It reads up to end of file, which closing our end gives it.
        if (!job.input.empty()) {
            ssize_t written = ::write(inputWrite.get(), job.input.data(), job.input.size());
            if (written != static_cast<ssize_t>(job.input.size()))
                throw Error(error_name::kSpawnFailed, "cannot queue resolvconf's input");
        }
        inputWrite.reset();

        ChildSpawn spawn;
        spawn.argv = job.argv;
        spawn.fds = {inputRead.get(), devNull.get(), errorsWrite.get()};
        SpawnedChild child = spawnChild(spawn);
        pid_ = child.pid;
        pidfd_ = std::move(child.pidfd);
        errors_ = std::move(errorsRead);
        pidWatch_ = loop.watchFd(pidfd_.get(), EPOLLIN, [this](uint32_t) { reap(); });
        errorsWatch_ = loop.watchFd(errors_.get(), EPOLLIN, [this](uint32_t) {
            if (stderrLines_.readFrom(errors_.get()) == LineReader::Result::Closed) errorsWatch_.reset();
        });
        timer_ = loop.after(timeout, [this, timeout] {
            spdlog::warn("{} (pid {}) still runs after {} ms: killing it", what_, pid_, timeout.count());
            timedOut_ = true;
            pidfd_send_signal(pidfd_.get(), SIGKILL, nullptr, 0);
        });
    }

    ~Run() {
        // Still running when the backend goes: let it finish, but nobody waits for it now.
        if (!reaped_) spdlog::debug("{} (pid {}) still runs as the daemon lets go of it", what_, pid_);
    }

private:
    void reap() {
        std::optional<ChildExit> exit = reapChild(pidfd_.get());
        if (!exit) return;
        reaped_ = true;
        pidWatch_.reset();
        timer_.reset();
        // What it wrote before exiting is in the pipe; a process it left behind may still hold
        // the pipe open, so read what is there, not up to end of file.
        if (errorsWatch_) stderrLines_.readFrom(errors_.get());
        stderrLines_.flush();
        errorsWatch_.reset();
        std::optional<std::string> error;
        if (timedOut_)
            error = what_ + ": no answer in time, killed";
        else if (exit->signaled)
            error = fmt::format("{}: killed by signal {}", what_, exit->code);
        else if (exit->code != 0)
            error = fmt::format("{}: exit status {}", what_, exit->code);
        if (error && !firstStderrLine_.empty()) *error += " (" + firstStderrLine_ + ")";
        onEnd_(error);  // last: it destroys us
    }

    std::function<void(std::optional<std::string>)> onEnd_;
    std::string what_;
    pid_t pid_ = 0;
    UniqueFd pidfd_;
    UniqueFd errors_;
    LineReader stderrLines_;
    std::string firstStderrLine_;
    std::unique_ptr<EventSource> pidWatch_;
    std::unique_ptr<EventSource> errorsWatch_;
    std::unique_ptr<TimerHandle> timer_;
    bool reaped_ = false;
    bool timedOut_ = false;
};

ResolvconfDns::ResolvconfDns(EventLoop& loop, std::string program, std::chrono::milliseconds timeout)
    : loop_(loop), program_(std::move(program)), timeout_(timeout) {}

ResolvconfDns::~ResolvconfDns() { *alive_ = false; }

bool ResolvconfDns::installed(const std::string& program) { return ::access(program.c_str(), X_OK) == 0; }

void ResolvconfDns::apply(const LinkDns& dns, DnsDone done) { enqueue(dns, true, std::move(done)); }

void ResolvconfDns::revert(const LinkDns& dns, DnsDone done) { enqueue(dns, false, std::move(done)); }

void ResolvconfDns::enqueue(const LinkDns& dns, bool add, DnsDone done) {
    std::optional<std::string> record = resolvconfRecordName(dns.ifname);
    if (!record) {
        // Answered from the loop, never from inside apply(): the caller may not expect it yet.
        std::string error = "resolvconf: no usable interface name ('" + shortened(sanitizeText(dns.ifname), 40) + "')";
        loop_.defer([alive = std::weak_ptr<bool>(alive_), done = std::move(done), error] {
            if (alive.lock()) done(error);
        });
        return;
    }
    Job job;
    job.argv = {program_, add ? "-a" : "-d", *record};
    if (add) job.input = resolvconfInput(dns.servers);
    job.done = std::move(done);
    queue_.push_back(std::move(job));
    if (!running_) startNext();
}

void ResolvconfDns::startNext() {
    while (!running_ && !queue_.empty()) {
        Job job = std::move(queue_.front());
        queue_.pop_front();
        try {
            runningDone_ = std::move(job.done);
            running_ = std::make_unique<Run>(loop_, job, timeout_,
                                             [this](std::optional<std::string> error) { finished(error); });
        } catch (const Error& error) {
            running_.reset();
            std::string reason = sanitizeText(error.what());
            loop_.defer([alive = std::weak_ptr<bool>(alive_), done = std::exchange(runningDone_, nullptr), reason] {
                if (alive.lock()) done(reason);
            });
        }
    }
}

void ResolvconfDns::finished(const std::optional<std::string>& error) {
    DnsDone done = std::exchange(runningDone_, nullptr);
    // Called from inside the Run: it goes (and the next job starts) from the loop, after the answer.
    loop_.defer([this, alive = std::weak_ptr<bool>(alive_)] {
        if (!alive.lock()) return;
        running_.reset();
        startNext();
    });
    if (done) done(error);
}

}  // namespace dialupd
