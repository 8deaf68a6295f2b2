// SPDX-License-Identifier: GPL-2.0-or-later
// Counters for fleets: data periods and their rollover (a hand-moved clock), sizes, the file's
// format read back with validation, and the modem's use of them: every event counted, the data
// limit ending a call with reason 66, refusing Connect and redial until the next period.
#include "core/modem_counters.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "core/modem.h"
#include "core/prometheus_text.h"
#include "fakes.h"

namespace dialupd {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using namespace std::chrono;
using testing::FakePppdRunner;
using testing::FakeScheduler;

// µs since the epoch of a UTC date and time.
uint64_t at(int y, unsigned m, unsigned d, int hour = 0, int minute = 0) {
    const sys_seconds when = sys_days(year{y} / month{m} / day{d}) + hours(hour) + minutes(minute);
    return static_cast<uint64_t>(when.time_since_epoch().count()) * 1'000'000;
}

class MapStore final : public CountersStore {
public:
    std::optional<std::string> load(const std::string& modemId, std::string& why) override {
        if (unreadable) {
            why = "cannot open it";
            return std::nullopt;
        }
        auto found = files.find(modemId);
        if (found == files.end()) return std::nullopt;
        return found->second;
    }
    void save(const std::string& modemId, const std::string& text) override {
        files[modemId] = text;
        ++saves;
    }
    std::map<std::string, std::string> files;
    bool unreadable = false;
    int saves = 0;
};

TEST(DataPeriod, MonthlyFromTheStartDay) {
    DataPlan plan;
    plan.startDay = 15;
    DataPeriod period = periodContaining(plan, utcDataClock(), at(2026, 12, 20, 13));
    EXPECT_EQ(period.startDay, "2026-12-15");
    EXPECT_EQ(period.startUsec, at(2026, 12, 15));
    EXPECT_EQ(period.endUsec, at(2027, 1, 15));
    // Before the start day: the period began last month (across a year's end, too).
    period = periodContaining(plan, utcDataClock(), at(2027, 1, 14, 23, 59));
    EXPECT_EQ(period.startDay, "2026-12-15");
    period = periodContaining(plan, utcDataClock(), at(2027, 1, 15));
    EXPECT_EQ(period.startDay, "2027-01-15");
    plan.startDay = 1;
    period = periodContaining(plan, utcDataClock(), at(2028, 2, 29, 12));
    EXPECT_EQ(period.startDay, "2028-02-01");
    EXPECT_EQ(period.endUsec, at(2028, 3, 1));
}

TEST(DataPeriod, DailyFromMidnight) {
    DataPlan plan;
    plan.period = DataPeriodKind::Daily;
    DataPeriod period = periodContaining(plan, utcDataClock(), at(2026, 12, 31, 23, 30));
    EXPECT_EQ(period.startDay, "2026-12-31");
    EXPECT_EQ(period.startUsec, at(2026, 12, 31));
    EXPECT_EQ(period.endUsec, at(2027, 1, 1));
}

TEST(DataSize, DecimalAndBinaryUnits) {
    EXPECT_EQ(parseDataSize("2G"), 2'000'000'000u);
    EXPECT_EQ(parseDataSize("500M"), 500'000'000u);
    EXPECT_EQ(parseDataSize("1Gi"), 1ULL << 30);
    EXPECT_EQ(parseDataSize("10Ki"), 10240u);
    EXPECT_EQ(parseDataSize("12345"), 12345u);
    EXPECT_EQ(parseDataSize("none"), 0u);
    EXPECT_EQ(parseDataSize("0"), 0u);
    for (const char* bad : {"", "G", "1.5G", "2 G", "2g", "2GB", "-1", "2Gib", "99999999999999999999", "20000000T"})
        EXPECT_EQ(parseDataSize(bad), std::nullopt) << bad;
}

ModemCounters sampleCounters() {
    ModemCounters counters;
    counters.sinceUsec = 1'700'000'000'000'000;
    counters.callsStarted = 12;
    counters.callsUp = 9;
    counters.ends = {{5, 3}, {16, 6}, {66, 1}, {137, 2}};
    counters.recoveries = {{"escape", 2}, {"failed", 1}};
    counters.watchdogFailures = 4;
    counters.bytesIn = 1ULL << 40;
    counters.bytesOut = 123;
    counters.periodStartDay = "2026-12-01";
    counters.periodBytesIn = 1000;
    counters.periodBytesOut = 10;
    return counters;
}

TEST(CountersFile, RoundTrips) {
    std::string why;
    const std::string text = formatCounters(sampleCounters());
    EXPECT_THAT(text, HasSubstr("end 66 1\n"));
    EXPECT_EQ(parseCounters(text, why), sampleCounters()) << why;
    EXPECT_EQ(parseCounters(formatCounters(ModemCounters{}), why), ModemCounters{}) << why;
}

TEST(CountersFile, AnythingElseIsRefusedWithAReason) {
    const std::string good = formatCounters(sampleCounters());
    auto refused = [](const std::string& text) {
        std::string why;
        bool ok = parseCounters(text, why).has_value();
        return !ok && !why.empty();
    };
    EXPECT_TRUE(refused(""));
    EXPECT_TRUE(refused(good.substr(0, good.size() - 5)));  // cut short
    EXPECT_TRUE(refused("dialupd-counters 2\n" + good.substr(good.find('\n') + 1)));
    EXPECT_TRUE(refused(good + "calls-up 3\n"));   // twice
    EXPECT_TRUE(refused(good + "end 16 1\n"));     // twice
    EXPECT_TRUE(refused(good + "colour blue\n"));  // unknown key
    EXPECT_TRUE(refused(good + "end 4294967296 1\n"));
    EXPECT_TRUE(refused(good + "end 7\n"));
    EXPECT_TRUE(refused(good + "recovery Evil/../x 1\n"));
    EXPECT_TRUE(refused(good + "watchdog-failures -1\n"));
    std::string badNumber = good;
    badNumber.replace(badNumber.find("calls-up 9"), 10, "calls-up 9x");
    EXPECT_TRUE(refused(badNumber));
    std::string badDay = good;
    badDay.replace(badDay.find("2026-12-01"), 10, "2026/12/01");
    EXPECT_TRUE(refused(badDay));
    std::string flood = good;
    for (int code = 1000; code < 3000; ++code) flood += "end " + std::to_string(code) + " 1\n";
    EXPECT_TRUE(refused(flood));
    std::string binary = good;
    binary[5] = '\0';
    EXPECT_TRUE(refused(binary));
}

TEST(CounterBook, ACorruptOrUnreadableFileStartsFromZero) {
    MapStore store;
    store.files["m0"] = "dialupd-counters 1\ncalls-up lots\n";
    CounterBook book("m0", {}, utcDataClock(), &store);
    book.load(at(2026, 12, 2));
    EXPECT_EQ(book.counters().callsUp, 0u);
    EXPECT_EQ(book.counters().sinceUsec, at(2026, 12, 2));
    EXPECT_EQ(book.counters().periodStartDay, "2026-12-01");
    std::string why;
    EXPECT_TRUE(parseCounters(store.files["m0"], why)) << "replaced by a good file: " << why;

    store.unreadable = true;
    CounterBook again("m0", {}, utcDataClock(), &store);
    again.load(at(2026, 12, 2));
    EXPECT_EQ(again.counters().callsStarted, 0u);
}

TEST(CounterBook, CountsSurviveAReload) {
    MapStore store;
    {
        CounterBook book("m0", {}, utcDataClock(), &store);
        book.load(at(2026, 12, 2));
        book.callStarted(at(2026, 12, 2, 1));
        book.callUp(at(2026, 12, 2, 1));
        book.callEnded(16, 5000, 700, at(2026, 12, 2, 3));
        book.recovered("escape", at(2026, 12, 2, 3));
        book.watchdogFailed(at(2026, 12, 2, 3));
    }
    CounterBook book("m0", {}, utcDataClock(), &store);
    book.load(at(2026, 12, 3));
    const ModemCounters& counters = book.counters();
    EXPECT_EQ(counters.callsStarted, 1u);
    EXPECT_EQ(counters.callsUp, 1u);
    EXPECT_EQ(counters.ends.at(16), 1u);
    EXPECT_EQ(counters.recoveries.at("escape"), 1u);
    EXPECT_EQ(counters.watchdogFailures, 1u);
    EXPECT_EQ(counters.bytesIn, 5000u);
    EXPECT_EQ(book.periodBytesIn(), 5000u);
    EXPECT_EQ(book.periodBytesOut(), 700u);
    EXPECT_EQ(counters.sinceUsec, at(2026, 12, 2));
}

TEST(CounterBook, ANewPeriodStartsFromZeroAndTheTotalsGoOn) {
    MapStore store;
    DataPlan plan;
    plan.period = DataPeriodKind::Daily;
    plan.limitBytes = 1000;
    CounterBook book("m0", plan, utcDataClock(), &store);
    book.load(at(2026, 12, 2, 8));
    book.callStarted(at(2026, 12, 2, 8));
    book.callEnded(16, 800, 300, at(2026, 12, 2, 9));
    EXPECT_TRUE(book.limitReached());
    EXPECT_FALSE(book.rollOver(at(2026, 12, 2, 23, 59)));
    EXPECT_TRUE(book.limitReached());
    EXPECT_TRUE(book.rollOver(at(2026, 12, 3)));
    EXPECT_FALSE(book.limitReached());
    EXPECT_EQ(book.periodBytesIn(), 0u);
    EXPECT_EQ(book.counters().bytesIn, 800u);
    EXPECT_EQ(book.counters().periodStartDay, "2026-12-03");
}

TEST(CounterBook, ACallAcrossTheRolloverCountsInTheNewPeriodOnlyWhatCameAfter) {
    MapStore store;
    DataPlan plan;
    plan.period = DataPeriodKind::Daily;
    CounterBook book("m0", plan, utcDataClock(), &store);
    book.load(at(2026, 12, 2, 23));
    book.callStarted(at(2026, 12, 2, 23));
    EXPECT_EQ(book.periodBytesIn(400), 400u);  // live, before midnight
    EXPECT_TRUE(book.rollOver(at(2026, 12, 3, 0, 1), 400, 40));
    EXPECT_EQ(book.periodBytesIn(450), 50u);
    book.callEnded(16, 1400, 140, at(2026, 12, 3, 1));
    EXPECT_EQ(book.periodBytesIn(), 1000u);
    EXPECT_EQ(book.periodBytesOut(), 100u);
    EXPECT_EQ(book.counters().bytesIn, 1400u);
}

TEST(Prometheus, OneHelpAndTypePerMetricAndASeriesPerModem) {
    ModemMetrics modem{"m0", ModemState::Connected, {}};
    modem.statistics.counters = sampleCounters();
    modem.statistics.plan.limitBytes = 2'000'000'000;
    modem.statistics.periodBytesIn = 1000;
    ModemMetrics other{"ec25_1", ModemState::Disconnected, {}};
    const std::string text = formatPrometheus({modem, other});
    EXPECT_THAT(text, HasSubstr("# HELP dialupd_calls_started_total "));
    EXPECT_THAT(text, HasSubstr("# TYPE dialupd_calls_started_total counter\n"));
    EXPECT_THAT(text, HasSubstr("dialupd_calls_started_total{modem=\"m0\"} 12\n"));
    EXPECT_THAT(text, HasSubstr("dialupd_calls_started_total{modem=\"ec25_1\"} 0\n"));
    EXPECT_THAT(text, HasSubstr("dialupd_call_ends_total{modem=\"m0\",code=\"66\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("dialupd_recoveries_total{modem=\"m0\",step=\"escape\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("dialupd_received_bytes_total{modem=\"m0\"} 1099511627776\n"));
    EXPECT_THAT(text, HasSubstr("dialupd_data_limit_bytes{modem=\"m0\"} 2000000000\n"));
    EXPECT_THAT(text, HasSubstr("dialupd_modem_state{modem=\"m0\",state=\"connected\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("dialupd_modem_state{modem=\"m0\",state=\"disconnected\"} 0\n"));
    EXPECT_EQ(text.find("# TYPE dialupd_calls_started_total"), text.rfind("# TYPE dialupd_calls_started_total"));
}

// The modem with counters: a fake pppd, a hand-moved clock, interface counters the test sets.
class ModemCountersTest : public ::testing::Test {
protected:
    ModemCountersTest() {
        daemon.pluginPath = "/usr/lib/pppd/2.4.9/dialupd-pppd-plugin.so";
        daemon.runtimeDir = "/run/dialupd-test";
        config.id = "m0";
        config.device = "/dev/ttyUSB3";
        config.call.apn = "internet";
        services.counters = &store;
        services.dataClock = utcDataClock();
        services.linkBytes = [this](const std::string& interface) -> std::optional<LinkBytes> {
            ++linkReads;
            if (interface != "ppp0" || !live) return std::nullopt;
            return live;
        };
        services.statsChanged = [this] { ++statsChanges; };
        services.random = [] { return 0.5; };
    }
    Modem& modem() {
        if (!modem_)
            modem_ = std::make_unique<Modem>(
                config, daemon, runner, scheduler, [](const std::string&) { return true; }, services);
        return *modem_;
    }
    void up() {
        modem().connect({}, false, [](const Error*) {});
        runner.ipUp({"ppp0", "10.64.0.2", "10.64.0.1", {}});
    }
    void stats(uint64_t in, uint64_t out) {
        PluginReport report;
        report.kind = PluginReport::Kind::Stats;
        report.bytesIn = in;
        report.bytesOut = out;
        runner.report(report);
    }
    void end(int status) {
        runner.exitWith(status);
        scheduler.runDeferred();
    }
    std::string connectError() {
        try {
            modem().connect({}, false, [](const Error*) {});
        } catch (const Error& error) {
            return error.name();
        }
        return "";
    }

    DaemonSettings daemon;
    ModemConfig config;
    FakePppdRunner runner;
    FakeScheduler scheduler;
    MapStore store;
    ModemServices services;
    std::optional<LinkBytes> live;
    int linkReads = 0;
    int statsChanges = 0;

private:
    std::unique_ptr<Modem> modem_;
};

TEST_F(ModemCountersTest, EveryCallIsCountedAndItsBytesAddedAtItsEnd) {
    up();
    live = LinkBytes{300, 30};
    EXPECT_EQ(modem().liveBytes()->in, 300u);
    EXPECT_EQ(modem().statistics().periodBytesIn, 300u);
    stats(1000, 100);
    end(16);
    const ModemCounters& counters = modem().counters().counters();
    EXPECT_EQ(counters.callsStarted, 1u);
    EXPECT_EQ(counters.callsUp, 1u);
    EXPECT_EQ(counters.ends.at(16), 1u);
    EXPECT_EQ(counters.bytesIn, 1000u);
    EXPECT_EQ(counters.bytesOut, 100u);
    EXPECT_EQ(modem().liveBytes(), std::nullopt);
    modem().watchdogFailed();
    EXPECT_EQ(modem().counters().counters().watchdogFailures, 1u);
    std::string why;
    std::optional<ModemCounters> kept = parseCounters(store.files.at("m0"), why);
    ASSERT_TRUE(kept) << why;
    EXPECT_EQ(*kept, modem().counters().counters());
    EXPECT_GT(statsChanges, 0);
    // A requested end counts too, under its own code.
    up();
    modem().disconnect([](const Error*) {});
    end(5);
    EXPECT_EQ(modem().counters().counters().ends.at(5), 1u);
    EXPECT_EQ(modem().counters().counters().callsStarted, 2u);
}

TEST_F(ModemCountersTest, NoLimitNoWakeups) {
    up();
    EXPECT_EQ(scheduler.pendingTimers(), 0u);
    scheduler.advance(24h);
    EXPECT_EQ(linkReads, 0);
}

TEST_F(ModemCountersTest, TheDataLimitEndsTheCallWith66AndBlocksCallsUntilTheNextPeriod) {
    config.call.dataPlan.period = DataPeriodKind::Daily;
    config.call.dataPlan.limitBytes = 10'000;
    config.call.reconnect.enabled = true;
    up();
    live = LinkBytes{4000, 1000};
    scheduler.advance(Modem::kDataLimitCheckInterval);
    EXPECT_EQ(modem().state(), ModemState::Connected);
    EXPECT_EQ(linkReads, 1);
    live = LinkBytes{8000, 2000};
    scheduler.advance(Modem::kDataLimitCheckInterval - 1s);
    EXPECT_EQ(linkReads, 1) << "no read between checks";
    scheduler.advance(1s);
    EXPECT_EQ(modem().state(), ModemState::Disconnecting);
    ASSERT_FALSE(runner.live()->signals.empty());
    stats(8100, 2010);
    end(5);  // pppd's answer to SIGTERM
    EXPECT_EQ(modem().lastExitReason().code, 66u);
    EXPECT_EQ(modem().lastExitReason().name, "data-limit");
    // The redial waits for the next period: a second into the next day (the clock is UTC here).
    const uint64_t nextDay = modem().counters().period(scheduler.realtimeNowUsec()).endUsec;
    EXPECT_EQ(modem().nextReconnectUsec(), nextDay + 1'000'000);
    EXPECT_EQ(modem().counters().counters().ends.at(66), 1u);
    EXPECT_TRUE(modem().statistics().limitReached);
    EXPECT_EQ(connectError(), error_name::kDataLimitReached);
    EXPECT_EQ(runner.launches.size(), 1u);
    scheduler.advance(std::chrono::microseconds(nextDay - scheduler.realtimeNowUsec()));
    EXPECT_EQ(runner.launches.size(), 1u) << "not before the next period";
    scheduler.advance(1s);
    EXPECT_FALSE(modem().statistics().limitReached);
    EXPECT_EQ(runner.launches.size(), 2u) << "the redial, on its own, as the period began";
    EXPECT_EQ(modem().state(), ModemState::Connecting);
}

TEST_F(ModemCountersTest, WithoutReconnectTheNextPeriodOnlyAllowsConnectAgain) {
    config.call.dataPlan.period = DataPeriodKind::Daily;
    config.call.dataPlan.limitBytes = 1000;
    up();
    stats(900, 200);
    end(16);
    EXPECT_EQ(modem().nextReconnectUsec(), 0u);
    EXPECT_EQ(connectError(), error_name::kDataLimitReached);
    scheduler.advance(25h);
    EXPECT_EQ(runner.launches.size(), 1u);
    EXPECT_EQ(connectError(), "");
    EXPECT_EQ(runner.launches.size(), 2u);
}

TEST_F(ModemCountersTest, AnEndThatReachesTheLimitIsRedialledOnlyInTheNextPeriod) {
    config.call.dataPlan.limitBytes = 1000;
    config.call.reconnect.enabled = true;
    up();
    stats(900, 200);
    end(16);
    EXPECT_GT(modem().nextReconnectUsec(), 0u);  // 16 alone is redialled at once...
    scheduler.advance(1h);
    EXPECT_EQ(runner.launches.size(), 1u) << "...but the period's bytes are at the limit";
    const uint64_t nextPeriod = modem().counters().period(scheduler.realtimeNowUsec()).endUsec;
    EXPECT_EQ(modem().nextReconnectUsec(), nextPeriod + 1'000'000) << "so it waits for the next period";
}

TEST_F(ModemCountersTest, AnAutoconnectRefusedAtTheLimitDialsWhenTheNextPeriodBegins) {
    config.call.dataPlan.period = DataPeriodKind::Daily;
    config.call.dataPlan.limitBytes = 1000;
    up();
    stats(900, 200);
    end(16);
    CallOverrides overrides;
    overrides.reconnect = true;
    EXPECT_FALSE(modem().redialAtNextDataPeriod({})) << "reconnect off: nothing planned";
    EXPECT_TRUE(modem().redialAtNextDataPeriod(overrides));
    EXPECT_GT(modem().nextReconnectUsec(), 0u);
    scheduler.advance(25h);
    EXPECT_EQ(runner.launches.size(), 2u);
}

TEST_F(ModemCountersTest, RecoveriesAreCountedByStep) {
    testing::FakeModule module{scheduler, "/dev/ttyUSB3", "/dev/ttyUSB2"};
    config.atPort = "/dev/ttyUSB2";
    config.usb.portPath = "1-1";
    services.atPorts = &module;
    services.usbResetter = &module;
    module.stuck = true;
    module.escapeWorks = false;
    std::optional<std::string> by;
    modem().reset([&](const Error*, const ResetResult& result) { by = result.recoveredBy; });
    scheduler.advanceInSteps(20s);
    ASSERT_EQ(by, "reboot");
    modem().reset([&](const Error*, const ResetResult& result) { by = result.recoveredBy; });
    scheduler.advanceInSteps(20s);
    EXPECT_EQ(by, "probe");
    const auto& recoveries = modem().counters().counters().recoveries;
    EXPECT_EQ(recoveries.at("reboot"), 1u);
    EXPECT_EQ(recoveries.at("probe"), 1u);
}

}  // namespace
}  // namespace dialupd
