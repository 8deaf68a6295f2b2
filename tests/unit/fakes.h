// SPDX-License-Identifier: GPL-2.0-or-later
// Fakes for the core's interfaces: a scheduler whose time moves only when the test says so,
// a pppd runner that records launches and lets the test play pppd's part, and a device
// source the test plugs ttys into.
#pragma once

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/at_channel.h"
#include "core/call_record.h"
#include "core/device_source.h"
#include "core/diag_hdlc.h"
#include "core/dm_recorder.h"
#include "core/errors.h"
#include "core/module_recovery.h"
#include "core/pppd_runner.h"
#include "core/scheduler.h"

namespace dialupd::testing {

class FakeScheduler final : public Scheduler {
public:
    class Timer final : public TimerHandle {
    public:
        Timer(FakeScheduler& owner, int id) : owner_(owner), id_(id) {}
        ~Timer() override { owner_.timers_.erase(id_); }

    private:
        FakeScheduler& owner_;
        int id_;
    };

    std::unique_ptr<TimerHandle> after(std::chrono::microseconds delay, std::function<void()> callback) override {
        int id = nextId_++;
        timers_[id] = {now_ + delay, std::move(callback)};
        return std::make_unique<Timer>(*this, id);
    }
    void defer(std::function<void()> callback) override { deferred_.push_back(std::move(callback)); }
    std::chrono::microseconds monotonicNow() const override { return now_; }
    uint64_t realtimeNowUsec() const override { return 1'700'000'000'000'000ULL + static_cast<uint64_t>(now_.count()); }

    // Moves time forward, firing due timers in order.
    void advance(std::chrono::microseconds step) {
        auto until = now_ + step;
        for (;;) {
            auto due = timers_.end();
            for (auto it = timers_.begin(); it != timers_.end(); ++it)
                if (it->second.when <= until && (due == timers_.end() || it->second.when < due->second.when)) due = it;
            if (due == timers_.end()) break;
            now_ = due->second.when;
            auto callback = std::move(due->second.callback);
            timers_.erase(due);
            callback();
        }
        now_ = until;
        runDeferred();
    }
    // advance() in small steps, so deferred work runs about when it would in a real loop
    // (advance() runs it only at its end).
    void advanceInSteps(std::chrono::microseconds span,
                        std::chrono::microseconds step = std::chrono::milliseconds(10)) {
        for (auto done = std::chrono::microseconds(0); done < span; done += step) advance(step);
    }
    void runDeferred() {
        auto pending = std::move(deferred_);
        deferred_.clear();
        for (auto& callback : pending) {
            callback();
            callback = nullptr;  // as the event loop: what it owned goes before the next runs
        }
    }
    size_t pendingTimers() const { return timers_.size(); }

private:
    struct Entry {
        std::chrono::microseconds when;
        std::function<void()> callback;
    };
    std::chrono::microseconds now_{1'000'000};
    int nextId_ = 0;
    std::map<int, Entry> timers_;
    std::vector<std::function<void()>> deferred_;
};

class FakePppdRunner final : public PppdRunner {
public:
    struct Process final : public PppdProcess {
        explicit Process(FakePppdRunner& owner, pid_t pid) : owner_(owner), pid_(pid) {}
        ~Process() override { owner_.live_ = nullptr; }
        pid_t pid() const override { return pid_; }
        void sendSignal(int signal) override { signals.push_back(signal); }

        std::vector<int> signals;

    private:
        FakePppdRunner& owner_;
        pid_t pid_;
    };

    std::unique_ptr<PppdProcess> start(const PppdLaunch& launch, PppdObserver& observer) override {
        if (failNextStart) {
            failNextStart = false;
            throw Error(error_name::kSpawnFailed, "cannot execute /usr/sbin/pppd: No such file or directory");
        }
        launches.push_back(launch);
        observer_ = &observer;
        auto process = std::make_unique<Process>(*this, 1000 + static_cast<pid_t>(launches.size()));
        live_ = process.get();
        return process;
    }

