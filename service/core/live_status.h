// SPDX-License-Identifier: GPL-2.0-or-later
// What an applet shows of one modem: SIM, registration, operator, access technology, signal,
// IMEI and ICCID, kept current from the module's AT port by its unsolicited result codes.
//
// It holds an AtSession on the AT port while nobody else needs the port: when given a port
// (setPort) or when resumed, it opens it, turns the URCs on (+CREG/+CGREG/+CEREG=2, Quectel's
// AT+QINDCFG "csq" and "act"; a command the module refuses is noted and skipped) and reads
// everything once; from then on it only listens. No timer runs while it listens: an idle modem
// with the port open costs no wakeup. A URC that implies more than it says is followed by one
// read (a registration change: the operator and AT+QNWINFO; a signal change: AT+QCSQ, when
// the module answers it).
//
// The port is exclusive (its UUCP lock): whoever else needs it (the AT snapshot after a hangup,
// module recovery, the readiness check before a dial) calls suspend(whenFree), uses the port
// from `whenFree` on, and calls resume() when done. A command of ours still waiting for its
// answer is let finish first (at most LiveStatusLimits::perCommand), or its late answer would
// reach the next user as the answer to its first command. The values stay as last known while
// suspended; suspensions nest: the port is reopened, and everything read again, when every
// suspend() has had its resume().
//
// A port that hangs up or cannot be opened makes every value unknown; it is tried again only
// when told (setPort with the port that came back, or resume()): nothing polls.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "at_channel.h"
#include "at_replies.h"
#include "at_session.h"
#include "radio_replies.h"
#include "scheduler.h"

namespace dialupd {

// The signal as the module reports it (dBm, dB; SINR on Quectel's scale): only what is known.
struct LiveSignal {
    std::optional<int32_t> rssi, rsrp, rsrq, sinr;
    bool operator==(const LiveSignal&) const = default;
};

struct LiveState {
    SimState sim = SimState::Unknown;
    Registration registration = Registration::Unknown;  // the best of CS, PS and EPS
    std::string operatorName;                           // clean text, at most kMaxOperatorName bytes
    std::string operatorCode;                           // MCC+MNC digits
    std::string accessTechnology;                       // "lte", "umts", ... ("" unknown)
    uint32_t signalQuality = 0;                         // percent from +CSQ's <rssi>, as ModemManager; 0 unknown
    LiveSignal signal;
    std::string imei;
    std::string iccid;
    bool operator==(const LiveState&) const = default;
};

enum class LiveField {
    Sim,
    Registration,
    OperatorName,
    OperatorCode,
    AccessTechnology,
    SignalQuality,
    Signal,
    Imei,
    Iccid
};

struct LiveStatusLimits {
    std::chrono::milliseconds perCommand{3000};
};

class LiveStatus final {
public:
    enum class Phase {
        NoPort,     // no AT port given
        Reading,    // setting up and reading (commands in flight)
        Listening,  // port held, only URCs come
        Suspended,  // someone else has the port
        Lost,       // the port hung up or could not be opened: values unknown, until told again
    };
    // What changed, once per event (an answer, a URC, a hang-up), never empty.
    using Changed = std::function<void(const std::vector<LiveField>& changed)>;

    // `name` prefixes its journal lines (the modem's id).
    LiveStatus(AtPortOpener& opener, Scheduler& scheduler, std::string name, LiveStatusLimits limits = {});
    ~LiveStatus();
    LiveStatus(const LiveStatus&) = delete;
    LiveStatus& operator=(const LiveStatus&) = delete;

    void setObserver(Changed changed) { changed_ = std::move(changed); }
    // The modem's own ear, beside the observer (the bus adaptor's): called with the new value
    // whenever dataRegistration() changes (a URC, a read after the port was (re)opened, the port
    // lost), before the observer. A redial that waits for the module to be registered again
    // listens here (Modem::waitForRegistration).
    using DataRegistrationChanged = std::function<void(Registration now)>;
    void setDataRegistrationWatch(DataRegistrationChanged watch) { dataRegistrationChanged_ = std::move(watch); }

    // The AT port to watch ("" none: lets the port go, values unknown). Another path, or the
    // same one after it was lost (the module came back from a restart, the node reappeared):
    // opens it and reads everything, unless suspended (then resume() will). The same path
    // while it is held changes nothing.
    void setPort(std::string path);
    // Lets the port go for someone else (nests); `whenFree` runs once it is free: at once (from
    // inside this call) when no command of ours waits, else from the loop once it has ended.
    // A resume() that comes first cancels the wait: `whenFree` is then not called.
    void suspend(std::function<void()> whenFree = {});
    // Ends one suspend(); the last one reopens the port and reads everything again.
    void resume();

    const LiveState& state() const { return state_; }
    // The data domains' best (PS and EPS; CS alone does not carry a data call): what the
    // readiness check decides on (readiness.h).
    Registration dataRegistration() const;
    Phase phase() const;
    const std::string& port() const { return path_; }
    // Why the port was lost ("" unless Phase::Lost).
    const std::string& lostWhy() const { return lostWhy_; }
    // The commands the module refused or left unanswered since the last (re)open.
    const std::vector<std::string>& refused() const { return refused_; }

private:
    enum class Step {
        Setup,             // its answer says nothing: OK, or refused (noted)
        Sim,               // AT+CPIN?
        RegistrationRead,  // AT+CREG? / AT+CGREG? / AT+CEREG?
        Operator,          // AT+COPS?
        Signal,            // AT+CSQ
        QuectelSignal,     // AT+QCSQ
        NetworkInfo,       // AT+QNWINFO
        Imei,              // AT+CGSN
        Iccid,             // AT+QCCID
    };
    struct Command {
        std::string text;
        Step step;
    };

    void open();
    void letGoForSuspend();
    void queueEverything();
    void queue(std::vector<Command> commands);
    void sendNext();
    void answered(const Command& command, AtResult result);
    bool takeAnswer(Step step, std::string_view line);
    void unsolicited(std::string_view line);
    void portClosed(std::string_view why);
    void lose(std::string why);
    void setRegistration(const RegistrationReport& report);
    void setCsq(const CsqReport& csq);
    void setAccessTechnology(std::string_view technology);
    void publish(const LiveState& before);

    AtPortOpener& opener_;
    Scheduler& scheduler_;
    std::string name_;
    LiveStatusLimits limits_;
    Changed changed_;
    DataRegistrationChanged dataRegistrationChanged_;
    Registration lastDataRegistration_ = Registration::Unknown;  // as last told to the watch

    std::string path_;
    std::unique_ptr<AtSession> session_;
    int suspended_ = 0;
    std::string lostWhy_;
    std::vector<Command> queue_;
    std::optional<Command> current_;
    std::vector<std::string> refused_;

    LiveState state_;
    Registration cs_ = Registration::Unknown, ps_ = Registration::Unknown, eps_ = Registration::Unknown;
    std::vector<std::function<void()>> whenFree_;  // suspend()s waiting for our command to end
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

std::string_view toString(LiveField field);  // the D-Bus property's name: "SimState", ...

}  // namespace dialupd
