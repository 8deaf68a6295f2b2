// SPDX-License-Identifier: GPL-2.0-or-later
// LiveStatus against a scripted module: the first read, URCs, a URC inside a command's answer,
// suspend/resume (the port free at once for the snapshot), a port that hangs up, refused and
// unanswered commands, and no timer left while it only listens.
#include "core/live_status.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "fakes.h"

namespace dialupd {
namespace {

using testing::FakeScheduler;
using namespace std::chrono_literals;

// An EC25 on its AT port: answers from `answers` (else ERROR) `delay` after each command, can
// say a line unasked, put lines in front of an answer, hang up, or be absent/busy. Holds a lock
// like the real port: a second open while a channel lives is Busy.
class FakeRadio final : public AtPortOpener {
public:
    explicit FakeRadio(Scheduler& scheduler) : scheduler_(scheduler) {}

    class Channel final : public AtChannel {
    public:
        Channel(FakeRadio& radio, AtChannelObserver& observer) : radio_(radio), observer_(observer) {
            radio_.current = this;
        }
        ~Channel() override {
            if (radio_.current == this) radio_.current = nullptr;
        }
        void send(std::string_view commandLine) override {
            std::string command(commandLine);
            radio_.sent.push_back(command);
            if (radio_.silentOn.count(command)) return;
            std::vector<std::string> lines;
            if (auto before = radio_.urcsBefore.find(command); before != radio_.urcsBefore.end())
                lines.insert(lines.end(), before->second.begin(), before->second.end());
            if (command.starts_with("AT+COPS=3,")) radio_.copsFormat = command.back();
            auto found = radio_.answers.find(command);
            if (command == "AT+COPS?" && radio_.copsFollowsFormat)
                lines.insert(lines.end(), {radio_.copsFormat == '2' ? "+COPS: 0,2,\"26202\",7"
                                                                    : "+COPS: 0,0,\"Simulated Operator\",7",
                                           "OK"});
            else if (found == radio_.answers.end())
                lines.push_back("ERROR");
            else
                lines.insert(lines.end(), found->second.begin(), found->second.end());
            pending_.push_back(radio_.scheduler_.after(radio_.delay, [this, lines] {
                for (const std::string& line : lines) observer_.atLine(line);
            }));
        }
        void sendRaw(std::string_view bytes) override { send(bytes); }
        void say(const std::string& line) { observer_.atLine(line); }
        void hangUp() {
            pending_.clear();
            observer_.atClosed("the tty hung up");
        }

    private:
        FakeRadio& radio_;
        AtChannelObserver& observer_;
        std::vector<std::unique_ptr<TimerHandle>> pending_;
    };

    std::unique_ptr<AtChannel> open(const std::string& path, AtChannelObserver& observer) override {
        opened.push_back(path);
        if (absent) throw AtPortError(AtPortError::Kind::Absent, path + ": No such file or directory");
        if (current) throw AtPortError(AtPortError::Kind::Busy, "in use: LCK.. is held");
        return std::make_unique<Channel>(*this, observer);
    }

    void answerLikeAnEc25() {
        answers = {
            {"AT+CREG=2", {"OK"}},
            {"AT+CGREG=2", {"OK"}},
            {"AT+CEREG=2", {"OK"}},
            {"AT+QINDCFG=\"csq\",1", {"OK"}},
            {"AT+QINDCFG=\"act\",1", {"OK"}},
            {"AT+CPIN?", {"+CPIN: READY", "OK"}},
            {"AT+CREG?", {"+CREG: 2,1,\"1A2B\",\"01A2D001\",7", "OK"}},
            {"AT+CGREG?", {"+CGREG: 2,1,\"1A2B\",\"01A2D001\",7", "OK"}},
            {"AT+CEREG?", {"+CEREG: 2,1,\"1A2B\",\"01A2D001\",7", "OK"}},
            {"AT+COPS=3,2", {"OK"}},
            {"AT+COPS=3,0", {"OK"}},
            {"AT+COPS?", {"+COPS: 0,0,\"Simulated Operator\",7", "OK"}},
            {"AT+CSQ", {"+CSQ: 24,99", "OK"}},
            {"AT+QCSQ", {"+QCSQ: \"LTE\",-65,-95,154,-10", "OK"}},
            {"AT+QNWINFO", {"+QNWINFO: \"FDD LTE\",\"26201\",\"LTE BAND 3\",1300", "OK"}},
            {"AT+CGSN", {"867698041234561", "OK"}},
            {"AT+QCCID", {"+QCCID: 89490200001234567890", "OK"}},
        };
    }