    // Playing pppd.
    void log(std::string_view line) { observer_->pppdLogLine(line); }
    void report(const PluginReport& report) { observer_->pppdReport(report); }
    void ipUp(IpConfig ip) {
        PluginReport report;
        report.kind = PluginReport::Kind::IpUp;
        report.ip = std::move(ip);
        observer_->pppdReport(report);
    }
    void cause(int status) {
        PluginReport report;
        report.kind = PluginReport::Kind::Cause;
        report.exitStatus = status;
        observer_->pppdReport(report);
    }
    void exitWith(int status) { observer_->pppdExited({false, status}); }
    void killedBy(int signal) { observer_->pppdExited({true, signal}); }

    Process* live() const { return live_; }

    std::vector<PppdLaunch> launches;
    bool failNextStart = false;

private:
    PppdObserver* observer_ = nullptr;
    Process* live_ = nullptr;
};

// Plays a module's AT port: answers each command after `delay` on the scheduler (so from
// "the loop", as a tty would), from `answers` (default: ERROR), or not at all when silent.
class FakeAtPort final : public AtPortOpener {
public:
    explicit FakeAtPort(Scheduler& scheduler) : scheduler_(scheduler) {}

    class Channel final : public AtChannel {
    public:
        Channel(FakeAtPort& port, AtChannelObserver& observer) : port_(port), observer_(observer) {
            ++port_.openChannels;
            port_.current = this;
        }
        ~Channel() override {
            --port_.openChannels;
            if (port_.current == this) port_.current = nullptr;
        }
        void send(std::string_view commandLine) override {
            std::string command(commandLine);
            port_.sent.push_back(command);
            if (port_.silent) return;
            std::vector<std::string> lines;
            if (port_.echo) lines.push_back(command);
            auto found = port_.answers.find(command);
            if (found == port_.answers.end())
                lines.push_back("ERROR");
            else
                lines.insert(lines.end(), found->second.begin(), found->second.end());
            pending_.push_back(port_.scheduler_.after(port_.delay, [this, lines] {
                for (const std::string& line : lines) observer_.atLine(line);
            }));
        }
        void sendRaw(std::string_view bytes) override { send(bytes); }
        void hangUp() { observer_.atClosed("the tty hung up"); }
        // A line the module sends by itself (a URC), now.
        void unsolicited(const std::string& line) { observer_.atLine(line); }

    private:
        FakeAtPort& port_;
        AtChannelObserver& observer_;
        std::vector<std::unique_ptr<TimerHandle>> pending_;
    };

    std::unique_ptr<AtChannel> open(const std::string& path, AtChannelObserver& observer) override {
        opened.push_back(path);
        if (openError) throw *openError;
        return std::make_unique<Channel>(*this, observer);
    }

    // An EC25 with a SIM, registered, after a network-side drop.
    void answerLikeAnEc25() {
        answers = {
            {"ATI", {"Quectel", "EC25", "Revision: EC25EFAR06A06M4G", "OK"}},
            {"AT+CEER", {"+CEER: \"Regular deactivation: network failure\"", "OK"}},
            {"AT+CSQ", {"+CSQ: 24,99", "OK"}},
            {"AT+CPIN?", {"+CPIN: READY", "OK"}},
            {"AT+CREG?", {"+CREG: 0,1", "OK"}},
            {"AT+CGREG?", {"+CGREG: 0,1", "OK"}},
            {"AT+CEREG?", {"+CEREG: 0,1", "OK"}},
            {"AT+COPS?", {"+COPS: 0,0,\"Simulated Operator\",7", "OK"}},
            {"AT+CGACT?", {"+CGACT: 1,0", "OK"}},
            {"AT+QENG=\"servingcell\"", {"+QENG: \"servingcell\",\"NOCONN\",\"LTE\",\"FDD\",262,01", "OK"}},
        };
    }

