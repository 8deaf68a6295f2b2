// SPDX-License-Identifier: GPL-2.0-or-later
// The connectivity watchdog with a fake clock and a fake prober: when it probes, when it skips,
// retries, gives up, and that it keeps no timer but its one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "core/connectivity_check.h"
#include "fakes.h"

namespace dialupd {
namespace {

using ::testing::ElementsAre;
using testing::FakeScheduler;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

class FakeProber final : public ConnectivityProber {
public:
    struct Sent {
        ProbeRequest request;
        std::function<void(ProbeAnswer)> answered;
        std::shared_ptr<bool> alive;
    };
    class FakeProbe final : public Probe {
    public:
        explicit FakeProbe(std::shared_ptr<bool> alive) : alive_(std::move(alive)) {}
        ~FakeProbe() override { *alive_ = false; }
        std::string sent() const override { return "echo request"; }

    private:
        std::shared_ptr<bool> alive_;
    };

    std::optional<uint64_t> rxBytes(const std::string& interface) override {
        EXPECT_EQ(interface, "ppp0");
        return rx;
    }
    std::unique_ptr<Probe> start(const ProbeRequest& request, std::function<void(ProbeAnswer)> answered) override {
        auto alive = std::make_shared<bool>(true);
        sent.push_back({request, std::move(answered), alive});
        return std::make_unique<FakeProbe>(alive);
    }
    // Answers the last probe (it must still be wanted).
    void answerLast(bool ok, std::string text) {
        ASSERT_FALSE(sent.empty());
        ASSERT_TRUE(*sent.back().alive) << "the probe was cancelled";
        auto answered = std::move(sent.back().answered);
        answered(ProbeAnswer{ok, std::move(text)});
    }
    // The packets a check sends bring their answer in: the counter rises with it.
    std::optional<uint64_t> rx = 1000;
    std::vector<Sent> sent;
};

class WatchdogTest : public ::testing::Test {
protected:
    std::unique_ptr<ConnectivityWatchdog> make(std::vector<CheckTarget> targets = {{AF_INET, "10.64.0.53", 0}}) {
        return std::make_unique<ConnectivityWatchdog>(
            settings, "ppp0", std::move(targets), scheduler, prober,
            [this](std::string_view line) { notes.emplace_back(line); },
            [this](const std::string& why) {
                lost.push_back(why);
                watchdog.reset();  // as the call attempt does: the watchdog goes in its own callback
            });
    }
    void SetUp() override {
        settings.kind = CheckKind::Icmp;
        settings.intervalSeconds = 300;
        settings.retryIntervalSeconds = 10;
        settings.failures = 3;
        settings.timeoutSeconds = 5;
    }

