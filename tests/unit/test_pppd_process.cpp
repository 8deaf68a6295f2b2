// SPDX-License-Identifier: GPL-2.0-or-later
// The real runner against real processes: a shell script stands in for pppd so the test can
// check fds, pipes, exit statuses and signals without kernel PPP.
#include "sys/pppd_process.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <optional>
#include <thread>
#include <sstream>

#include "core/errors.h"
#include "sys/event_loop.h"
#include "sys/process_group.h"

namespace dialupd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct Collector final : PppdObserver {
    void pppdLogLine(std::string_view line) override {
        events.push_back("log:" + std::string(line));
        if (line == "ready" && onReady) onReady();
    }
    void pppdReport(const PluginReport& report) override {
        events.push_back(report.kind == PluginReport::Kind::Phase ? "phase:" + report.phase : "report");
    }
    void pppdExited(ProcessExit exit) override {
        this->exit = exit;
        events.push_back("exit");
        if (onExit) onExit();
    }
    std::vector<std::string> events;
    std::optional<ProcessExit> exit;
    std::function<void()> onExit;
    std::function<void()> onReady;  // the stand-in printed "ready": its traps and children are in place
};

class PppdProcessTest : public ::testing::Test {
protected:
    PppdProcessTest() : dir(::testing::TempDir() + "/dialupd-process-" + std::to_string(getpid())) {
        std::string command = "mkdir -p '" + dir + "'";
        EXPECT_EQ(std::system(command.c_str()), 0);
        // What the runner logs, for the tests that check its warnings.
        previousLogger = spdlog::default_logger();
        spdlog::set_default_logger(
            std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(logged)));
    }
    ~PppdProcessTest() override {
        spdlog::set_default_logger(previousLogger);
        std::string command = "rm -rf '" + dir + "'";
        (void)std::system(command.c_str());
    }

    // A stand-in for pppd: `body` is shell.
    PppdLaunch launchOf(const std::string& body) {
        std::string script = dir + "/fake-pppd";
        std::ofstream(script) << "#!/bin/sh\n" << body << "\n";
        ::chmod(script.c_str(), 0755);
        PppdLaunch launch;
        launch.argv = {script, "/dev/ttyUSB3", "115200"};
        launch.chatScriptPath = dir + "/m0.chat";
        launch.chatScript = "'' AT\n";
        return launch;
    }

    // Runs the loop until the process has exited (or a minute passes: only a hang takes that
    // long, however loaded the machine).
    void runUntilExit(Collector& collector) {
        collector.onExit = [&] { loop.exit(0); };
        auto guard = loop.after(60s, [&] { loop.exit(1); });
        EXPECT_EQ(loop.run(), 0) << "pppd stand-in did not exit in time";
    }

    static std::string read(const std::string& path) {
        std::stringstream text;
        text << std::ifstream(path).rdbuf();
        return text.str();
    }

    std::string dir;
    std::ostringstream logged;
    std::shared_ptr<spdlog::logger> previousLogger;
    EventLoop loop;
    SystemPppdRunner runner{loop};
};

TEST_F(PppdProcessTest, LogLinesAndReportsArriveBeforeTheExit) {
    Collector collector;
    auto process = runner.start(
        launchOf("echo 'first line' >&2; echo 'phase establish' >&3; printf 'no newline' >&2; exit 16"), collector);
    runUntilExit(collector);
    ASSERT_TRUE(collector.exit);
    EXPECT_FALSE(collector.exit->signaled);
    EXPECT_EQ(collector.exit->code, 16);
    EXPECT_EQ(collector.events.back(), "exit");
    EXPECT_THAT(collector.events, ::testing::Contains("log:first line"));
    EXPECT_THAT(collector.events, ::testing::Contains("log:no newline"));
    EXPECT_THAT(collector.events, ::testing::Contains("phase:establish"));
}