    std::map<std::string, std::vector<std::string>> answers;
    std::chrono::milliseconds delay{20};
    bool silent = false;
    bool echo = false;
    std::optional<AtPortError> openError;
    std::vector<std::string> opened;
    std::vector<std::string> sent;
    int openChannels = 0;
    Channel* current = nullptr;  // the channel open now

private:
    Scheduler& scheduler_;
};

// A whole module behind its two ports, for recovery: in command mode both answer OK; stuck in
// data mode, the modem port swallows everything but a "+++" (when `escapeWorks`); after
// AT+CFUN=1,1 (when `rebootWorks`) or a USB reset, both ports hang up (a moment after the OK)
// and are absent for `restartTime`, then the module is in command mode. Answers come `delay`
// after the command, as from a tty. A port can be hung up at any moment (hangUp(), or
// `hangUpOn` a command instead of answering it), and the ports can come back under other names.
class FakeModule final : public AtPortOpener, public UsbResetter {
public:
    FakeModule(Scheduler& scheduler, std::string modemPort, std::string atPort)
        : scheduler_(scheduler), modemPort_(std::move(modemPort)), atPort_(std::move(atPort)) {}

    class Channel final : public AtChannel {
    public:
        Channel(FakeModule& module, std::string path, AtChannelObserver& observer)
            : module_(module), live_(module.live_), path_(std::move(path)), observer_(observer) {
            live_->push_back(this);
        }
        ~Channel() override { std::erase(*live_, this); }  // may outlive the module (deferred)
        void send(std::string_view commandLine) override { received(std::string(commandLine)); }
        void sendRaw(std::string_view bytes) override { received(std::string(bytes)); }

        const std::string& path() const { return path_; }
        void hangUp() {
            if (hungUp_) return;
            hungUp_ = true;
            pending_.clear();  // no answer gets out of a hung-up tty
            observer_.atClosed("the tty hung up");
        }

    private:
        void received(const std::string& text) {
            if (hungUp_) {
                module_.log.push_back(path_ + " " + text + " (hung up)");
                return;
            }
            answer(module_.execute(path_, text));
        }
        void answer(std::vector<std::string> lines) {
            if (lines.empty()) return;
            pending_.push_back(module_.scheduler_.after(module_.delay, [this, lines] {
                for (const std::string& line : lines) observer_.atLine(line);
            }));
        }
        FakeModule& module_;
        std::shared_ptr<std::vector<Channel*>> live_;
        std::string path_;
        AtChannelObserver& observer_;
        std::vector<std::unique_ptr<TimerHandle>> pending_;
        bool hungUp_ = false;
    };

    std::unique_ptr<AtChannel> open(const std::string& path, AtChannelObserver& observer) override {
        opened.push_back(path);
        if (scheduler_.monotonicNow() < backAt_ || (path != modemPort_ && path != atPort_))
            throw AtPortError(AtPortError::Kind::Absent, path + ": No such file or directory");
        return std::make_unique<Channel>(*this, path, observer);
    }
    void reset(const std::string& usbPortPath) override {
        usbResets.push_back(usbPortPath);
        if (usbResetWorks) restart();
    }

    std::vector<std::string> execute(const std::string& path, const std::string& text) {
        log.push_back(path + " " + text);
        if (auto found = answers.find(path + " " + text); found != answers.end()) return found->second;
        if (hangUpOn && hangUpOn(path, text)) {
            if (text == "AT+CFUN=1,1" && rebootWorks) restart();  // restarting before it could say OK
            hangUpLater(path, std::chrono::milliseconds(1));
            return {};
        }
        if (path == modemPort_ && stuck) {
            if (text == "+++" && escapeWorks) {
                stuck = false;
                return {"OK"};
            }
            return {};
        }
        if (path == atPort_ && atSilent) return {};
        if (text == "AT+CFUN=1,1") {
            if (!rebootWorks) return {"ERROR"};
            restart();
        }
        return {"OK"};
    }

