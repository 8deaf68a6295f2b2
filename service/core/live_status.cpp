// SPDX-License-Identifier: GPL-2.0-or-later
#include "live_status.h"

#include <algorithm>
#include <utility>
#include <variant>

#include <spdlog/spdlog.h>

#include "radio_replies.h"
#include "text.h"

namespace dialupd {
namespace {

// The URCs wanted: registration with location (=2) in all three domains, and Quectel's
// signal-change and access-technology-change indications.
constexpr const char* kSetup[] = {
    "AT+CREG=2", "AT+CGREG=2", "AT+CEREG=2", "AT+QINDCFG=\"csq\",1", "AT+QINDCFG=\"act\",1",
};

// Numeric first, then back to the long name: AT+COPS=3,0 is the format a module starts with,
// and the one the AT snapshot expects to read.
const std::vector<std::pair<const char*, bool>> kOperatorRead = {
    {"AT+COPS=3,2", false}, {"AT+COPS?", true}, {"AT+COPS=3,0", false}, {"AT+COPS?", true}};

bool registered(Registration state) { return state == Registration::Home || state == Registration::Roaming; }

// What to show of three domains: the first registered of EPS, PS and CS (an LTE module reports
// EPS, a 3G one PS, and CS may lag behind either); when none is, the most hopeful of them.
Registration combined(Registration cs, Registration ps, Registration eps) {
    for (Registration domain : {eps, ps, cs})
        if (registered(domain)) return domain;
    for (Registration wanted : {Registration::Searching, Registration::Denied, Registration::Idle})
        if (eps == wanted || ps == wanted || cs == wanted) return wanted;
    return Registration::Unknown;
}

}  // namespace

std::string_view toString(LiveField field) {
    switch (field) {
        case LiveField::Sim:
            return "SimState";
        case LiveField::Registration:
            return "RegistrationState";
        case LiveField::OperatorName:
            return "OperatorName";
        case LiveField::OperatorCode:
            return "OperatorCode";
        case LiveField::AccessTechnology:
            return "AccessTechnology";
        case LiveField::SignalQuality:
            return "SignalQuality";
        case LiveField::Signal:
            return "Signal";
        case LiveField::Imei:
            return "Imei";
        case LiveField::Iccid:
            return "Iccid";
    }
    return "";
}

LiveStatus::LiveStatus(AtPortOpener& opener, Scheduler& scheduler, std::string name, LiveStatusLimits limits)
    : opener_(opener), scheduler_(scheduler), name_(std::move(name)), limits_(limits) {}

LiveStatus::~LiveStatus() { *alive_ = false; }

LiveStatus::Phase LiveStatus::phase() const {
    if (path_.empty()) return Phase::NoPort;
    if (suspended_ > 0) return Phase::Suspended;  // (perhaps still waiting for our last answer)
    if (!session_) return Phase::Lost;
    return current_ || !queue_.empty() ? Phase::Reading : Phase::Listening;
}

void LiveStatus::setPort(std::string path) {
    bool same = path == path_;
    if (same && (session_ || suspended_ > 0)) return;
    path_ = std::move(path);
    queue_.clear();
    current_.reset();
    letGoForSuspend();  // the session, and whoever waits for it to end
    if (path_.empty()) {
        lose("");
        return;
    }
    if (suspended_ == 0) open();
}

void LiveStatus::suspend(std::function<void()> whenFree) {
    ++suspended_;
    queue_.clear();
    if (current_) {
        // Its answer is on its way: wait for it (sendNext's callback calls letGoForSuspend).
        if (whenFree) whenFree_.push_back(std::move(whenFree));
        return;
    }
    // Destroyed outside its own callbacks, the session lets the port (and its lock) go now.
    session_.reset();
    if (whenFree) whenFree();
}

void LiveStatus::letGoForSuspend() {
    // From inside the session's callback: the port goes on a later turn, and `whenFree` after it.
    session_.reset();
    for (auto& waiting : std::exchange(whenFree_, {}))
        scheduler_.defer([alive = alive_, waiting = std::move(waiting)] {
            if (*alive) waiting();
        });
}

void LiveStatus::resume() {
    if (suspended_ == 0) return;
    if (--suspended_ > 0) return;
    whenFree_.clear();
    if (path_.empty()) return;
    if (session_) {
        // Resumed before our command had ended: the port never went; read everything again.
        queueEverything();
        return;
    }
    open();
}

void LiveStatus::open() {
    LiveState before = state_;
    lostWhy_.clear();
    refused_.clear();
    auto session =
        std::make_unique<AtSession>(opener_, scheduler_,
                                    AtSession::Events{.unsolicited =
                                                          [this](std::string_view line) {
                                                              LiveState before = state_;
                                                              unsolicited(line);
                                                              publish(before);
                                                          },
                                                      .closed = [this](std::string_view why) { portClosed(why); }});
    try {
        session->open(path_);
    } catch (const AtPortError& error) {
        spdlog::info("[{}] live status: cannot open the AT port: {}", name_, error.what());
        lose(error.what());
        return;
    }
    session_ = std::move(session);
    queueEverything();
    publish(before);
}

void LiveStatus::queueEverything() {
    std::vector<Command> all;
    for (const char* command : kSetup) all.push_back({command, Step::Setup});
    all.push_back({"AT+CPIN?", Step::Sim});
    all.push_back({"AT+CREG?", Step::RegistrationRead});
    all.push_back({"AT+CGREG?", Step::RegistrationRead});
    all.push_back({"AT+CEREG?", Step::RegistrationRead});
    for (const auto& [command, reads] : kOperatorRead) all.push_back({command, reads ? Step::Operator : Step::Setup});
    all.push_back({"AT+CSQ", Step::Signal});
    all.push_back({"AT+QCSQ", Step::QuectelSignal});
    all.push_back({"AT+QNWINFO", Step::NetworkInfo});
    all.push_back({"AT+CGSN", Step::Imei});
    all.push_back({"AT+QCCID", Step::Iccid});
    queue(std::move(all));
}

void LiveStatus::queue(std::vector<Command> commands) {
    if (!session_ || suspended_ > 0) return;
    // A read already waiting to be sent covers the same read asked again.
    bool queued = std::all_of(commands.begin(), commands.end(), [&](const Command& command) {
        return std::any_of(queue_.begin(), queue_.end(),
                           [&](const Command& waiting) { return waiting.text == command.text; });
    });
    if (queued) return;
    queue_.insert(queue_.end(), commands.begin(), commands.end());
    if (!current_) sendNext();
}

void LiveStatus::sendNext() {
    if (!session_ || current_ || queue_.empty()) return;
    current_ = queue_.front();
    queue_.erase(queue_.begin());
    session_->send(current_->text, limits_.perCommand, [this](AtResult result) {
        Command command = std::move(*current_);
        current_.reset();
        if (result.end != AtResult::End::Closed) {
            LiveState before = state_;
            answered(command, std::move(result));
            std::shared_ptr<bool> alive = alive_;
            publish(before);  // the observer may destroy us
            if (!*alive) return;
        }
        if (suspended_ > 0) {
            letGoForSuspend();  // someone waits for the port
            return;
        }
        if (result.end != AtResult::End::Closed) sendNext();  // after a Closed, portClosed() follows
    });
}

void LiveStatus::answered(const Command& command, AtResult result) {
    switch (result.end) {
        case AtResult::End::Closed:
            return;
        case AtResult::End::Timeout:
            // A late answer could be taken for the next command's: the rest of this round waits
            // for the next reopen; URCs are still heard.
            spdlog::info("[{}] live status: no answer to {} within {} ms; listening only", name_, command.text,
                         limits_.perCommand.count());
            refused_.push_back(command.text);
            queue_.clear();
            return;
        case AtResult::End::Final:
            break;
    }
    // Lines that are not this command's answer are URCs that came in the middle of it.
    bool answeredHere = false;
    for (const std::string& line : result.lines) {
        if (!answeredHere && takeAnswer(command.step, line))
            answeredHere = true;
        else
            unsolicited(line);
    }
    if (command.step == Step::Sim && !result.ok()) {
        // No SIM, or a SIM in trouble, is an error answer: "+CME ERROR: 10".
        if (std::optional<SimState> sim = parseCpin(result.finalLine)) {
            state_.sim = *sim;
            return;
        }
    }
    if (!result.ok()) {
        spdlog::info("[{}] live status: {} refused: {}", name_, command.text, result.finalLine);
        refused_.push_back(command.text);
    }
}

bool LiveStatus::takeAnswer(Step step, std::string_view line) {
    switch (step) {
        case Step::Setup:
            return false;
        case Step::Sim:
            if (std::optional<SimState> sim = parseCpin(line)) {
                state_.sim = *sim;
                return true;
            }
            return false;
        case Step::RegistrationRead:
            if (std::optional<RegistrationReport> report = parseRegistration(line, true)) {
                setRegistration(*report);
                return true;
            }
            return false;
        case Step::Operator:
            if (std::optional<CopsReport> cops = parseCops(line)) {
                if (cops->oper.empty()) {
                    state_.operatorName.clear();
                    state_.operatorCode.clear();
                } else if (cops->format == 2u) {
                    state_.operatorCode = cops->oper;
                } else {
                    state_.operatorName = cops->oper;
                }
                if (cops->act) setAccessTechnology(accessTechnologyFromAct(*cops->act));
                return true;
            }
            return false;
        case Step::Signal:
            if (std::optional<CsqReport> csq = parseCsq(line)) {
                setCsq(*csq);
                return true;
            }
            return false;
        case Step::QuectelSignal:
            if (std::optional<QcsqReport> qcsq = parseQcsq(line)) {
                LiveSignal signal;
                signal.rssi = qcsq->rssi;
                signal.rsrp = qcsq->rsrp;
                signal.rsrq = qcsq->rsrq;
                signal.sinr = qcsq->sinr;
                state_.signal = signal;
                return true;
            }
            return false;
        case Step::NetworkInfo:
            if (std::optional<QnwinfoReport> info = parseQnwinfo(line)) {
                setAccessTechnology(accessTechnologyFromQuectel(info->act));
                if (!info->oper.empty()) state_.operatorCode = info->oper;
                return true;
            }
            return false;
        case Step::Imei:
            if (std::optional<std::string> imei = parseImei(line)) {
                state_.imei = std::move(*imei);
                return true;
            }
            return false;
        case Step::Iccid:
            if (std::optional<std::string> iccid = parseIccid(line)) {
                state_.iccid = std::move(*iccid);
                return true;
            }
            return false;
    }
    return false;
}

void LiveStatus::unsolicited(std::string_view line) {
    if (std::optional<RegistrationReport> report = parseRegistration(line, false)) {
        Registration was = state_.registration;
        setRegistration(*report);
        // Registered now: the operator and the network may have changed with it. (A cell
        // change alone, which +CEREG=2 also reports, does not cost a read.)
        if (state_.registration != was && registered(state_.registration)) {
            std::vector<Command> reads;
            for (const auto& [command, reads_] : kOperatorRead)
                reads.push_back({command, reads_ ? Step::Operator : Step::Setup});
            reads.push_back({"AT+QNWINFO", Step::NetworkInfo});
            queue(std::move(reads));
        }
        return;
    }
    if (auto qind = parseQind(line)) {
        if (const QindCsq* csq = std::get_if<QindCsq>(&*qind)) {
            // The URC carries <rssi> only: RSRP, RSRQ and SINR moved with it and are unknown until
            // the next full read (setCsq drops them). Not asked for here: one URC, one wakeup.
            setCsq(csq->csq);
        } else if (const QindAct* act = std::get_if<QindAct>(&*qind)) {
            setAccessTechnology(accessTechnologyFromQuectel(act->act));
        }
        return;
    }
    if (std::optional<SimState> sim = parseCpin(line)) {
        // A SIM inserted or unlocked (by someone else) says so unasked.
        SimState was = state_.sim;
        state_.sim = *sim;
        if (was != SimState::Ready && *sim == SimState::Ready) queue({{"AT+QCCID", Step::Iccid}});
        return;
    }
    if (line == "RDY") {
        // The module restarted without its port hanging up (a UART): its URC settings are gone.
        spdlog::info("[{}] live status: the module restarted (RDY): reading it again", name_);
        queueEverything();
    }
}

Registration LiveStatus::dataRegistration() const { return combined(Registration::Unknown, ps_, eps_); }

void LiveStatus::setRegistration(const RegistrationReport& report) {
    switch (report.domain) {
        case RegistrationDomain::Cs:
            cs_ = report.state;
            break;
        case RegistrationDomain::Ps:
            ps_ = report.state;
            break;
        case RegistrationDomain::Eps:
            eps_ = report.state;
            break;
    }
    state_.registration = combined(cs_, ps_, eps_);
    if (report.act && registered(report.state)) setAccessTechnology(accessTechnologyFromAct(*report.act));
    if (!registered(state_.registration)) {
        // Not registered: no operator, no access technology to speak of.
        state_.operatorName.clear();
        state_.operatorCode.clear();
        state_.accessTechnology.clear();
    }
}

void LiveStatus::setCsq(const CsqReport& csq) {
    state_.signalQuality = signalQualityFromCsq(csq.rssi).value_or(0);
    std::optional<int32_t> dbm = rssiDbmFromCsq(csq.rssi);
    if (state_.signal.rssi != dbm) {
        // A new <rssi> from +CSQ stands alone until AT+QCSQ's values come with it.
        state_.signal = LiveSignal{};
        state_.signal.rssi = dbm;
    }
}

void LiveStatus::setAccessTechnology(std::string_view technology) { state_.accessTechnology = std::string(technology); }

void LiveStatus::portClosed(std::string_view why) {
    spdlog::info("[{}] live status: the AT port hung up: {}", name_, why);
    lose(sanitizeText(why));
}

void LiveStatus::lose(std::string why) {
    LiveState before = state_;
    lostWhy_ = std::move(why);
    queue_.clear();
    current_.reset();
    letGoForSuspend();  // may run inside the session's callback: it lets the port go a turn later
    state_ = LiveState{};
    cs_ = ps_ = eps_ = Registration::Unknown;
    publish(before);
}

void LiveStatus::publish(const LiveState& before) {
    if (Registration data = dataRegistration(); data != lastDataRegistration_) {
        lastDataRegistration_ = data;
        if (dataRegistrationChanged_) dataRegistrationChanged_(data);
    }
    std::vector<LiveField> changed;
    if (before.sim != state_.sim) changed.push_back(LiveField::Sim);
    if (before.registration != state_.registration) changed.push_back(LiveField::Registration);
    if (before.operatorName != state_.operatorName) changed.push_back(LiveField::OperatorName);
    if (before.operatorCode != state_.operatorCode) changed.push_back(LiveField::OperatorCode);
    if (before.accessTechnology != state_.accessTechnology) changed.push_back(LiveField::AccessTechnology);
    if (before.signalQuality != state_.signalQuality) changed.push_back(LiveField::SignalQuality);
    if (before.signal != state_.signal) changed.push_back(LiveField::Signal);
    if (before.imei != state_.imei) changed.push_back(LiveField::Imei);
    if (before.iccid != state_.iccid) changed.push_back(LiveField::Iccid);
    if (!changed.empty() && changed_) changed_(changed);
}

}  // namespace dialupd