TEST_F(PppdProcessTest, EverythingADeadPppdLeftInThePipeIsDeliveredNotOneWakeupsWorth) {
    // 600 lines of 100 bytes (60000 bytes: the pipe holds them all), then the exit. The loop
    // runs only once the process is dead, so nearly all of it is still in the pipe then.
    Collector collector;
    auto process = runner.start(
        launchOf("i=0; while [ $i -lt 600 ]; do printf '%099d\\n' $i >&2; i=$((i+1)); done; exit 3"), collector);
    siginfo_t info{};
    ASSERT_EQ(waitid(P_PID, static_cast<id_t>(process->pid()), &info, WEXITED | WNOWAIT), 0);
    runUntilExit(collector);
    std::vector<std::string> logLines;
    for (const std::string& event : collector.events)
        if (event.starts_with("log:")) logLines.push_back(event.substr(4));
    ASSERT_EQ(logLines.size(), 600u);
    EXPECT_EQ(logLines.back(), fmt::format("{:099d}", 599));
    EXPECT_EQ(collector.events.back(), "exit");
}

TEST_F(PppdProcessTest, TheSecretArrivesOnFd4AndNowhereElse) {
    PppdLaunch launch =
        launchOf("cat <&4 > '" + dir + "/secret-seen'; cat /proc/$$/cmdline > '" + dir + "/cmdline'; exit 0");
    launch.secret = "S3cret-Pa55";
    Collector collector;
    auto process = runner.start(launch, collector);
    runUntilExit(collector);
    EXPECT_EQ(read(dir + "/secret-seen"), "S3cret-Pa55");
    EXPECT_EQ(read(dir + "/cmdline").find("S3cret"), std::string::npos);
}

TEST_F(PppdProcessTest, ChatScriptIsPrivateWhileRunningAndGoneAfter) {
    Collector collector;
    auto process = runner.start(launchOf("stat -c %a '" + dir + "/m0.chat' > '" + dir + "/mode'; exit 0"), collector);
    runUntilExit(collector);
    EXPECT_EQ(read(dir + "/mode"), "600\n");
    EXPECT_NE(::access((dir + "/m0.chat").c_str(), F_OK), 0);
}

TEST_F(PppdProcessTest, EnvironmentIsClean) {
    ::setenv("DIALUPD_LEAK_CANARY", "1", 1);
    Collector collector;
    auto process = runner.start(launchOf("env > '" + dir + "/env'"), collector);
    runUntilExit(collector);
    ::unsetenv("DIALUPD_LEAK_CANARY");
    EXPECT_EQ(read(dir + "/env").find("DIALUPD_LEAK_CANARY"), std::string::npos);
}

TEST_F(PppdProcessTest, SignalsAreUnblockedEvenWhenTheDaemonBlocksThem) {
    // The daemon blocks SIGTERM and friends for its signalfd; pppd must get them. The check runs
    // in the exec'd program itself: a shell's own mask flickers while it forks.
    sigset_t blocked, previous;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGHUP);
    sigprocmask(SIG_BLOCK, &blocked, &previous);
    Collector collector;
    auto process = runner.start(launchOf("exec grep SigBlk /proc/self/status"), collector);
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    runUntilExit(collector);
    EXPECT_THAT(collector.events, ::testing::Contains("log:SigBlk:\t0000000000000000"));
}

TEST_F(PppdProcessTest, AChildThatNeverReadsItsSecretCannotHurtUs) {
    // The secret is in the pipe before pppd runs: no write can meet a closed pipe (SIGPIPE).
    struct sigaction defaultAction {
    }, previous{};
    defaultAction.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &defaultAction, &previous);
    PppdLaunch launch = launchOf("exit 0");
    launch.secret = std::string(200, 's');
    std::vector<Collector> collectors(20);
    std::vector<std::unique_ptr<PppdProcess>> processes;
    int exited = 0;
    for (Collector& collector : collectors) {
        collector.onExit = [&] {
            if (++exited == static_cast<int>(collectors.size())) loop.exit(0);
        };
        processes.push_back(runner.start(launch, collector));
    }
    auto guard = loop.after(60s, [&] { loop.exit(1); });
    EXPECT_EQ(loop.run(), 0);
    EXPECT_EQ(exited, 20);
    sigaction(SIGPIPE, &previous, nullptr);
}

TEST_F(PppdProcessTest, OnlyTheExpectedFdsAreInherited) {
    // ls lists its own fds into the log pipe: 0-4 from us, 5 is the directory ls itself opened.
    // Nothing of the daemon's (bus socket, epoll, pidfds, the other pipe ends) may leak in.
    PppdLaunch launch = launchOf("exec ls -1 /proc/self/fd");
    launch.secret = "x";
    Collector collector;
    auto process = runner.start(launch, collector);
    runUntilExit(collector);
    EXPECT_THAT(collector.events, ElementsAre("log:0", "log:1", "log:2", "log:3", "log:4", "log:5", "exit"));
}