    // The tty of `path` hangs up for whoever has it open (the next open gets a fresh one).
    void hangUp(const std::string& path) {
        std::vector<Channel*> open;
        for (Channel* channel : *live_)
            if (channel->path() == path) open.push_back(channel);
        for (Channel* channel : open) channel->hangUp();
    }
    // The module restarts by itself: both ports hang up and are gone for `restartTime`.
    void restartByItself() {
        restart();
        hangUp(modemPort_);
        hangUp(atPort_);
    }
    // From now on the ports are these (as after a re-enumeration that named them differently).
    void renamePorts(std::string modemPort, std::string atPort) {
        modemPort_ = std::move(modemPort);
        atPort_ = std::move(atPort);
    }
    bool restarting() const { return scheduler_.monotonicNow() < backAt_; }

    bool stuck = false;
    bool escapeWorks = true;
    bool rebootWorks = true;
    bool usbResetWorks = true;
    bool atSilent = false;
    std::chrono::milliseconds delay{20};
    std::chrono::milliseconds restartTime{5000};
    std::map<std::string, std::vector<std::string>> answers;  // "<port> <what was sent>": these lines, always
    // (port, text) -> true: instead of answering, the module hangs that port up.
    std::function<bool(const std::string& path, const std::string& text)> hangUpOn;
    std::vector<std::string> opened;
    std::vector<std::string> log;  // "<port> <what was sent>"
    std::vector<std::string> usbResets;

private:
    void restart() {
        stuck = false;
        backAt_ = scheduler_.monotonicNow() + restartTime;
        // Its ttys go away once the OK is out: whoever still has one open sees it hang up.
        hangUpLater(modemPort_, delay + std::chrono::milliseconds(5));
        hangUpLater(atPort_, delay + std::chrono::milliseconds(5));
    }
    void hangUpLater(const std::string& path, std::chrono::milliseconds after) {
        hangUps_.push_back(scheduler_.after(after, [this, path] { hangUp(path); }));
    }

    Scheduler& scheduler_;
    std::string modemPort_;
    std::string atPort_;
    std::chrono::microseconds backAt_{0};
    std::shared_ptr<std::vector<Channel*>> live_ = std::make_shared<std::vector<Channel*>>();
    std::vector<std::unique_ptr<TimerHandle>> hangUps_;
};

// The DM port of the DM log's recorder: records what is written, plays what the module sends.
class FakeDmPort final : public DmPortOpener {
public:
    struct Channel final : DmChannel {
        explicit Channel(FakeDmPort& port) : port_(port) {}
        ~Channel() override {
            port_.open_ = false;
            port_.observer_ = nullptr;
        }
        bool write(std::span<const uint8_t> bytes) override {
            port_.written.insert(port_.written.end(), bytes.begin(), bytes.end());
            return true;
        }
        FakeDmPort& port_;
    };

    std::unique_ptr<DmChannel> open(const std::string& path, DmPortObserver& observer) override {
        openedPath = path;
        if (failure) throw DmPortError(*failure, "simulated");
        open_ = true;
        observer_ = &observer;
        return std::make_unique<Channel>(*this);
    }

    void send(const std::vector<uint8_t>& bytes) {
        if (!observer_) throw std::logic_error("FakeDmPort: nothing has the port open");
        observer_->dmBytes(bytes);
    }
    bool isOpen() const { return open_; }
    // The frames written since the last call, unframed.
    std::vector<std::vector<uint8_t>> takeWritten() {
        std::vector<std::vector<uint8_t>> frames;
        HdlcSplitter splitter;
        splitter.feed(written,
                      [&](std::span<const uint8_t> payload) { frames.emplace_back(payload.begin(), payload.end()); });
        written.clear();
        return frames;
    }