    std::map<std::string, std::vector<std::string>> answers;
    std::map<std::string, std::vector<std::string>> urcsBefore;  // said before the command's answer
    std::set<std::string> silentOn;
    std::chrono::milliseconds delay{20};
    bool absent = false;
    // AT+COPS? answers in the format AT+COPS=3,<format> set last, as a module does.
    bool copsFollowsFormat = false;
    char copsFormat = '0';
    std::vector<std::string> opened;
    std::vector<std::string> sent;
    Channel* current = nullptr;

private:
    Scheduler& scheduler_;
};

class LiveStatusTest : public ::testing::Test {
protected:
    LiveStatusTest() {
        radio.answerLikeAnEc25();
        live.setObserver([this](const std::vector<LiveField>& changed) {
            ASSERT_FALSE(changed.empty());
            for (LiveField field : changed) changes.push_back(std::string(toString(field)));
            ++events;
        });
    }

    // Runs the loop until the live status has nothing left to ask.
    void settle() {
        for (int i = 0; i < 1000 && live.phase() == LiveStatus::Phase::Reading; ++i) scheduler.advance(10ms);
        scheduler.runDeferred();
    }
    bool changed(const std::string& name) const { return std::count(changes.begin(), changes.end(), name) > 0; }
    size_t sentCount(const std::string& command) const {
        return std::count(radio.sent.begin(), radio.sent.end(), command);
    }

