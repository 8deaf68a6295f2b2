// SPDX-License-Identifier: GPL-2.0-or-later
// What a module says on its AT port, played line by line into the two parts of the core that
// listen: the diagnostic snapshot after a hangup (AtSnapshot) and module recovery
// (ModuleRecovery), both over the one AT session (AtSession), plus the helpers they share
// (the session's final-result parser, explainAtError); and the readiness checks before a dial
// (ReadinessCheck) with the parsers of at_replies.h.
//
// The input is a transcript: one line of it reaches the open channel every 10 ms of fake time,
// whatever was sent (a module may answer late, early, twice or never). Two control lines: one
// starting with \x04 hangs the tty up, "\x05" makes the next open fail. (The reason for a hangup
// comes from the daemon's own tty code, not from the module: it is fixed here.)
// FUZZ_VERBOSE=1 prints the recovery's notes as it goes.
#include <algorithm>
#include <cctype>

#include "../tests/unit/fakes.h"
#include "core/at_replies.h"
#include "core/at_session.h"
#include "core/at_snapshot.h"
#include "core/module_recovery.h"
#include "core/readiness.h"
#include "fuzz.h"

using namespace dialupd;
using namespace std::chrono_literals;

namespace {

constexpr auto kTick = 10ms;

class ScriptedPort final : public AtPortOpener, public UsbResetter {
public:
    explicit ScriptedPort(const std::vector<std::string_view>& lines) : lines_(lines) {}

    class Channel final : public AtChannel {
    public:
        Channel(ScriptedPort& port, AtChannelObserver& observer) : port_(port), observer_(observer) {
            ++port_.openChannels;
            port_.current_ = this;
        }
        ~Channel() override {
            --port_.openChannels;
            if (port_.current_ == this) port_.current_ = nullptr;
        }
        void send(std::string_view commandLine) override { port_.sent.emplace_back(commandLine); }
        void sendRaw(std::string_view bytes) override { port_.sent.emplace_back(bytes); }
        void sendSecret(std::string_view commandLine) override {
            port_.sent.emplace_back(commandLine);
            ++port_.secretSends;
        }

        ScriptedPort& port_;
        AtChannelObserver& observer_;
        bool hungUp = false;
    };

    std::unique_ptr<AtChannel> open(const std::string& path, AtChannelObserver& observer) override {
        if (failNextOpen_) {
            failNextOpen_ = false;
            throw AtPortError(AtPortError::Kind::Absent, path + ": No such file or directory");
        }
        return std::make_unique<Channel>(*this, observer);
    }
    void reset(const std::string&) override { ++usbResets; }

    // One line of the transcript to whoever has the port open now. The observer only ever lets
    // a channel go on a later turn of the loop, so `channel` outlives the call.
    void tick() {
        if (next_ < lines_.size() && lines_[next_] == "\x05") {
            failNextOpen_ = true;
            ++next_;
        }
        Channel* channel = current_;
        if (!channel || channel->hungUp || next_ >= lines_.size()) return;
        std::string_view line = lines_[next_++];
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // as TtyAtPort does
        if (line.starts_with('\x04')) {
            channel->hungUp = true;
            ++hangUps;
            channel->observer_.atClosed("Input/output error");
        } else {
            delivered.emplace_back(line);
            channel->observer_.atLine(line);
        }
    }
    bool exhausted() const { return next_ >= lines_.size(); }