    std::vector<uint8_t> written;
    std::string openedPath;
    std::optional<DmPortError::Kind> failure;

private:
    bool open_ = false;
    DmPortObserver* observer_ = nullptr;
};

// Keeps call records in memory, newest last.
class FakeCallLogStore final : public CallLogStore {
public:
    void save(const std::string& modemId, const CallRecord& record) override { saved[modemId].push_back(record); }
    std::vector<CallRecord> load(const std::string& modemId, size_t last) const override {
        std::vector<CallRecord> newestFirst;
        auto found = saved.find(modemId);
        if (found == saved.end()) return newestFirst;
        for (auto it = found->second.rbegin(); it != found->second.rend() && newestFirst.size() < last; ++it)
            newestFirst.push_back(*it);
        return newestFirst;
    }
    std::string saveDmLog(const std::string& modemId, uint64_t startedAtUsec, std::span<const uint8_t> qmdl,
                          std::string& why) override {
        if (refuseDmLogs) {
            why = "No space left on device";
            return "";
        }
        std::string path = dmLogDirectory(modemId) + std::to_string(startedAtUsec) + ".qmdl";
        dmLogs[path].assign(qmdl.begin(), qmdl.end());
        return path;
    }
    std::vector<uint64_t> recordStarts(const std::string& modemId) const override {
        std::vector<uint64_t> starts;
        for (const CallRecord& record : load(modemId, SIZE_MAX)) starts.push_back(record.startedAtUsec);
        return starts;
    }
    std::vector<uint64_t> dmLogStarts(const std::string& modemId) const override {
        std::vector<uint64_t> starts;
        for (const auto& [path, bytes] : dmLogs)
            if (path.starts_with(dmLogDirectory(modemId)))
                starts.push_back(std::stoull(path.substr(dmLogDirectory(modemId).size())));
        std::sort(starts.rbegin(), starts.rend());
        return starts;
    }
    // A file of the right size without a descriptor (fd -1): the core only hands it on.
    struct File final : KeptFile {
        File(std::string path, uint64_t size) : path_(std::move(path)), size_(size) {}
        int fd() const override { return -1; }
        uint64_t size() const override { return size_; }
        const std::string& path() const override { return path_; }
        std::string path_;
        uint64_t size_;
    };
    std::unique_ptr<KeptFile> openDmLog(const std::string& modemId, uint64_t startedAtUsec,
                                        std::string& why) const override {
        std::string path = dmLogDirectory(modemId) + std::to_string(startedAtUsec) + ".qmdl";
        auto found = dmLogs.find(path);
        if (found == dmLogs.end()) {
            why = path + ": No such file or directory";
            return nullptr;
        }
        return std::make_unique<File>(path, found->second.size());
    }
    static std::string dmLogDirectory(const std::string& modemId) { return "/var/lib/dialupd/calls/" + modemId + "/"; }
    std::map<std::string, std::vector<CallRecord>> saved;
    std::map<std::string, std::vector<uint8_t>> dmLogs;
    bool refuseDmLogs = false;  // saveDmLog fails, as a full disk would
};

// Plays udev: ttys present at start, then adds and removes.
class FakeDeviceSource final : public DeviceSource {
public:
    void start(DeviceListener& listener) override {
        listener_ = &listener;
        for (const TtyDevice& tty : present) listener.ttyAdded(tty);
    }
    void add(const TtyDevice& tty) { listener_->ttyAdded(tty); }
    void remove(const std::string& sysPath) { listener_->ttyRemoved(sysPath); }

    std::vector<TtyDevice> present;

private:
    DeviceListener* listener_ = nullptr;
};

// A tty of a USB modem as udev describes it: `port` is the USB port path ("1-1.2").
inline TtyDevice usbTty(const std::string& port, const std::string& interface, const std::string& vendor = "2c7c",
                        const std::string& product = "0125", const std::string& serial = "") {
    std::string usb = "/sys/devices/pci0000:00/0000:00:14.0/usb1/" + port;
    std::string name = "ttyUSB" + port + "." + interface;
    return {usb + "/" + port + ":1." + interface + "/" + name,
            "/dev/" + name,
            interface,
            usb,
            port,
            vendor,
            product,
            serial};
}

}  // namespace dialupd::testing