    FakeScheduler scheduler;
    FakeRadio radio{scheduler};
    LiveStatus live{radio, scheduler, "m0"};
    std::vector<std::string> changes;
    int events = 0;
};

TEST_F(LiveStatusTest, TurnsTheUrcsOnReadsEverythingOnceThenOnlyListens) {
    live.setPort("/dev/ttyUSB2");
    EXPECT_EQ(live.phase(), LiveStatus::Phase::Reading);
    settle();
    EXPECT_EQ(live.phase(), LiveStatus::Phase::Listening);
    const std::vector<std::string> expected = {"AT+CREG=2",
                                               "AT+CGREG=2",
                                               "AT+CEREG=2",
                                               "AT+QINDCFG=\"csq\",1",
                                               "AT+QINDCFG=\"act\",1",
                                               "AT+CPIN?",
                                               "AT+CREG?",
                                               "AT+CGREG?",
                                               "AT+CEREG?",
                                               "AT+COPS=3,2",
                                               "AT+COPS?",
                                               "AT+COPS=3,0",
                                               "AT+COPS?",
                                               "AT+CSQ",
                                               "AT+QCSQ",
                                               "AT+QNWINFO",
                                               "AT+CGSN",
                                               "AT+QCCID"};
    EXPECT_EQ(radio.sent, expected);
    const LiveState& state = live.state();
    EXPECT_EQ(state.sim, SimState::Ready);
    EXPECT_EQ(state.registration, Registration::Home);
    EXPECT_EQ(state.operatorName, "Simulated Operator");
    EXPECT_EQ(state.operatorCode, "26201");  // from +QNWINFO here: COPS answered names only
    EXPECT_EQ(state.accessTechnology, "lte");
    EXPECT_EQ(state.signalQuality, 77u);
    EXPECT_EQ(state.signal.rssi, -65);
    EXPECT_EQ(state.signal.rsrp, -95);
    EXPECT_EQ(state.signal.rsrq, -10);
    EXPECT_EQ(state.signal.sinr, 154);
    EXPECT_EQ(state.imei, "867698041234561");
    EXPECT_EQ(state.iccid, "89490200001234567890");
    EXPECT_TRUE(live.refused().empty());
    for (const char* name : {"SimState", "RegistrationState", "OperatorName", "OperatorCode", "AccessTechnology",
                             "SignalQuality", "Signal", "Imei", "Iccid"})
        EXPECT_TRUE(changed(name)) << name;
    // Listening costs nothing: no timer left, nothing sent however long it waits.
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
    size_t sent = radio.sent.size();
    scheduler.advance(std::chrono::hours(1));
    EXPECT_EQ(radio.sent.size(), sent);
}

TEST_F(LiveStatusTest, ReadsTheOperatorCodeInTheNumericFormat) {
    radio.copsFollowsFormat = true;
    radio.answers.erase("AT+QNWINFO");
    live.setPort("/dev/ttyUSB2");
    settle();
    EXPECT_EQ(live.state().operatorCode, "26202");
    EXPECT_EQ(live.state().operatorName, "Simulated Operator");
    EXPECT_EQ(live.refused(), std::vector<std::string>{"AT+QNWINFO"});
}

TEST_F(LiveStatusTest, UrcsUpdateTheStateAndSayWhatChanged) {
    live.setPort("/dev/ttyUSB2");
    settle();
    changes.clear();
    events = 0;
    size_t sentBefore = radio.sent.size();
    radio.current->say("+QIND: \"csq\",31,99");
    EXPECT_EQ(live.state().signalQuality, 100u);
    EXPECT_EQ(live.state().signal.rssi, -51);
    EXPECT_FALSE(live.state().signal.rsrp);  // moved with the rssi: unknown until the next full read
    EXPECT_EQ(changes, (std::vector<std::string>{"SignalQuality", "Signal"}));
    settle();
    EXPECT_EQ(radio.sent.size(), sentBefore);  // nothing asked: one URC, one wakeup
    changes.clear();

    radio.current->say("+QIND: \"act\",\"WCDMA\"");
    EXPECT_EQ(live.state().accessTechnology, "umts");
    EXPECT_EQ(changes, std::vector<std::string>{"AccessTechnology"});

    changes.clear();
    size_t sent = radio.sent.size();
    radio.current->say("+CEREG: 2");
    radio.current->say("+CGREG: 2");
    radio.current->say("+CREG: 2");
    EXPECT_EQ(live.state().registration, Registration::Searching);
    EXPECT_EQ(live.state().operatorName, "");
    EXPECT_EQ(live.state().accessTechnology, "");
    EXPECT_TRUE(changed("RegistrationState"));
    EXPECT_TRUE(changed("OperatorName"));
    EXPECT_EQ(radio.sent.size(), sent);  // losing the network asks nothing

    changes.clear();
    radio.answers["AT+COPS?"] = {"+COPS: 0,0,\"Roaming Partner\",7", "OK"};
    radio.current->say("+CEREG: 5,\"1A2C\",\"01A2D002\",7");
    EXPECT_EQ(live.state().registration, Registration::Roaming);
    EXPECT_EQ(live.state().accessTechnology, "lte");
    settle();
    EXPECT_EQ(live.state().operatorName, "Roaming Partner");
    EXPECT_EQ(sentCount("AT+QNWINFO"), 2u);

    // A cell change alone: the state is the same and nothing is asked.
    sent = radio.sent.size();
    changes.clear();
    radio.current->say("+CEREG: 5,\"1A2C\",\"01A2D003\",7");
    settle();
    EXPECT_EQ(radio.sent.size(), sent);
    EXPECT_TRUE(changes.empty());

    // Lines it does not know change nothing.
    radio.current->say("+QIND: SMS DONE");
    radio.current->say("RING");
    EXPECT_TRUE(changes.empty());
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
}

TEST_F(LiveStatusTest, AUrcInsideAnAnswerIsNeitherLostNorTakenForTheAnswer) {
    // The module says a URC after the command's echo and before its answer.
    radio.urcsBefore["AT+CSQ"] = {"+QIND: \"csq\",10,99"};
    radio.urcsBefore["AT+CGSN"] = {"+CEREG: 5,\"1A2B\",\"01A2D001\",7"};
    radio.urcsBefore["AT+CEREG?"] = {"+CEREG: 2"};  // before the answer: the answer is newer
    radio.urcsBefore["AT+QCCID"] = {"+QIND: \"act\",\"WCDMA\""};
    live.setPort("/dev/ttyUSB2");
    settle();
    EXPECT_EQ(live.state().signalQuality, 77u);                   // the answer came after the URC's 32%
    EXPECT_EQ(live.state().imei, "867698041234561");              // not "+CEREG: ..."
    EXPECT_EQ(live.state().registration, Registration::Roaming);  // the URC inside AT+CGSN's answer
    EXPECT_EQ(live.state().iccid, "89490200001234567890");
    EXPECT_EQ(live.state().accessTechnology, "lte");  // the operator read after roaming began said 7
}

TEST_F(LiveStatusTest, AUrcAfterTheAnswerAndBeforeItsOkIsHeardToo) {
    radio.answers["AT+CSQ"] = {"+CSQ: 24,99", "+QIND: \"csq\",5,99", "OK"};
    live.setPort("/dev/ttyUSB2");
    settle();
    EXPECT_EQ(live.state().signalQuality, 16u);  // 5 * 100 / 31: the URC came last
}

TEST_F(LiveStatusTest, RefusedCommandsAreNotedAndTheRestIsRead) {
    radio.answers.erase("AT+QINDCFG=\"csq\",1");
    radio.answers.erase("AT+QINDCFG=\"act\",1");
    radio.answers.erase("AT+QCSQ");
    radio.answers["AT+QNWINFO"] = {"+CME ERROR: 4"};
    live.setPort("/dev/ttyUSB2");
    settle();
    EXPECT_EQ(live.refused(),
              (std::vector<std::string>{"AT+QINDCFG=\"csq\",1", "AT+QINDCFG=\"act\",1", "AT+QCSQ", "AT+QNWINFO"}));
    EXPECT_EQ(live.state().imei, "867698041234561");
    EXPECT_EQ(live.state().signalQuality, 77u);
    EXPECT_EQ(live.state().signal.rssi, -65);  // from +CSQ
    EXPECT_FALSE(live.state().signal.rsrp);
    // No AT+QCSQ after a signal URC on a module that refused it.
    size_t sent = radio.sent.size();
    radio.current->say("+QIND: \"csq\",20,99");
    EXPECT_EQ(radio.sent.size(), sent);
}

TEST_F(LiveStatusTest, AMissingSimIsAnErrorAnswer) {
    radio.answers["AT+CPIN?"] = {"+CME ERROR: 10"};
    radio.answers.erase("AT+QCCID");
    live.setPort("/dev/ttyUSB2");
    settle();
    EXPECT_EQ(live.state().sim, SimState::Missing);
    EXPECT_EQ(live.refused(), std::vector<std::string>{"AT+QCCID"});
    radio.answers["AT+QCCID"] = {"+QCCID: 89490200001234567890", "OK"};
    radio.current->say("+CPIN: READY");  // inserted
    EXPECT_EQ(live.state().sim, SimState::Ready);
    settle();
    EXPECT_EQ(live.state().iccid, "89490200001234567890");
}

TEST_F(LiveStatusTest, ASilentModuleStopsTheReadButItsUrcsAreStillHeard) {
    radio.silentOn.insert("AT+CSQ");
    live.setPort("/dev/ttyUSB2");
    settle();
    EXPECT_EQ(live.phase(), LiveStatus::Phase::Listening);
    EXPECT_EQ(radio.sent.back(), "AT+CSQ");
    EXPECT_EQ(live.refused(), std::vector<std::string>{"AT+CSQ"});
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
    radio.current->say("+QIND: \"csq\",20,99");
    EXPECT_EQ(live.state().signalQuality, 64u);
}

TEST_F(LiveStatusTest, SuspendLetsThePortGoAtOnceAndResumeReadsAgain) {
    live.setPort("/dev/ttyUSB2");
    settle();
    live.suspend();
    EXPECT_EQ(live.phase(), LiveStatus::Phase::Suspended);
    EXPECT_EQ(radio.current, nullptr) << "the port must be free when suspend() returns";
    // The snapshot can take it now, and the values stay as they were meanwhile.
    struct : AtChannelObserver {
        void atLine(std::string_view) override {}
        void atClosed(std::string_view) override {}
    } snapshot;
    EXPECT_NO_THROW(radio.open("/dev/ttyUSB2", snapshot).reset());
    EXPECT_EQ(live.state().operatorName, "Simulated Operator");
    // Nested: only the last resume reopens.
    live.suspend();
    live.resume();
    EXPECT_EQ(live.phase(), LiveStatus::Phase::Suspended);
    size_t opens = radio.opened.size();
    radio.answers["AT+CSQ"] = {"+CSQ: 12,99", "OK"};
    changes.clear();
    live.resume();
    EXPECT_EQ(radio.opened.size(), opens + 1);
    settle();
    EXPECT_EQ(live.phase(), LiveStatus::Phase::Listening);
    EXPECT_EQ(live.state().signalQuality, 38u);
    EXPECT_EQ(changes, (std::vector<std::string>{"SignalQuality", "Signal", "Signal"}));
    EXPECT_EQ(sentCount("AT+CEREG=2"), 2u);  // the URCs turned on again (the module may have restarted)
}

TEST_F(LiveStatusTest, SuspendInTheMiddleOfTheReadDropsItAndResumeStartsOver) {
    live.setPort("/dev/ttyUSB2");
    scheduler.advance(50ms);
    ASSERT_EQ(live.phase(), LiveStatus::Phase::Reading);
    live.suspend();
    scheduler.advance(10s);
    size_t sent = radio.sent.size();
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
    live.resume();
    settle();
    EXPECT_EQ(radio.sent[sent], "AT+CREG=2");
    EXPECT_EQ(live.state().iccid, "89490200001234567890");
}

TEST_F(LiveStatusTest, APortThatHangsUpMakesEverythingUnknownUntilItIsBack) {
    live.setPort("/dev/ttyUSB2");
    settle();
    changes.clear();
    radio.current->hangUp();
    EXPECT_EQ(live.phase(), LiveStatus::Phase::Lost);
    EXPECT_EQ(live.lostWhy(), "the tty hung up");
    EXPECT_EQ(live.state(), LiveState{});
    EXPECT_EQ(changes.size(), 9u);
    scheduler.runDeferred();
    EXPECT_EQ(radio.current, nullptr);  // the port and its lock are let go
    // Nothing tries again by itself.
    size_t opens = radio.opened.size();
    scheduler.advance(std::chrono::hours(1));
    EXPECT_EQ(radio.opened.size(), opens);
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
    // The module came back (same name): told so, it reads everything again.
    live.setPort("/dev/ttyUSB2");
    settle();
    EXPECT_EQ(live.state().operatorName, "Simulated Operator");
    EXPECT_EQ(live.phase(), LiveStatus::Phase::Listening);
}

TEST_F(LiveStatusTest, AHangUpInTheMiddleOfACommandEndsTheRead) {
    live.setPort("/dev/ttyUSB2");
    scheduler.advance(50ms);
    radio.current->hangUp();
    size_t sent = radio.sent.size();
    settle();
    scheduler.advance(10s);
    EXPECT_EQ(radio.sent.size(), sent);
    EXPECT_EQ(live.phase(), LiveStatus::Phase::Lost);
}

TEST_F(LiveStatusTest, APortThatCannotBeOpenedIsLostAndATakenOneWaitsForResume) {
    radio.absent = true;
    live.setPort("/dev/ttyUSB2");
    EXPECT_EQ(live.phase(), LiveStatus::Phase::Lost);
    EXPECT_NE(live.lostWhy().find("No such file"), std::string::npos);
    EXPECT_TRUE(changes.empty());  // unknown it was, unknown it stays
    radio.absent = false;
    live.setPort("/dev/ttyUSB3");  // came back under another name
    settle();
    EXPECT_EQ(radio.opened.back(), "/dev/ttyUSB3");
    EXPECT_EQ(live.state().sim, SimState::Ready);
}

TEST_F(LiveStatusTest, AModuleThatRestartsOnAUartIsReadAgain) {
    live.setPort("/dev/ttyS1");
    settle();
    size_t sent = radio.sent.size();
    radio.current->say("RDY");
    settle();
    EXPECT_EQ(radio.sent[sent], "AT+CREG=2");
    EXPECT_EQ(radio.sent.size(), sent + 18);
}

TEST_F(LiveStatusTest, NoPortAndAPortTakenAway) {
    live.setPort("");
    EXPECT_EQ(live.phase(), LiveStatus::Phase::NoPort);
    EXPECT_TRUE(radio.opened.empty());
    live.setPort("/dev/ttyUSB2");
    settle();
    live.setPort("");
    EXPECT_EQ(live.phase(), LiveStatus::Phase::NoPort);
    EXPECT_EQ(live.state(), LiveState{});
    scheduler.runDeferred();
    EXPECT_EQ(radio.current, nullptr);
    live.suspend();
    live.resume();  // still no port: nothing opened
    EXPECT_EQ(live.phase(), LiveStatus::Phase::NoPort);
}

TEST_F(LiveStatusTest, DestroyedFromItsOwnCallback) {
    auto owned = std::make_unique<LiveStatus>(radio, scheduler, "m1");
    owned->setObserver([&](const std::vector<LiveField>&) { owned.reset(); });
    owned->setPort("/dev/ttyUSB2");
    for (int i = 0; i < 100 && owned; ++i) scheduler.advance(10ms);
    EXPECT_FALSE(owned);
    scheduler.advance(1s);
    EXPECT_EQ(radio.current, nullptr);
}

}  // namespace
}  // namespace dialupd