TEST_F(PppdProcessTest, SigtermReachesTheProcess) {
    Collector collector;
    auto process = runner.start(
        launchOf("trap 'echo got-term >&2; exit 5' TERM; echo ready >&2; while :; do sleep 0.05; done"), collector);
    collector.onReady = [&] { process->sendSignal(SIGTERM); };  // once the trap is set, however slow the shell
    runUntilExit(collector);
    ASSERT_TRUE(collector.exit);
    EXPECT_EQ(collector.exit->code, 5);
    EXPECT_THAT(collector.events, ::testing::Contains("log:got-term"));
}

TEST_F(PppdProcessTest, SigtermReachesAConnectScriptStartedAfterIt) {
    // pppd 2.4.9 passes a SIGTERM on to its connect script (chat) only if chat runs when it
    // arrives; one that lands while pppd is still setting up is only noted, and pppd acts on it
    // once chat has finished: on a module that does not answer, after chat's TIMEOUT (30 s).
    // The stand-in behaves the same way, with sleep 30 as chat.
    Collector collector;
    auto process = runner.start(launchOf("chat=; trap 'term=1; [ -n \"$chat\" ] && kill $chat' TERM\n"
                                         "echo ready >&2; sleep 0.5\n"
                                         "sleep 30 & chat=$!\n"
                                         "while kill -0 $chat 2>/dev/null; do wait $chat; done\n"
                                         "[ -n \"$term\" ] && exit 9; exit 0"),
                                collector);
    collector.onReady = [&] { process->sendSignal(SIGTERM); };
    auto started = loop.monotonicNow();
    runUntilExit(collector);
    ASSERT_TRUE(collector.exit);
    EXPECT_EQ(collector.exit->code, 9);
    // Without the repeated SIGTERM the stand-in's "chat" runs its 30 s; with it, the next
    // repeat (2 s) reaches it. The bound sits between the two, with room for a loaded machine.
    EXPECT_LT(loop.monotonicNow() - started, 20s) << "the SIGTERM never reached the connect script";
}

TEST_F(PppdProcessTest, SigkillIsReportedAsASignal) {
    Collector collector;
    auto process = runner.start(launchOf("exec sleep 30"), collector);
    auto kick = loop.after(100ms, [&] { process->sendSignal(SIGKILL); });
    runUntilExit(collector);
    ASSERT_TRUE(collector.exit);
    EXPECT_TRUE(collector.exit->signaled);
    EXPECT_EQ(collector.exit->code, SIGKILL);
}

