// SPDX-License-Identifier: GPL-2.0-or-later
// Whether a module is ready to dial, asked over its AT port before each dial, so that a locked
// or missing SIM, a network that is not there yet or refuses us, or an APN nobody gave ends as
// a named error instead of chat's ERROR at ATD*99#. A sequence of steps over one AtSession
// (like the AT snapshot and the recovery ladder):
//   1. SIM:    AT+CPIN?  READY: on. SIM PIN: AT+QPINC="SC" for the tries left, then the PIN
//              (AT+CPIN="<pin>", a secret) and AT+CPIN? again, unless fewer than 2 tries are
//              left, the module does not say, or this PIN already failed once (SimPinRejected,
//              nothing sent). SIM PUK: SimPukRequired. No SIM: SimMissing.
//   2. URCs:   AT+CEREG=2, AT+CGREG=2, AT+CREG=2 (a module may refuse one: on).
//   3. APN:    only when none was given: AT+CIMI, then the provider database (ApnRequired when
//              it has nothing for the IMSI's network).
//   4. Registration: AT+CEREG?, AT+CGREG?, AT+CREG?; unless registered (home, or roaming when
//              allowed), the module's unsolicited +CEREG/+CGREG/+CREG are awaited up to the
//              registration timeout: denied -> RegistrationDenied, roaming not allowed ->
//              RoamingNotAllowed, the timeout -> NotRegistered (with the last states and the
//              signal from AT+CSQ). No polling: the session is idle while it waits.
// The data domains decide (EPS and PS; CS only for a module that answers neither): any one
// registered is enough, as for ModemManager.
// Every answer goes to `note` (the call log), the PIN never. A port that is absent, busy or
// does not answer skips the checks (said in the note), the APN lookup included: the dial goes
// on as before readiness existed (with the built-in APN), and the Hangup's AT snapshot tells
// the rest. The check is not run at all when the live status, listening on the port, already
// knows the SIM ready and a data domain registered and the APN was given (CallAttempt::
// readyByLiveState): its reads and the module's URCs since are what the check would learn.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "at_channel.h"
#include "at_replies.h"
#include "at_session.h"
#include "errors.h"
#include "provider_db.h"
#include "scheduler.h"
#include "secret.h"

namespace dialupd {

// The PINs a modem's SIM refused, kept as salted hashes (never the PIN), so the same wrong PIN
// is never sent twice: a SIM locks into PUK after 3 wrong tries. One per modem, living as long
// as the modem's object (the lead clears it when the module restarts with maybe another SIM).
class FailedPins {
public:
    FailedPins();
    bool contains(const Secret& pin) const { return hashes_.count(hash(pin)) > 0; }
    void add(const Secret& pin) { hashes_.insert(hash(pin)); }
    void clear() { hashes_.clear(); }
    size_t size() const { return hashes_.size(); }

private:
    uint64_t hash(const Secret& pin) const;
    uint64_t salt_;
    std::set<uint64_t> hashes_;
};

struct ReadinessSettings {
    std::string atPort;        // "": the modem has none: every check is skipped (said once in the note)
    bool apnGiven = true;      // Connect or the config named an APN (CallSettings::apnGiven): the database is not asked
    bool allowRoaming = true;  // allow-roaming
    std::chrono::milliseconds registrationTimeout{60000};  // registration-timeout
    std::chrono::milliseconds answer{2000};                // per command (AT+CPIN="..." gets 3 times it)
};

// Where a PIN comes from when the SIM asks for one: Connect's `pin`, else the modem's
// sim-pin-file (read on the system side). nullopt: none given. May throw dialupd::Error (a
// sim-pin-file that is missing or readable by others), which ends the check with that error.
using PinSource = std::function<std::optional<Secret>()>;

// What the checks learnt, on success.
struct Readiness {
    bool checked = false;  // false: skipped (no AT port, or it did not answer); `skipped` says why
    std::string skipped;
    SimState sim = SimState::Unknown;
    Registration registration = Registration::Unknown;  // the data domains' best
    std::optional<std::string> imsi;                    // read only when the APN was looked up
    std::optional<ProviderApn> apn;                     // from the database, when none was given
};

class ReadinessCheck final {
public:
    using Note = std::function<void(std::string_view line)>;
    // Exactly once (unless the check is destroyed first), from the loop, never from inside
    // start(): the readiness, or the error (one of the readiness error names, or one the
    // PinSource threw).
    using Done = std::function<void(Readiness readiness, std::optional<Error> error)>;

    ReadinessCheck(AtPortOpener& opener, Scheduler& scheduler, ProviderDatabase& providers, FailedPins& failedPins);
    ~ReadinessCheck();  // abandons a check in progress (the port goes): `done` is not called
    ReadinessCheck(const ReadinessCheck&) = delete;
    ReadinessCheck& operator=(const ReadinessCheck&) = delete;

    void start(ReadinessSettings settings, PinSource pin, Note note, Done done);
    bool running() const { return static_cast<bool>(done_); }
    // Abandons the check as the destructor does (`done` is never called), except that a command
    // still waiting for its answer keeps the port until the answer comes or its time passes: a
    // late answer must not reach the port's next opener as the answer to its own first command
    // (seen in the load storm: a Disconnect during AT+CEREG=2, and the next check read every
    // answer one command late). `released` runs on a later turn once the port is let go; the
    // check must live until then.
    void abandon(std::function<void()> released);

private:
    enum class Step {
        Idle,
        SimState,           // AT+CPIN?
        PinRetries,         // AT+QPINC="SC"
        EnterPin,           // AT+CPIN="<pin>"
        SimStateAgain,      // AT+CPIN? after the PIN
        EnableUrcs,         // AT+CEREG=2, AT+CGREG=2, AT+CREG=2
        Imsi,               // AT+CIMI
        ReadRegistration,   // AT+CEREG?, AT+CGREG?, AT+CREG?
        AwaitRegistration,  // the unsolicited codes, until the timeout
        Signal,             // AT+CSQ, for NotRegistered's message
    };

    void ask(Step step, std::string command);
    void answered(AtResult result);
    void simState(const AtResult& result, bool afterPin);
    void pinRetries(const AtResult& result);
    void pinEntered(const AtResult& result);
    void enableUrcs();
    void lookUpApn(const AtResult& result);
    void readRegistration();
    void registrationRead(const AtResult& result);
    void awaitRegistration();
    bool registrationDecides();  // true when it ended the check
    void signalRead(const AtResult& result);
    void heardUnsolicited(std::string_view line, std::string_view during);
    void noteAnswer(const AtResult& result, std::vector<std::string> answers);
    void skip(std::string why);
    void succeed();
    void fail(const char* errorName, std::string message);
    void finish(std::optional<Error> error);
    std::string registrationSummary() const;

    Scheduler& scheduler_;
    ProviderDatabase& providers_;
    FailedPins& failedPins_;
    AtSession session_;
    ReadinessSettings settings_;
    PinSource pinSource_;
    Note note_;
    Done done_;
    std::function<void()> abandoned_;  // abandon()ed while a command waited: runs once it has ended
    Readiness readiness_;
    Step step_ = Step::Idle;
    std::string command_;  // the one waiting ("AT+CPIN=<hidden>" for the PIN)
    std::optional<Secret> pin_;
    std::vector<std::string> pendingUrcEnables_;
    std::vector<std::string> pendingRegistrationReads_;
    std::map<RegistrationDomain, Registration> domains_;
    std::set<RegistrationDomain> answeringDomains_;  // whose read command did not answer ERROR
    std::unique_ptr<TimerHandle> registrationTimer_;
};

}  // namespace dialupd
