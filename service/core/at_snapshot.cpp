// SPDX-License-Identifier: GPL-2.0-or-later
#include "at_snapshot.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include "text.h"

namespace dialupd {
namespace {

constexpr const char* kQuectelServingCell = "AT+QENG=\"servingcell\"";

bool containsQuectel(const std::string& line) {
    std::string lower(line);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower.find("quectel") != std::string::npos;
}

// The questions, in order.
struct AtSnapshotQuestion {
    const char* command;
    bool asksIdentity;  // a Quectel that names itself in the answer is asked AT+QENG too
};
constexpr AtSnapshotQuestion kQuestions[] = {
    {"ATI", true},                                                     // manufacturer, model, firmware
    {"AT+CEER", false},                                                // the network's cause for the last failure
    {"AT+CSQ", false},                                                 // signal; 99 = unknown / none
    {"AT+CPIN?", false},                                               // SIM state
    {"AT+CREG?", false},  {"AT+CGREG?", false}, {"AT+CEREG?", false},  // CS, GPRS and EPS registration
    {"AT+COPS?", false},                                               // operator and access technology
    {"AT+CGACT?", false},                                              // PDP contexts active
};

}  // namespace

const std::vector<std::string>& atSnapshotCommands() {
    static const std::vector<std::string> commands = [] {
        std::vector<std::string> all;
        for (const AtSnapshotQuestion& question : kQuestions) all.emplace_back(question.command);
        return all;
    }();
    return commands;
}

std::string explainAtError(std::string_view line) {
    static const std::map<int, const char*> cme = {
        {3, "operation not allowed"},
        {4, "operation not supported"},
        {10, "SIM not inserted"},
        {11, "SIM PIN required"},
        {12, "SIM PUK required"},
        {13, "SIM failure"},
        {14, "SIM busy"},
        {15, "SIM wrong"},
        {16, "incorrect password"},
        {30, "no network service"},
        {31, "network timeout"},
        {50, "incorrect parameters"},
        {100, "unknown error"},
    };
    constexpr std::string_view prefix = "+CME ERROR:";
    if (!line.starts_with(prefix)) return std::string(line);
    std::string_view code = trimmedAtLine(line.substr(prefix.size()));
    int number = 0;
    for (char c : code) {
        if (c < '0' || c > '9' || number > 100000) return std::string(line);
        number = number * 10 + (c - '0');
    }
    auto known = cme.find(number);
    if (code.empty() || known == cme.end()) return std::string(line);
    return fmt::format("{} ({})", line, known->second);
}

AtSnapshot::AtSnapshot(AtPortOpener& opener, Scheduler& scheduler, AtSnapshotLimits limits)
    : scheduler_(scheduler),
      limits_(limits),
      session_(opener, scheduler,
               {.unsolicited = [this](std::string_view line) { record(fmt::format("(unsolicited) {}", line)); },
                .closed = [this](std::string_view why) { finish(fmt::format("AT port closed: {}", why)); }}) {}

void AtSnapshot::start(const std::string& port, Done done) {
    done_ = std::move(done);
    port_ = port;
    text_.clear();
    current_ = {};
    queue_.clear();
    for (const AtSnapshotQuestion& question : kQuestions) queue_.push_back({question.command, question.asksIdentity});
    try {
        session_.open(port);
    } catch (const AtPortError& error) {
        const char* what = error.kind() == AtPortError::Kind::Absent ? "absent"
                           : error.kind() == AtPortError::Kind::Busy ? "busy"
                                                                     : "not usable";
        finish(fmt::format("AT port {}: {}", what, error.what()));
        return;
    }
    totalTimer_ = scheduler_.after(limits_.total, [this] {
        auto fired = std::move(totalTimer_);
        finish(fmt::format("snapshot cut off after {} ms (waiting for {})", limits_.total.count(), current_.command));
    });
    askNext();
}

void AtSnapshot::askNext() {
    if (queue_.empty()) {
        finish("");
        return;
    }
    current_ = std::move(queue_.front());
    queue_.erase(queue_.begin());
    session_.send(current_.command, limits_.perCommand, [this](AtResult result) { answered(std::move(result)); });
}

void AtSnapshot::answered(AtResult result) {
    const std::string& command = current_.command;
    switch (result.end) {
        case AtResult::End::Closed:
            finish(fmt::format("AT port closed waiting for {}: {}", command, result.closedWhy));
            return;
        case AtResult::End::Timeout:
            // A late answer could be taken for the next command's: stop here rather than guess.
            record(fmt::format("{} -> no answer within {} ms", command, limits_.perCommand.count()));
            finish(queue_.empty() ? "" : fmt::format("AT port silent: {} command(s) not sent", queue_.size()));
            return;
        case AtResult::End::Final:
            break;
    }
    std::vector<std::string> shown = result.lines;
    if (!result.ok() || shown.empty()) shown.push_back(explainAtError(result.finalLine));
    if (shown.size() == 1) {
        record(fmt::format("{} -> {}", command, shown[0]));
    } else {
        record(command + " ->");
        for (const std::string& answer : shown) record("    " + answer);
    }
    if (current_.asksIdentity && std::any_of(result.lines.begin(), result.lines.end(), containsQuectel))
        queue_.push_back({kQuectelServingCell});
    askNext();
}

void AtSnapshot::record(std::string line) {
    // Bounded like the rest of the call's text: a port that floods us cannot grow it.
    constexpr size_t kLimit = 16 * 1024;
    if (text_.size() >= kLimit) return;
    text_ += shortened(line, 1024);
    text_ += '\n';
    if (text_.size() >= kLimit) text_ += "[... AT snapshot cut at 16 KiB ...]\n";
}

void AtSnapshot::finish(std::string_view why) {
    if (!done_) return;
    if (!why.empty()) record(std::string(why));
    totalTimer_.reset();
    session_.close();  // the port and its lock go on a later turn, before `done` runs
    session_.later([done = std::move(done_), text = fmt::format("== AT snapshot ({}) ==\n{}", port_, text_)]() mutable {
        done(std::move(text));
    });
    done_ = nullptr;
}

}  // namespace dialupd