    int openChannels = 0;
    int usbResets = 0;
    int hangUps = 0;
    int secretSends = 0;
    std::vector<std::string> sent;
    std::vector<std::string> delivered;

private:
    const std::vector<std::string_view>& lines_;
    size_t next_ = 0;
    bool failNextOpen_ = false;
    Channel* current_ = nullptr;
};

bool mentionsQuectel(std::string_view line) {
    std::string lower(line);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower.find("quectel") != std::string::npos;
}

void checkHelpers(std::string_view line) {
    std::optional<AtFinal> final = parseFinalResult(line);
    FUZZ_CHECK(final.has_value() == isFinalResult(line), "parseFinalResult and isFinalResult disagree on '{}'", line);
    if (final) {
        FUZZ_CHECK(line.starts_with(toString(*final)), "'{}' taken for {}", line, toString(*final));
        static const std::vector<std::string_view> kFinal = {"OK",          "ERROR",     "NO CARRIER", "BUSY",
                                                             "NO DIALTONE", "NO ANSWER", "CONNECT"};
        bool known = std::find(kFinal.begin(), kFinal.end(), line) != kFinal.end() || line.starts_with("CONNECT ") ||
                     line.starts_with("+CME ERROR:") || line.starts_with("+CMS ERROR:");
        FUZZ_CHECK(known, "'{}' taken for a final result", line);
    }
    std::string explained = explainAtError(line);
    if (explained != line) {
        FUZZ_CHECK(line.starts_with("+CME ERROR:") && explained.starts_with(line) && explained.ends_with(")"),
                   "explainAtError('{}') = '{}'", line, explained);
        std::string problem = fuzz::textProblem(explained.substr(line.size()), false);
        FUZZ_CHECK(problem.empty(), "the explanation added to '{}': {}", line, problem);
    }
}

// The parsers of at_replies.h: whatever they accept is within range.
void checkReplies(std::string_view line) {
    if (std::optional<PinRetries> retries = parseQpinc(line))
        FUZZ_CHECK(retries->pin <= 15 && retries->puk <= 15, "'{}' read as {} and {} tries", line, retries->pin,
                   retries->puk);
    for (bool solicited : {true, false}) {
        std::optional<RegistrationReport> report = parseRegistration(line, solicited);
        if (!report) continue;
        FUZZ_CHECK(report->lac.size() <= 6 && report->cellId.size() <= 9, "'{}' read with location {} {}", line,
                   report->lac, report->cellId);
        FUZZ_CHECK(!report->act || *report->act <= 13, "'{}' read with AcT {}", line, *report->act);
    }
    if (std::optional<std::string> imsi = parseImsi(line))
        FUZZ_CHECK(imsi->size() >= 6 && imsi->size() <= 15 &&
                       std::all_of(imsi->begin(), imsi->end(), [](char c) { return c >= '0' && c <= '9'; }),
                   "'{}' read as IMSI {}", line, *imsi);
    parseCpin(line);
}

class NoProviders final : public ProviderDatabase {
public:
    std::optional<ProviderApn> findApn(std::string_view imsi) override {
        if (imsi.starts_with("26201")) return ProviderApn{"P", "262", "01", "internet.example", "", "", ""};
        return std::nullopt;
    }
    std::string source() const override { return "test"; }
};

void runReadiness(const std::vector<std::string_view>& lines, bool apnGiven) {
    testing::FakeScheduler scheduler;
    ScriptedPort port(lines);
    NoProviders providers;
    FailedPins failedPins;
    ReadinessSettings settings{.atPort = "/dev/ttyUSB2",
                               .apnGiven = apnGiven,
                               .allowRoaming = true,
                               .registrationTimeout = 500ms,
                               .answer = 50ms};
    // Every command at its longest (the PIN's 3 times), and the registration's wait.
    auto bound = 16 * settings.answer * 3 + settings.registrationTimeout + 20 * kTick;
    int done = 0;
    bool inStart = true;
    std::vector<std::string> notes;
    std::optional<Error> error;
    auto started = scheduler.monotonicNow();
    {
        ReadinessCheck check(port, scheduler, providers, failedPins);
        check.start(
            settings, [] { return std::optional<Secret>(Secret("1234")); },
            [&](std::string_view note) { notes.emplace_back(note); },
            [&](Readiness, std::optional<Error> failed) {
                FUZZ_CHECK(!inStart, "readiness reported from inside start()");
                ++done;
                error = std::move(failed);
            });
        inStart = false;
        while (done == 0 && scheduler.monotonicNow() - started <= bound) {
            port.tick();
            scheduler.advance(kTick);
        }
        FUZZ_CHECK(done == 1, "readiness reported {} times within {} ms", done,
                   std::chrono::duration_cast<std::chrono::milliseconds>(bound).count());
        scheduler.advance(bound);
    }
    scheduler.runDeferred();
    FUZZ_CHECK(done == 1, "readiness reported {} times", done);
    FUZZ_CHECK(port.openChannels == 0, "{} channel(s) left open after readiness", port.openChannels);
    if (error) {
        static const std::vector<std::string_view> kNames = {
            error_name::kSimPinRequired, error_name::kSimPinRejected,     error_name::kSimPukRequired,
            error_name::kSimMissing,     error_name::kRegistrationDenied, error_name::kRoamingNotAllowed,
            error_name::kNotRegistered,  error_name::kApnRequired};
        FUZZ_CHECK(std::find(kNames.begin(), kNames.end(), error->name()) != kNames.end(), "error {}", error->name());
    }
    // The PIN goes only as a secret, at most once, and only after the module said 2 or more
    // tries are left; it is in no note.
    int pinCommands = static_cast<int>(std::count_if(
        port.sent.begin(), port.sent.end(), [](const std::string& sent) { return sent.starts_with("AT+CPIN="); }));
    FUZZ_CHECK(pinCommands <= 1 && pinCommands == port.secretSends, "{} PIN commands, {} secret sends", pinCommands,
               port.secretSends);
    if (pinCommands == 1) {
        bool allowed = std::any_of(port.delivered.begin(), port.delivered.end(), [](const std::string& line) {
            std::optional<PinRetries> retries = parseQpinc(trimmedAtLine(line));
            return retries && retries->pin >= 2;
        });
        FUZZ_CHECK(allowed, "the PIN was sent without the module saying 2 or more tries are left");
    }
    for (const std::string& note : notes) {
        FUZZ_CHECK(note.find("AT+CPIN=\"1234") == std::string::npos, "the PIN in a note: {}", note);
        std::string problem = fuzz::textProblem(note, false);
        FUZZ_CHECK(problem.empty(), "readiness note: {}", problem);
    }
}

void checkSnapshotText(const std::string& text) {
    const std::string header = "== AT snapshot (/dev/ttyUSB2) ==\n";
    FUZZ_CHECK(text.starts_with(header), "snapshot text starts '{}'", text.substr(0, 40));
    FUZZ_CHECK(text.ends_with('\n'), "snapshot text has no final newline");
    // 16 KiB, plus the line that crossed the limit (1 KiB at most) and the marker.
    FUZZ_CHECK(text.size() <= header.size() + 16 * 1024 + 1024 + 64, "snapshot text of {} bytes", text.size());
    fuzz::forEachLine(text, [](std::string_view line) {
        FUZZ_CHECK(line.size() <= 1024 + 3, "snapshot line of {} bytes", line.size());
        // Until issue 16 item 2 lands, final results (+CME/+CMS ERROR) go in unsanitized.
        if (!fuzz::kStrictText &&
            (line.find("+CME ERROR:") != std::string_view::npos || line.find("+CMS ERROR:") != std::string_view::npos))
            return;
        std::string problem = fuzz::textProblem(line, false);
        FUZZ_CHECK(problem.empty(), "snapshot line: {}", problem);
    });
}

void runSnapshot(const std::vector<std::string_view>& lines) {
    testing::FakeScheduler scheduler;
    ScriptedPort port(lines);
    AtSnapshotLimits limits{3000ms, 1000ms};
    auto started = scheduler.monotonicNow();
    int done = 0;
    bool inStart = true;
    std::string text;
    {
        AtSnapshot snapshot(port, scheduler, limits);
        snapshot.start("/dev/ttyUSB2", [&](std::string result) {
            FUZZ_CHECK(!inStart, "the snapshot reported from inside start()");
            ++done;
            text = std::move(result);
        });
        inStart = false;
        while (done == 0 && scheduler.monotonicNow() - started <= limits.total + 10 * kTick) {
            port.tick();
            scheduler.advance(kTick);
        }
        FUZZ_CHECK(done == 1, "the snapshot reported {} times within its {} ms bound", done, limits.total.count());
        scheduler.advance(limits.total);  // nothing more may come
    }
    scheduler.runDeferred();
    FUZZ_CHECK(done == 1, "the snapshot reported {} times", done);
    FUZZ_CHECK(port.openChannels == 0, "{} AT channel(s) left open", port.openChannels);
    checkSnapshotText(text);

    // It asks the fixed commands in order; AT+QENG only of a module that said it is a Quectel.
    const std::vector<std::string>& commands = atSnapshotCommands();
    bool quectel = std::any_of(port.delivered.begin(), port.delivered.end(), mentionsQuectel);
    for (size_t i = 0; i < port.sent.size(); ++i) {
        if (i < commands.size()) {
            FUZZ_CHECK(port.sent[i] == commands[i], "command {} was '{}'", i, port.sent[i]);
        } else {
            FUZZ_CHECK(i == commands.size() && quectel && port.sent[i] == "AT+QENG=\"servingcell\"",
                       "extra command '{}'", port.sent[i]);
        }
    }
}

void runRecovery(const std::vector<std::string_view>& lines) {
    testing::FakeScheduler scheduler;
    ScriptedPort port(lines);
    // Short limits: the ladder's shape, not its real pace, is what is under test.
    RecoveryLimits limits{50ms, 60ms, 400ms, 100ms};
    // Every rung at its longest: probe, escape, ATH and AT, reboot, then twice a full wait.
    auto bound =
        limits.answer * 3 + limits.guard * 3 + limits.answer * 5 + 2 * (limits.rebootWait + limits.poll) + 50 * kTick;
    int notes = 0;
    int done = 0;
    bool inStart = true;
    std::optional<std::string> recoveredBy;
    auto started = scheduler.monotonicNow();
    {
        ModuleRecovery recovery(port, scheduler, &port, limits, [&](std::string_view note) {
            FUZZ_CHECK(!note.empty(), "an empty note");
            if (std::getenv("FUZZ_VERBOSE"))
                std::fprintf(stderr, "%8.3f %.*s\n",
                             std::chrono::duration<double>(scheduler.monotonicNow() - started).count(),
                             static_cast<int>(note.size()), note.data());
            ++notes;
        });
        recovery.start(
            [] {
                return RecoveryPorts{"/dev/ttyUSB3", "/dev/ttyUSB2", "1-1"};
            },
            [&](std::optional<std::string> rung) {
                FUZZ_CHECK(!inStart, "recovery reported from inside start()");
                ++done;
                recoveredBy = std::move(rung);
            });
        inStart = false;
        while (done == 0 && scheduler.monotonicNow() - started <= bound) {
            port.tick();
            scheduler.advance(kTick);
        }
        if (done == 0 && !fuzz::kRecoverySurvivesHangups && port.hangUps > 0) return;  // issue 17 item 2
        FUZZ_CHECK(done == 1, "recovery reported {} times within {} ms", done,
                   std::chrono::duration_cast<std::chrono::milliseconds>(bound).count());
        scheduler.advance(bound);
    }
    scheduler.runDeferred();
    FUZZ_CHECK(done == 1, "recovery reported {} times", done);
    FUZZ_CHECK(port.openChannels == 0, "{} channel(s) left open after recovery", port.openChannels);
    FUZZ_CHECK(notes < 200, "{} notes", notes);
    if (recoveredBy) {
        static const std::vector<std::string> kRungs = {"probe", "escape", "reboot", "usb-reset"};
        FUZZ_CHECK(std::find(kRungs.begin(), kRungs.end(), *recoveredBy) != kRungs.end(), "rung '{}'", *recoveredBy);
        // Only an OK brings a module back (the session trims the whitespace around a line).
        FUZZ_CHECK(std::any_of(port.delivered.begin(), port.delivered.end(),
                               [](const std::string& line) { return trimmedAtLine(line) == "OK"; }),
                   "recovered by {} without an OK", *recoveredBy);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> lines;
    fuzz::forEachLine(input, [&](std::string_view line) { lines.push_back(line); });
    for (std::string_view line : lines) {
        checkHelpers(line);
        checkReplies(line);
    }
    runSnapshot(lines);
    runRecovery(lines);
    runReadiness(lines, true);
    runReadiness(lines, false);
    return 0;
}
