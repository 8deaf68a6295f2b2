// SPDX-License-Identifier: GPL-2.0-or-later
#include "process_command_runner.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "child_spawn.h"
#include "core/errors.h"
#include "core/text.h"
#include "line_reader.h"

namespace dialupd {

class ProcessCommandRunner::Child {
public:
    Child(ProcessCommandRunner& owner, int id, const std::vector<std::string>& argv, Exited exited)
        : owner_(owner),
          id_(id),
          exited_(std::move(exited)),
          what_(argv.at(0)),
          stderrLines_([this](std::string_view line) {
              if (firstStderrLine_.empty() && !line.empty()) firstStderrLine_ = shortened(sanitizeText(line), 200);
          }) {
        int errors[2];
        if (pipe2(errors, O_CLOEXEC | O_NONBLOCK) < 0)
            throw Error(error_name::kSpawnFailed, fmt::format("pipe: {}", std::strerror(errno)));
        UniqueFd errorsRead(errors[0]);
        UniqueFd errorsWrite(errors[1]);
        UniqueFd devNull(::open("/dev/null", O_RDWR | O_CLOEXEC));
        if (!devNull) throw Error(error_name::kSpawnFailed, fmt::format("/dev/null: {}", std::strerror(errno)));
        ChildSpawn spawn;
        spawn.argv = argv;
        spawn.fds = {devNull.get(), devNull.get(), errorsWrite.get()};
        SpawnedChild child = spawnChild(spawn);
        pid_ = child.pid;
        pidfd_ = std::move(child.pidfd);
        errors_ = std::move(errorsRead);
        pidWatch_ = owner_.loop_.watchFd(pidfd_.get(), EPOLLIN, [this](uint32_t) { reap(); });
        errorsWatch_ = owner_.loop_.watchFd(errors_.get(), EPOLLIN, [this](uint32_t) {
            if (stderrLines_.readFrom(errors_.get()) == LineReader::Result::Closed) errorsWatch_.reset();
        });
    }
    ~Child() {
        if (!reaped_) spdlog::debug("{} (pid {}) still runs as the daemon lets go of it", what_, pid_);
    }
    void forget() { exited_ = nullptr; }
    pid_t pid() const { return pid_; }

private:
    void reap() {
        std::optional<ChildExit> exit = reapChild(pidfd_.get());
        if (!exit) return;
        reaped_ = true;
        pidWatch_.reset();
        if (errorsWatch_) stderrLines_.readFrom(errors_.get());
        stderrLines_.flush();
        errorsWatch_.reset();
        std::string problem;
        if (exit->signaled)
            problem = fmt::format("killed by signal {}", exit->code);
        else if (exit->code != 0)
            problem = fmt::format("exit status {}", exit->code);
        if (!problem.empty() && !firstStderrLine_.empty()) problem += " (" + firstStderrLine_ + ")";
        Exited exited = std::move(exited_);
        ProcessCommandRunner& owner = owner_;
        int id = id_;
        owner.reaped(id);  // destroys this
        if (exited) exited(problem);
    }

    ProcessCommandRunner& owner_;
    int id_;
    Exited exited_;
    std::string what_;
    pid_t pid_ = 0;
    UniqueFd pidfd_;
    UniqueFd errors_;
    LineReader stderrLines_;
    std::string firstStderrLine_;
    std::unique_ptr<EventSource> pidWatch_;
    std::unique_ptr<EventSource> errorsWatch_;
    bool reaped_ = false;
};

// What the caller holds: letting it go stops the waiting, not the program.
class ProcessCommandRunner::Handle final : public RunningCommand {
public:
    Handle(ProcessCommandRunner& owner, int id) : owner_(owner), id_(id) {}
    ~Handle() override {
        auto found = owner_.children_.find(id_);
        if (found != owner_.children_.end()) found->second->forget();
    }

private:
    ProcessCommandRunner& owner_;
    int id_;
};

ProcessCommandRunner::ProcessCommandRunner(EventLoop& loop) : loop_(loop) {}

ProcessCommandRunner::~ProcessCommandRunner() = default;

std::unique_ptr<RunningCommand> ProcessCommandRunner::run(const std::vector<std::string>& argv, Exited exited) {
    int id = nextId_++;
    auto child = std::make_unique<Child>(*this, id, argv, std::move(exited));
    spdlog::debug("started {} (pid {})", argv.at(0), child->pid());
    children_.emplace(id, std::move(child));
    return std::make_unique<Handle>(*this, id);
}

void ProcessCommandRunner::reaped(int id) {
    // Freed on a later turn: its own callback is running now.
    auto found = children_.find(id);
    if (found == children_.end()) return;
    loop_.deferRelease(std::move(found->second));
    children_.erase(found);
}

}  // namespace dialupd