    ConnectivityCheckSettings settings;
    FakeScheduler scheduler;
    FakeProber prober;
    std::vector<std::string> notes;
    std::vector<std::string> lost;
    std::unique_ptr<ConnectivityWatchdog> watchdog;
};

TEST_F(WatchdogTest, OneTimerAtATimeAndTheFirstProbeAfterOneInterval) {
    watchdog = make();
    EXPECT_EQ(scheduler.pendingTimers(), 1u);
    scheduler.advance(299s);
    EXPECT_THAT(prober.sent, IsEmpty());
    scheduler.advance(1s);
    ASSERT_EQ(prober.sent.size(), 1u);
    EXPECT_EQ(prober.sent[0].request.interface, "ppp0");
    EXPECT_EQ(prober.sent[0].request.target.address, "10.64.0.53");
    EXPECT_EQ(prober.sent[0].request.kind, CheckKind::Icmp);
    EXPECT_EQ(scheduler.pendingTimers(), 1u) << "the probe's timeout only";
    prober.answerLast(true, "echo reply");
    scheduler.runDeferred();
    EXPECT_EQ(scheduler.pendingTimers(), 1u) << "the next check only";
    scheduler.advance(300s);
    EXPECT_EQ(prober.sent.size(), 2u);
}

TEST_F(WatchdogTest, NoTimerOnceDestroyed) {
    watchdog = make();
    scheduler.advance(300s);
    watchdog.reset();
    scheduler.runDeferred();
    EXPECT_EQ(scheduler.pendingTimers(), 0u) << "no call up: no wakeups";
    EXPECT_FALSE(*prober.sent.back().alive) << "the probe under way is cancelled";
}

TEST_F(WatchdogTest, TrafficSinceTheLastCheckSkipsTheProbe) {
    watchdog = make();
    for (int day = 0; day < 288; ++day) {
        *prober.rx += 1500;  // something came in over the link
        scheduler.advance(300s);
    }
    EXPECT_THAT(prober.sent, IsEmpty());
    EXPECT_EQ(watchdog->checksSkipped(), 288u);
    EXPECT_EQ(scheduler.pendingTimers(), 1u);
}

TEST_F(WatchdogTest, AnIdleLinkIsProbedOncePerInterval) {
    watchdog = make();
    for (int i = 1; i <= 12; ++i) {
        scheduler.advance(300s);
        ASSERT_EQ(prober.sent.size(), static_cast<size_t>(i));
        *prober.rx += 44;  // the reply itself: must not count as traffic at the next check
        prober.answerLast(true, "echo reply");
        scheduler.runDeferred();
    }
    EXPECT_EQ(watchdog->checksSkipped(), 0u);
    // Only the first success of the call is in the log (with the start line).
    EXPECT_EQ(notes.size(), 2u);
}

TEST_F(WatchdogTest, FailuresInARowEndTheCallWithEveryProbeNoted) {
    watchdog = make();
    scheduler.advance(300s);  // check 1: sent
    scheduler.advance(5s);    // no answer
    EXPECT_EQ(prober.sent.size(), 1u);
    scheduler.advance(9s);
    EXPECT_EQ(prober.sent.size(), 1u) << "the retry comes at check-retry-interval";
    scheduler.advance(1s);
    EXPECT_EQ(prober.sent.size(), 2u);
    prober.answerLast(false, "sendto: Network is unreachable");
    scheduler.runDeferred();
    EXPECT_THAT(lost, IsEmpty());
    scheduler.advance(10s);
    EXPECT_EQ(prober.sent.size(), 3u);
    EXPECT_THAT(lost, IsEmpty());
    scheduler.advance(5s);
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_THAT(lost[0], HasSubstr("3 connectivity checks in a row failed"));
    EXPECT_EQ(watchdog, nullptr);
    std::vector<std::string> probes;
    for (const std::string& note : notes)
        if (note.starts_with("connectivity check ")) probes.push_back(note);
    ASSERT_EQ(probes.size(), 3u);
    EXPECT_THAT(probes[0],
                HasSubstr("check 1/3: icmp to 10.64.0.53 over ppp0, sent echo request: no answer within 5 s"));
    EXPECT_THAT(probes[1], HasSubstr("check 2/3: icmp to 10.64.0.53 over ppp0, sent echo request: sendto: Network is "
                                     "unreachable"));
    EXPECT_THAT(probes[2], HasSubstr("check 3/3"));
    scheduler.runDeferred();
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
}

TEST_F(WatchdogTest, ASuccessBetweenFailuresStartsTheCountAgain) {
    watchdog = make();
    scheduler.advance(300s);
    scheduler.advance(5s);  // 1 failed
    scheduler.advance(10s);
    scheduler.advance(5s);  // 2 failed
    scheduler.advance(10s);
    prober.answerLast(true, "echo reply");  // the path is back
    scheduler.runDeferred();
    EXPECT_EQ(watchdog->failuresInARow(), 0u);
    EXPECT_THAT(notes.back(), HasSubstr("check 3/3"));
    scheduler.advance(300s);
    scheduler.advance(5s);
    scheduler.advance(10s);
    scheduler.advance(5s);
    EXPECT_THAT(lost, IsEmpty()) << "two failures after the success are not three";
}

TEST_F(WatchdogTest, TrafficDuringRetriesEndsTheFailures) {
    watchdog = make();
    scheduler.advance(305s);  // 1 failed
    *prober.rx += 5000;
    scheduler.advance(10s);  // the retry sees traffic: no probe
    EXPECT_EQ(prober.sent.size(), 1u);
    EXPECT_EQ(watchdog->failuresInARow(), 0u);
    EXPECT_THAT(notes.back(), HasSubstr("received 5000 bytes since the last check"));
}

TEST_F(WatchdogTest, OneTargetAnsweringIsEnough) {
    watchdog = make({{AF_INET, "10.64.0.53", 0}, {AF_INET, "10.64.0.54", 0}});
    scheduler.advance(300s);
    scheduler.advance(5s);  // the first target is silent: the second is asked at once
    ASSERT_EQ(prober.sent.size(), 2u);
    EXPECT_EQ(prober.sent[1].request.target.address, "10.64.0.54");
    prober.answerLast(true, "echo reply");
    scheduler.runDeferred();
    EXPECT_EQ(watchdog->failuresInARow(), 0u);
    EXPECT_EQ(prober.sent.size(), 2u);
}

TEST_F(WatchdogTest, ACheckFailsOnlyWhenEveryTargetFails) {
    settings.failures = 1;
    watchdog = make({{AF_INET, "10.64.0.53", 0}, {AF_INET, "10.64.0.54", 0}});
    scheduler.advance(305s);
    EXPECT_THAT(lost, IsEmpty());
    scheduler.advance(5s);
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_THAT(lost[0], HasSubstr("(2 probes, each above)"));
}

TEST_F(WatchdogTest, AnUnreadableCounterNeverSkips) {
    prober.rx.reset();
    watchdog = make();
    scheduler.advance(300s);
    EXPECT_EQ(prober.sent.size(), 1u);
}

TEST_F(WatchdogTest, DnsChecksCarryTheNameAndDistinctIds) {
    settings.kind = CheckKind::Dns;
    settings.name = "only-over-the-link.test";
    watchdog = make();
    scheduler.advance(305s);
    scheduler.advance(15s);
    ASSERT_EQ(prober.sent.size(), 2u);
    EXPECT_EQ(prober.sent[0].request.name, "only-over-the-link.test");
    EXPECT_NE(prober.sent[0].request.sequence, prober.sent[1].request.sequence);
}

TEST(CheckTargets, Parse) {
    EXPECT_EQ(parseCheckTarget("10.64.0.53", false), (CheckTarget{AF_INET, "10.64.0.53", 0}));
    EXPECT_EQ(parseCheckTarget("2001:db8::53", false), (CheckTarget{AF_INET6, "2001:db8::53", 0}));
    EXPECT_EQ(parseCheckTarget("192.0.2.1:443", true), (CheckTarget{AF_INET, "192.0.2.1", 443}));
    EXPECT_EQ(parseCheckTarget("[2001:db8::1]:80", true), (CheckTarget{AF_INET6, "2001:db8::1", 80}));
    EXPECT_EQ(parseCheckTarget("[2001:db8::1]:80", true)->text(), "[2001:db8::1]:80");
    for (const char* bad : {"example.com", "10.64.0.53:53", "", "10.64.0.1/24", "fe80::1%ppp0", "1.2.3.4 "})
        EXPECT_FALSE(parseCheckTarget(bad, false)) << bad;
    for (const char* bad :
         {"192.0.2.1", "192.0.2.1:0", "192.0.2.1:65536", "2001:db8::1:80", "[192.0.2.1]:80", "host:80", "1.2.3.4:x"})
        EXPECT_FALSE(parseCheckTarget(bad, true)) << bad;
    std::string bad;
    auto targets = parseCheckTargets("10.64.0.53, 10.64.0.54  8.8.8.8", false, bad);
    ASSERT_TRUE(targets);
    EXPECT_EQ(targets->size(), 3u);
    EXPECT_FALSE(parseCheckTargets("10.64.0.53,dns.google", false, bad));
    EXPECT_EQ(bad, "dns.google");
}

TEST(CheckTargets, Names) {
    EXPECT_TRUE(isCheckName("example.com"));
    EXPECT_TRUE(isCheckName("example.com."));
    EXPECT_TRUE(isCheckName("only-over-the-link.test"));
    for (const char* bad : {"", ".", "a..b", "exa mple.com", "a/b", "é.com"}) EXPECT_FALSE(isCheckName(bad)) << bad;
    EXPECT_FALSE(isCheckName(std::string(64, 'a') + ".com"));
}

TEST(CheckSettings, NamedProblems) {
    ConnectivityCheckSettings s;
    s.kind = CheckKind::Tcp;
    EXPECT_THAT(finishCheckSettings(s).value_or(""), HasSubstr("check = tcp needs 'check-targets'"));
    s.targetsText = "192.0.2.1";
    EXPECT_THAT(finishCheckSettings(s).value_or(""), HasSubstr("ADDRESS:PORT"));
    s.targetsText = "192.0.2.1:443";
    EXPECT_EQ(finishCheckSettings(s), std::nullopt);
    EXPECT_EQ(s.targets.size(), 1u);
    s.kind = CheckKind::Dns;
    s.targetsText = "";
    EXPECT_THAT(finishCheckSettings(s).value_or(""), HasSubstr("check = dns needs 'check-name'"));
    s.name = "example.com";
    EXPECT_EQ(finishCheckSettings(s), std::nullopt);
    s.retryIntervalSeconds = 600;
    EXPECT_THAT(finishCheckSettings(s).value_or(""), HasSubstr("'check-retry-interval' (600 s) must not be longer"));
}

}  // namespace
}  // namespace dialupd