namespace dialupd {
namespace {

TEST_F(LiveStatusTest, SuspendLetsOurCommandFinishBeforeThePortGoes) {
    live.setPort("/dev/ttyUSB2");
    scheduler.advance(5ms);  // AT+CREG=2 sent, its OK not yet in
    ASSERT_EQ(radio.sent, std::vector<std::string>{"AT+CREG=2"});
    bool free = false;
    live.suspend([&] { free = true; });
    EXPECT_FALSE(free) << "its answer would reach the next user of the port";
    EXPECT_NE(radio.current, nullptr);
    scheduler.advance(20ms);  // the OK comes; the port goes on the next turn, then whenFree
    EXPECT_TRUE(free);
    EXPECT_EQ(radio.current, nullptr);
    EXPECT_EQ(radio.sent, std::vector<std::string>{"AT+CREG=2"});  // nothing more asked
    live.resume();
    settle();
    EXPECT_EQ(live.state().iccid, "89490200001234567890");
}

TEST_F(LiveStatusTest, AnIdlePortIsFreeFromInsideSuspend) {
    live.setPort("/dev/ttyUSB2");
    settle();
    bool free = false;
    live.suspend([&] {
        free = true;
        EXPECT_EQ(radio.current, nullptr);
    });
    EXPECT_TRUE(free);
}

TEST_F(LiveStatusTest, AResumeBeforeOurCommandEndedCancelsTheWait) {
    live.setPort("/dev/ttyUSB2");
    scheduler.advance(5ms);
    bool free = false;
    live.suspend([&] { free = true; });
    live.resume();
    settle();
    EXPECT_FALSE(free);
    EXPECT_EQ(live.phase(), LiveStatus::Phase::Listening);
    EXPECT_EQ(live.state().iccid, "89490200001234567890");
}

TEST_F(LiveStatusTest, ASilentCommandHoldsTheSuspendOnlyForItsTimeout) {
    radio.silentOn.insert("AT+CREG=2");
    live.setPort("/dev/ttyUSB2");
    scheduler.advance(5ms);
    bool free = false;
    live.suspend([&] { free = true; });
    scheduler.advance(2900ms);
    EXPECT_FALSE(free);
    scheduler.advance(200ms);
    EXPECT_TRUE(free);
    EXPECT_EQ(radio.current, nullptr);
}

}  // namespace
}  // namespace dialupd