TEST_F(PppdProcessTest, AConnectScriptLeftByAKilledPppdIsKilledToo) {
    // The stand-in starts a "chat" that outlives it (as chat does when pppd is SIGKILLed) and
    // writes its pid; after the exit, nothing of pppd's process group may be left.
    Collector collector;
    std::string pidFile = dir + "/chat.pid";
    auto process =
        runner.start(launchOf("sleep 60 & echo $! > '" + pidFile + "'\necho ready >&2\nexec sleep 30"), collector);
    collector.onReady = [&] { process->sendSignal(SIGKILL); };
    runUntilExit(collector);
    ASSERT_TRUE(collector.exit);
    pid_t chat = std::stoi(read(pidFile));
    bool gone = false;
    for (int i = 0; i < 6000 && !gone; ++i) {  // the kill is at once; a loaded machine may take a while to reap
        std::string state = read("/proc/" + std::to_string(chat) + "/stat");
        gone = state.empty() || state.find(") Z") != std::string::npos;
        if (!gone) std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(gone) << "the connect script outlived pppd";
}

TEST_F(PppdProcessTest, APppdThatLeavesNobodyBehindIsNotWarnedAbout) {
    // A clean end: pppd's group holds nobody but pppd (a zombie when we look), and the kill
    // of the group succeeds all the same. No warning may come of it.
    Collector collector;
    auto process = runner.start(launchOf("sleep 0.2; exit 5"), collector);
    runUntilExit(collector);
    ASSERT_TRUE(collector.exit);
    EXPECT_EQ(collector.exit->code, 5);
    EXPECT_THAT(logged.str(), ::testing::Not(HasSubstr("left processes behind"))) << logged.str();
}

TEST_F(PppdProcessTest, APppdThatLeavesAChildInItsGroupIsWarnedAboutByName) {
    std::string pidFile = dir + "/child.pid";
    Collector collector;
    // The child is named once it has exec'd sleep: wait for that before pppd goes.
    auto process = runner.start(launchOf("sleep 60 & until [ \"$(cat /proc/$!/comm)\" = sleep ]; do :; done\n"
                                         "echo $! > '" +
                                         pidFile + "'\nexit 0"),
                                collector);
    runUntilExit(collector);
    ASSERT_TRUE(collector.exit);
    pid_t child = std::stoi(read(pidFile));
    EXPECT_THAT(logged.str(), HasSubstr(fmt::format("pppd (pid {}) left processes behind: sleep (pid {}): killed them",
                                                    process->pid(), child)));
}

// processGroupMembers against a /proc of our own making.
class ProcessGroupTest : public ::testing::Test {
protected:
    ProcessGroupTest() : proc(::testing::TempDir() + "/dialupd-proc-" + std::to_string(getpid())) {
        std::string command = "rm -rf '" + proc + "' && mkdir -p '" + proc + "/self'";
        EXPECT_EQ(std::system(command.c_str()), 0);
    }
    ~ProcessGroupTest() override {
        std::string command = "rm -rf '" + proc + "'";
        (void)std::system(command.c_str());
    }
    void process(int pid, const std::string& stat, const std::string& comm) {
        std::string base = proc + "/" + std::to_string(pid);
        ::mkdir(base.c_str(), 0755);
        std::ofstream(base + "/stat") << stat;
        std::ofstream(base + "/comm") << comm << "\n";
    }
    std::string proc;
};

TEST_F(ProcessGroupTest, FindsTheLiveMembersOtherThanTheLeader) {
    process(100, "100 (pppd) Z 1 100 100 0 -1", "pppd");
    process(101, "101 (chat) S 1 100 100 0 -1", "chat");
    process(102, "102 (odd) name) ) R 1 100 100 0 -1", "odd) name)");  // a name may hold ") "
    process(103, "103 (exited) Z 1 100 100 0 -1", "exited");           // a zombie is no leftover
    process(104, "104 (other) S 1 104 104 0 -1", "other");             // another group
    process(105, "", "");                                              // gone while read
    std::vector<GroupMember> members = processGroupMembers(100, 100, proc);
    std::vector<std::string> seen;
    for (const GroupMember& member : members) seen.push_back(fmt::format("{}:{}", member.pid, member.name));
    std::sort(seen.begin(), seen.end());
    EXPECT_THAT(seen, ElementsAre("101:chat", "102:odd) name)"));
}

TEST_F(ProcessGroupTest, IsBounded) {
    for (int pid = 200; pid < 260; ++pid) process(pid, std::to_string(pid) + " (x) S 1 7 7 0 -1", "x");
    EXPECT_EQ(processGroupMembers(7, 7, proc, 16).size(), 16u);
    EXPECT_TRUE(processGroupMembers(7, 7, proc + "/missing").empty());
}

TEST_F(PppdProcessTest, AMissingBinaryIsASpawnFailure) {
    PppdLaunch launch = launchOf("exit 0");
    launch.argv[0] = dir + "/no-such-pppd";
    Collector collector;
    try {
        runner.start(launch, collector);
        FAIL() << "start should throw";
    } catch (const Error& error) {
        EXPECT_STREQ(error.name(), error_name::kSpawnFailed);
        EXPECT_THAT(error.what(), HasSubstr("No such file or directory"));
    }
    EXPECT_NE(::access(launch.chatScriptPath.c_str(), F_OK), 0) << "no chat script left behind";
}

TEST_F(PppdProcessTest, AnUnwritableRuntimeDirIsASpawnFailure) {
    PppdLaunch launch = launchOf("exit 0");
    launch.chatScriptPath = dir + "/missing-dir/m0.chat";
    Collector collector;
    EXPECT_THROW(runner.start(launch, collector), Error);
}

TEST_F(PppdProcessTest, ReleasingARunningProcessKillsItRatherThanOrphaningIt) {
    Collector collector;
    auto process = runner.start(launchOf("exec sleep 30"), collector);
    pid_t pid = process->pid();
    process.reset();
    EXPECT_NE(::kill(pid, 0), 0) << "the process must be gone and reaped";
}

}  // namespace
}  // namespace dialupd
