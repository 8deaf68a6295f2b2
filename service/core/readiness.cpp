// SPDX-License-Identifier: GPL-2.0-or-later
#include "readiness.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "at_snapshot.h"
#include "text.h"

namespace dialupd {
namespace {

constexpr const char* kPinCommandShown = "AT+CPIN=\"<hidden>\"";

int rank(Registration state) {
    switch (state) {
        case Registration::Home:
            return 5;
        case Registration::Roaming:
            return 4;
        case Registration::Searching:
            return 3;
        case Registration::Denied:
            return 2;
        case Registration::Idle:
            return 1;
        case Registration::Unknown:
            break;
    }
    return 0;
}

std::string_view domainName(RegistrationDomain domain) {
    switch (domain) {
        case RegistrationDomain::Eps:
            return "EPS";
        case RegistrationDomain::Ps:
            return "PS";
        case RegistrationDomain::Cs:
            break;
    }
    return "CS";
}

struct RegistrationRead {
    const char* command;
    const char* prefix;
    RegistrationDomain domain;
};
constexpr RegistrationRead kRegistrationReads[] = {
    {"AT+CEREG?", "+CEREG:", RegistrationDomain::Eps},
    {"AT+CGREG?", "+CGREG:", RegistrationDomain::Ps},
    {"AT+CREG?", "+CREG:", RegistrationDomain::Cs},
};

bool isPin(std::string_view pin) {
    // 3GPP TS 31.101: a PIN is 4 to 8 digits. Anything else could not be one, and a quote or a
    // CR in it would end the command early.
    return pin.size() >= 4 && pin.size() <= 8 &&
           std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

FailedPins::FailedPins() {
    std::random_device random;
    salt_ = (static_cast<uint64_t>(random()) << 32) ^ random();
}

uint64_t FailedPins::hash(const Secret& pin) const {
    // FNV-1a over the salt and the PIN: enough to tell "the same PIN again" without keeping it.
    // (No hash hides a 4-digit PIN from someone who has the memory and the salt; it keeps the
    // PIN itself out of memory and core dumps.)
    uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](unsigned char byte) {
        h ^= byte;
        h *= 1099511628211ULL;
    };
    for (int i = 0; i < 8; ++i) mix(static_cast<unsigned char>(salt_ >> (8 * i)));
    for (char c : pin.value()) mix(static_cast<unsigned char>(c));
    return h;
}

ReadinessCheck::ReadinessCheck(AtPortOpener& opener, Scheduler& scheduler, ProviderDatabase& providers,
                               FailedPins& failedPins)
    : scheduler_(scheduler),
      providers_(providers),
      failedPins_(failedPins),
      session_(opener, scheduler,
               {.unsolicited = [this](std::string_view line) { heardUnsolicited(line, ""); },
                .closed =
                    [this](std::string_view why) {
                        // A waiting command has had its Closed already; this is for the wait.
                        if (running() && step_ == Step::AwaitRegistration)
                            skip(fmt::format("AT port closed waiting for registration: {}", why));
                    }}) {}

ReadinessCheck::~ReadinessCheck() = default;

void ReadinessCheck::start(ReadinessSettings settings, PinSource pin, Note note, Done done) {
    if (running()) throw std::logic_error("ReadinessCheck: already running");
    settings_ = std::move(settings);
    pinSource_ = std::move(pin);
    note_ = std::move(note);
    done_ = std::move(done);
    readiness_ = {};
    pin_.reset();
    domains_.clear();
    answeringDomains_.clear();
    if (settings_.atPort.empty()) {
        skip("no AT port");
        return;
    }
    try {
        session_.open(settings_.atPort);
    } catch (const AtPortError& error) {
        const char* what = error.kind() == AtPortError::Kind::Absent ? "absent"
                           : error.kind() == AtPortError::Kind::Busy ? "busy"
                                                                     : "not usable";
        skip(fmt::format("AT port {}: {}", what, error.what()));
        return;
    }
    ask(Step::SimState, "AT+CPIN?");
}

void ReadinessCheck::ask(Step step, std::string command) {
    step_ = step;
    command_ = std::move(command);
    session_.send(command_, settings_.answer, [this](AtResult result) { answered(std::move(result)); });
}

void ReadinessCheck::abandon(std::function<void()> released) {
    done_ = nullptr;
    step_ = Step::Idle;
    registrationTimer_.reset();
    pin_.reset();
    if (session_.waiting()) {
        abandoned_ = std::move(released);
        return;
    }
    session_.close();
    session_.later(std::move(released));
}

void ReadinessCheck::answered(AtResult result) {
    if (abandoned_) {
        // The answer to the command abandon() found waiting: now nothing of ours is on its way.
        session_.close();
        session_.later(std::move(abandoned_));
        abandoned_ = nullptr;
        return;
    }
    if (result.end == AtResult::End::Closed) {
        skip(fmt::format("AT port closed waiting for {}: {}", command_, result.closedWhy));
        return;
    }
    if (result.end == AtResult::End::Timeout) {
        if (step_ == Step::Signal) {
            fail(error_name::kNotRegistered,
                 fmt::format("not registered within {} s: {}; no answer to AT+CSQ",
                             settings_.registrationTimeout.count() / 1000, registrationSummary()));
            return;
        }
        // A late answer could be taken for the next command's: stop asking.
        skip(fmt::format("no answer to {} within {} ms", command_, settings_.answer.count()));
        return;
    }
    switch (step_) {
        case Step::SimState:
            simState(result, false);
            return;
        case Step::SimStateAgain:
            simState(result, true);
            return;
        case Step::PinRetries:
            pinRetries(result);
            return;
        case Step::EnterPin:
            pinEntered(result);
            return;
        case Step::EnableUrcs:
            for (const std::string& line : result.lines) heardUnsolicited(line, command_);
            noteAnswer(result, {});
            enableUrcs();
            return;
        case Step::Imsi:
            lookUpApn(result);
            return;
        case Step::ReadRegistration:
            registrationRead(result);
            return;
        case Step::Signal:
            signalRead(result);
            return;
        case Step::Idle:
        case Step::AwaitRegistration:
            return;
    }
}

// "AT+CPIN? -> +CPIN: READY": the answer lines (what came unsolicited meanwhile is noted on
// its own), an error's meaning spelt out.
void ReadinessCheck::noteAnswer(const AtResult& result, std::vector<std::string> shown) {
    if (!result.ok() || shown.empty()) shown.push_back(explainAtError(result.finalLine));
    std::string line = command_ + " -> ";
    for (size_t i = 0; i < shown.size(); ++i) line += (i ? " | " : "") + shown[i];
    note_(shortened(line, 1024));
}

void ReadinessCheck::simState(const AtResult& result, bool afterPin) {
    std::optional<SimState> state;
    std::vector<std::string> answers;
    for (const std::string& line : result.lines) {
        if (std::optional<SimState> parsed = parseCpin(line)) {
            state = parsed;
            answers.push_back(line);
        } else {
            heardUnsolicited(line, command_);
        }
    }
    if (!state && !result.ok()) state = parseCpin(result.finalLine);
    noteAnswer(result, answers);
    readiness_.sim = state.value_or(SimState::Unknown);
    switch (readiness_.sim) {
        case SimState::Ready:
            if (afterPin) note_("SIM unlocked");
            enableUrcs();
            return;
        case SimState::PinRequired:
            break;
        case SimState::PukRequired:
            fail(error_name::kSimPukRequired,
                 "the SIM is locked by its PUK (too many wrong PINs): dialupd never tries a PUK; unlock it by hand");
            return;
        case SimState::Missing:
            fail(error_name::kSimMissing, fmt::format("no SIM in the module ({})", explainAtError(result.finalLine)));
            return;
        case SimState::Error:
            fail(error_name::kSimMissing,
                 fmt::format("the module cannot use its SIM ({})", result.ok() && !result.lines.empty()
                                                                       ? result.lines.front()
                                                                       : explainAtError(result.finalLine)));
            return;
        case SimState::Unknown:
            note_("SIM state not known: going on");
            enableUrcs();
            return;
    }
    if (afterPin) {
        fail(error_name::kSimPinRejected, "the SIM still asks for its PIN after taking one");
        return;
    }
    try {
        pin_ = pinSource_ ? pinSource_() : std::nullopt;
    } catch (const Error& error) {
        finish(error);
        return;
    }
    if (!pin_ || pin_->empty()) {
        fail(error_name::kSimPinRequired,
             "the SIM is locked and no PIN was given (Connect option pin, or sim-pin-file in the modem's section)");
        return;
    }
    if (!isPin(pin_->value())) {
        fail(error_name::kSimPinRejected, "the PIN given is not 4 to 8 digits: not sent");
        return;
    }
    if (failedPins_.contains(*pin_)) {
        fail(error_name::kSimPinRejected,
             "this PIN was refused by the SIM before: not sent again (each wrong try brings the PUK lock closer)");
        return;
    }
    ask(Step::PinRetries, "AT+QPINC=\"SC\"");
}

void ReadinessCheck::pinRetries(const AtResult& result) {
    std::optional<PinRetries> retries;
    std::vector<std::string> answers;
    for (const std::string& line : result.lines) {
        if (std::optional<PinRetries> parsed = parseQpinc(line)) {
            retries = parsed;
            answers.push_back(line);
        } else {
            heardUnsolicited(line, command_);
        }
    }
    noteAnswer(result, answers);
    if (!result.ok() || !retries) {
        fail(error_name::kSimPinRejected,
             "the module does not say how many PIN tries are left: no PIN sent, so that it cannot lock the SIM");
        return;
    }
    if (retries->pin < 2) {
        fail(error_name::kSimPinRejected,
             fmt::format("only {} PIN {} left: no PIN sent, so that a wrong one cannot lock the SIM (enter it by hand)",
                         retries->pin, retries->pin == 1 ? "try" : "tries"));
        return;
    }
    step_ = Step::EnterPin;
    command_ = kPinCommandShown;
    std::string command;
    WipeOnExit wipe(command);
    command.reserve(32);  // no reallocation leaves an unwiped copy behind
    command.append("AT+CPIN=\"").append(pin_->value()).append("\"");
    // The SIM checks the PIN: slower than other commands.
    session_.sendSecret(command, settings_.answer * 3, [this](AtResult answer) { answered(std::move(answer)); });
}

void ReadinessCheck::pinEntered(const AtResult& result) {
    // The answer's lines are never noted: a garbled echo of the command would be among them.
    for (const std::string& line : result.lines)
        if (parseRegistration(line, false)) heardUnsolicited(line, "the PIN");
    note_(
        fmt::format("{} -> {}", kPinCommandShown, result.ok() ? std::string("OK") : explainAtError(result.finalLine)));
    if (!result.ok()) {
        failedPins_.add(*pin_);
        pin_.reset();
        fail(error_name::kSimPinRejected,
             fmt::format("the SIM refused the PIN ({}); it will not be sent again", explainAtError(result.finalLine)));
        return;
    }
    pin_.reset();
    ask(Step::SimStateAgain, "AT+CPIN?");
}

void ReadinessCheck::enableUrcs() {
    if (step_ != Step::EnableUrcs) pendingUrcEnables_ = {"AT+CEREG=2", "AT+CGREG=2", "AT+CREG=2"};
    if (pendingUrcEnables_.empty()) {
        if (!settings_.apnGiven)
            ask(Step::Imsi, "AT+CIMI");
        else
            readRegistration();
        return;
    }
    std::string next = std::move(pendingUrcEnables_.front());
    pendingUrcEnables_.erase(pendingUrcEnables_.begin());
    ask(Step::EnableUrcs, std::move(next));  // an ERROR (a domain the module lacks) is noted, and on
}

void ReadinessCheck::lookUpApn(const AtResult& result) {
    std::optional<std::string> imsi;
    for (const std::string& line : result.lines) {
        if (std::optional<std::string> parsed = parseImsi(line))
            imsi = parsed;
        else
            heardUnsolicited(line, command_);
    }
    if (!result.ok() || !imsi) {
        noteAnswer(result, {});
        fail(error_name::kApnRequired, fmt::format("no APN given, and the module did not tell its IMSI ({} -> {})",
                                                   command_, explainAtError(result.finalLine)));
        return;
    }
    readiness_.imsi = imsi;
    // The IMSI names the subscriber: the call log gets its network part only.
    note_(fmt::format("{} -> {} (MCC {}, the rest not logged)", command_, imsi->substr(0, 5) + "...",
                      imsi->substr(0, 3)));
    std::optional<ProviderApn> found;
    try {
        found = providers_.findApn(*imsi);
    } catch (const ProviderDatabaseError& error) {
        fail(error_name::kApnRequired,
             fmt::format("no APN given, and the provider database is not usable: {}", error.what()));
        return;
    }
    if (!found) {
        fail(error_name::kApnRequired,
             fmt::format("no APN given, and {} has none for MCC {} MNC {} or {}: give one (Connect option apn, or "
                         "apn in the config)",
                         providers_.source(), imsi->substr(0, 3), imsi->substr(3, 2), imsi->substr(3, 3)));
        return;
    }
    note_(sanitizeText(fmt::format("APN from {}: {}", providers_.source(), describe(*found))));
    readiness_.apn = std::move(found);
    readRegistration();
}

void ReadinessCheck::readRegistration() {
    if (step_ != Step::ReadRegistration) {
        pendingRegistrationReads_.clear();
        for (const RegistrationRead& read : kRegistrationReads) pendingRegistrationReads_.push_back(read.command);
    }
    if (pendingRegistrationReads_.empty()) {
        if (!registrationDecides()) awaitRegistration();
        return;
    }
    std::string next = std::move(pendingRegistrationReads_.front());
    pendingRegistrationReads_.erase(pendingRegistrationReads_.begin());
    ask(Step::ReadRegistration, std::move(next));
}

void ReadinessCheck::registrationRead(const AtResult& result) {
    const RegistrationRead* read = &kRegistrationReads[0];
    for (const RegistrationRead& candidate : kRegistrationReads)
        if (command_ == candidate.command) read = &candidate;
    std::optional<RegistrationReport> answer;
    std::vector<std::string> answers;
    for (const std::string& line : result.lines) {
        // The answer has <n> first; a URC of the same kind (no <n>) does not read as one.
        std::optional<RegistrationReport> report =
            line.starts_with(read->prefix) ? parseRegistration(line, true) : std::nullopt;
        if (report && !answer) {
            answer = report;
            answers.push_back(line);
            // Taken in the order heard: a URC after the answer is newer than it.
            if (result.ok()) {
                domains_[read->domain] = answer->state;
                answeringDomains_.insert(read->domain);
            }
        } else {
            heardUnsolicited(line, command_);
        }
    }
    noteAnswer(result, answers);
    readRegistration();
}

// True when the registration ended the check (success or a refusal).
bool ReadinessCheck::registrationDecides() {
    // The data domains: EPS and PS; CS alone only for a module that tells neither.
    std::vector<RegistrationDomain> data;
    for (RegistrationDomain domain : {RegistrationDomain::Eps, RegistrationDomain::Ps})
        if (answeringDomains_.count(domain)) data.push_back(domain);
    if (data.empty() && answeringDomains_.count(RegistrationDomain::Cs)) data.push_back(RegistrationDomain::Cs);
    if (data.empty()) {
        note_("the module tells no registration state: not checked");
        succeed();
        return true;
    }
    Registration best = Registration::Unknown;
    for (RegistrationDomain domain : data)
        if (rank(domains_[domain]) > rank(best)) best = domains_[domain];
    readiness_.registration = best;
    switch (best) {
        case Registration::Home:
            succeed();
            return true;
        case Registration::Roaming:
            if (settings_.allowRoaming) {
                succeed();
            } else {
                fail(error_name::kRoamingNotAllowed,
                     fmt::format("registered roaming ({}), and allow-roaming is no", registrationSummary()));
            }
            return true;
        case Registration::Denied:
            fail(error_name::kRegistrationDenied,
                 fmt::format("the network denied the registration ({})", registrationSummary()));
            return true;
        default:
            return false;
    }
}

void ReadinessCheck::awaitRegistration() {
    step_ = Step::AwaitRegistration;
    command_.clear();
    note_(fmt::format("not registered yet ({}): waiting up to {} s for the network", registrationSummary(),
                      settings_.registrationTimeout.count() / 1000));
    registrationTimer_ = scheduler_.after(settings_.registrationTimeout, [this] {
        auto fired = std::move(registrationTimer_);
        ask(Step::Signal, "AT+CSQ");
    });
}

void ReadinessCheck::signalRead(const AtResult& result) {
    std::string signal = "not told";
    std::vector<std::string> answers;
    for (const std::string& line : result.lines) {
        if (line.starts_with("+CSQ:")) {
            signal = line + (line.starts_with("+CSQ: 99,") ? " (no signal)" : "");
            answers.push_back(line);
        } else {
            heardUnsolicited(line, command_);
        }
    }
    noteAnswer(result, answers);
    if (registrationDecides()) return;  // a URC among the lines came just in time
    fail(error_name::kNotRegistered,
         fmt::format("not registered within {} s: {}; signal {}", settings_.registrationTimeout.count() / 1000,
                     registrationSummary(), signal));
}

void ReadinessCheck::heardUnsolicited(std::string_view line, std::string_view during) {
    if (!running()) return;
    std::string where = during.empty() ? "" : fmt::format(", during {}", during);
    std::optional<RegistrationReport> report = parseRegistration(line, false);
    if (!report) {
        // Not noted during the PIN: it could be its garbled echo.
        if (during != "the PIN") note_(shortened(fmt::format("(unsolicited{}) {}", where, line), 1024));
        return;
    }
    note_(shortened(fmt::format("(unsolicited{}) {}", where, line), 1024));
    domains_[report->domain] = report->state;
    answeringDomains_.insert(report->domain);
    if (step_ == Step::AwaitRegistration) registrationDecides();
}

std::string ReadinessCheck::registrationSummary() const {
    std::string summary;
    for (RegistrationDomain domain : {RegistrationDomain::Eps, RegistrationDomain::Ps, RegistrationDomain::Cs}) {
        auto found = domains_.find(domain);
        if (found == domains_.end()) continue;
        if (!summary.empty()) summary += ", ";
        summary += fmt::format("{} {}", domainName(domain), toString(found->second));
    }
    return summary.empty() ? "no registration state told" : summary;
}

void ReadinessCheck::skip(std::string why) {
    readiness_.checked = false;
    // As before these checks existed: the dial goes on with the configured (or built-in) APN.
    note_(fmt::format("{}: SIM and registration not checked before the dial{}", why,
                      settings_.apnGiven ? "" : ", no APN looked up"));
    readiness_.skipped = std::move(why);
    finish(std::nullopt);
}

void ReadinessCheck::succeed() {
    readiness_.checked = true;
    if (readiness_.registration != Registration::Unknown)
        note_(fmt::format("ready: SIM {}, registered {}", toString(readiness_.sim), toString(readiness_.registration)));
    finish(std::nullopt);
}

void ReadinessCheck::fail(const char* errorName, std::string message) { finish(Error(errorName, message)); }

void ReadinessCheck::finish(std::optional<Error> error) {
    if (!done_) return;
    if (error) note_(fmt::format("not ready: {}", error->what()));
    step_ = Step::Idle;
    registrationTimer_.reset();
    pin_.reset();
    session_.close();  // the port and its lock go on a later turn, before `done` runs
    session_.later([done = std::move(done_), readiness = std::move(readiness_), error = std::move(error)]() mutable {
        done(std::move(readiness), std::move(error));
    });
    done_ = nullptr;
}

}  // namespace dialupd
