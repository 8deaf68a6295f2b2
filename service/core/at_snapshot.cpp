#include "at_snapshot.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include "text.h"

namespace dialupd {
namespace {

constexpr const char* kQuectelServingCell = "AT+QENG=\"servingcell\"";

bool isFinalResult(std::string_view line) {
    return line == "OK" || line == "ERROR" || line.starts_with("+CME ERROR:") || line.starts_with("+CMS ERROR:") ||
           line == "NO CARRIER";
}

std::string_view trimmed(std::string_view line) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    return line;
}

bool containsQuectel(std::string_view line) {
    std::string lower(line);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower.find("quectel") != std::string::npos;
}

}  // namespace

const std::vector<std::string>& atSnapshotCommands() {
    static const std::vector<std::string> commands = {
        "ATI",                                   // manufacturer, model, firmware
        "AT+CEER",                               // the network's cause for the last failure
        "AT+CSQ",                                // signal; 99 = unknown / none
        "AT+CPIN?",                              // SIM state
        "AT+CREG?", "AT+CGREG?", "AT+CEREG?",    // CS, GPRS and EPS registration
        "AT+COPS?",                              // operator and access technology
        "AT+CGACT?",                             // PDP contexts active
    };
    return commands;
}

std::string explainAtError(std::string_view line) {
    static const std::map<int, const char*> cme = {
        {3, "operation not allowed"},  {4, "operation not supported"}, {10, "SIM not inserted"},
        {11, "SIM PIN required"},      {12, "SIM PUK required"},      {13, "SIM failure"},
        {14, "SIM busy"},              {15, "SIM wrong"},             {16, "incorrect password"},
        {30, "no network service"},    {31, "network timeout"},       {50, "incorrect parameters"},
        {100, "unknown error"},
    };
    constexpr std::string_view prefix = "+CME ERROR:";
    if (!line.starts_with(prefix)) return std::string(line);
    std::string_view code = trimmed(line.substr(prefix.size()));
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
    : opener_(opener), scheduler_(scheduler), limits_(limits) {}

AtSnapshot::~AtSnapshot() { *alive_ = false; }

void AtSnapshot::start(const std::string& port, Done done) {
    done_ = std::move(done);
    port_ = port;
    text_.clear();
    quectel_ = false;
    current_.clear();
    answer_.clear();
    queue_ = atSnapshotCommands();
    try {
        channel_ = opener_.open(port, *this);
    } catch (const AtPortError& error) {
        const char* what = error.kind() == AtPortError::Kind::Absent ? "absent"
                           : error.kind() == AtPortError::Kind::Busy ? "busy"
                                                                     : "not usable";
        finish(fmt::format("AT port {}: {}", what, error.what()));
        return;
    }
    totalTimer_ = scheduler_.after(limits_.total, [this] {
        totalTimer_.reset();
        finish(fmt::format("snapshot cut off after {} ms (waiting for {})", limits_.total.count(), current_));
    });
    sendNext();
}

void AtSnapshot::sendNext() {
    if (queue_.empty()) {
        finish("");
        return;
    }
    current_ = queue_.front();
    queue_.erase(queue_.begin());
    answer_.clear();
    commandTimer_ = scheduler_.after(limits_.perCommand, [this] { commandTimedOut(); });
    channel_->send(current_);
}

void AtSnapshot::atLine(std::string_view raw) {
    // The module's text enters the core here: from now on it is clean (text.h), final result
    // codes such as "+CME ERROR: <anything>" included.
    const std::string clean = sanitizeText(trimmed(raw));
    std::string_view line = clean;
    if (line.empty() || !done_) return;
    if (current_.empty()) {
        record(fmt::format("(unsolicited) {}", line));
        return;
    }
    if (line == current_) return;  // the module echoes commands (ATE1)
    if (!isFinalResult(line)) {
        if (answer_.size() < 32) answer_.emplace_back(line);
        if (current_ == "ATI" && containsQuectel(line)) quectel_ = true;
        return;
    }
    commandTimer_.reset();
    std::vector<std::string> shown = answer_;
    if (line != "OK" || shown.empty()) shown.push_back(explainAtError(line));
    if (shown.size() == 1) {
        record(fmt::format("{} -> {}", current_, shown[0]));
    } else {
        record(current_ + " ->");
        for (const std::string& answer : shown) record("    " + answer);
    }
    if (current_ == "ATI" && quectel_) queue_.push_back(kQuectelServingCell);
    current_.clear();
    sendNext();
}

void AtSnapshot::atClosed(std::string_view why) {
    finish(fmt::format("AT port closed{}: {}", current_.empty() ? "" : " waiting for " + current_, why));
}

void AtSnapshot::commandTimedOut() {
    commandTimer_.reset();
    // A late answer could be taken for the next command's: stop here rather than guess.
    std::string late = current_;
    record(fmt::format("{} -> no answer within {} ms", late, limits_.perCommand.count()));
    current_.clear();
    finish(queue_.empty() ? "" : fmt::format("AT port silent: {} command(s) not sent", queue_.size()));
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
    commandTimer_.reset();
    totalTimer_.reset();
    Done done = std::move(done_);
    done_ = nullptr;
    // This may run inside the channel's own callback: close it on a later turn, then report.
    std::shared_ptr<AtChannel> channel(std::move(channel_));
    std::string text = fmt::format("== AT snapshot ({}) ==\n{}", port_, text_);
    scheduler_.defer([alive = alive_, channel, done = std::move(done), text = std::move(text)]() mutable {
        channel.reset();
        if (*alive) done(std::move(text));
    });
}

}  // namespace dialupd
