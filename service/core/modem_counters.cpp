// SPDX-License-Identifier: GPL-2.0-or-later
#include "modem_counters.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace dialupd {
namespace {

using namespace std::chrono;

constexpr std::string_view kVersionLine = "dialupd-counters 1";
// A file holds one line per reason code and per step seen: these bound what a file edited by
// hand (or damaged) can make us keep.
constexpr size_t kMaxEndCodes = 1024;
constexpr size_t kMaxSteps = 16;
constexpr size_t kMaxLines = 64 + kMaxEndCodes + kMaxSteps;

bool parseU64(std::string_view text, uint64_t& value) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return !text.empty() && error == std::errc() && end == text.data() + text.size();
}

bool isStepName(std::string_view name) {
    return !name.empty() && name.size() <= 32 &&
           std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

// "2026-12-01" for a day.
std::string dayText(year_month_day day) {
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(day.year()), static_cast<unsigned>(day.month()),
                       static_cast<unsigned>(day.day()));
}

bool parseDay(std::string_view text) {
    // Only the shape: the value is compared, never computed with.
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
    for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (text[i] < '0' || text[i] > '9') return false;
    return true;
}

sys_seconds localFromTm(const std::tm& tm) {
    const year_month_day day{year{tm.tm_year + 1900}, month{static_cast<unsigned>(tm.tm_mon + 1)},
                             std::chrono::day{static_cast<unsigned>(tm.tm_mday)}};
    return sys_days(day) + hours(tm.tm_hour) + minutes(tm.tm_min) + seconds(tm.tm_sec);
}

sys_seconds toLocalTime(uint64_t realtimeUsec) {
    const std::time_t when = static_cast<std::time_t>(realtimeUsec / 1'000'000);
    std::tm tm{};
    if (!::localtime_r(&when, &tm)) return sys_seconds(seconds(when));
    return localFromTm(tm);
}

uint64_t fromLocalTime(sys_seconds local) {
    const sys_days days = floor<std::chrono::days>(local);
    const year_month_day day(days);
    const hh_mm_ss<seconds> time(local - days);
    std::tm tm{};
    tm.tm_year = static_cast<int>(day.year()) - 1900;
    tm.tm_mon = static_cast<int>(static_cast<unsigned>(day.month())) - 1;
    tm.tm_mday = static_cast<int>(static_cast<unsigned>(day.day()));
    tm.tm_hour = static_cast<int>(time.hours().count());
    tm.tm_min = static_cast<int>(time.minutes().count());
    tm.tm_sec = static_cast<int>(time.seconds().count());
    tm.tm_isdst = -1;  // whatever is in force at that moment
    const std::time_t when = std::mktime(&tm);
    return when < 0 ? 0 : static_cast<uint64_t>(when) * 1'000'000;
}

sys_seconds utcToLocal(uint64_t realtimeUsec) { return sys_seconds(seconds(realtimeUsec / 1'000'000)); }
uint64_t utcFromLocal(sys_seconds local) {
    const auto count = local.time_since_epoch().count();
    return count < 0 ? 0 : static_cast<uint64_t>(count) * 1'000'000;
}

}  // namespace

std::string_view toString(DataPeriodKind kind) { return kind == DataPeriodKind::Daily ? "daily" : "monthly"; }

std::optional<DataPeriodKind> parseDataPeriodKind(std::string_view text) {
    if (text == "monthly") return DataPeriodKind::Monthly;
    if (text == "daily") return DataPeriodKind::Daily;
    return std::nullopt;
}

std::optional<uint64_t> parseDataSize(std::string_view text) {
    if (text == "none") return 0;
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    uint64_t value = 0;
    if (digits == 0 || !parseU64(text.substr(0, digits), value)) return std::nullopt;
    const std::string_view suffix = text.substr(digits);
    static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
        {"", 1},
        {"K", 1000ULL},
        {"M", 1000ULL * 1000},
        {"G", 1000ULL * 1000 * 1000},
        {"T", 1000ULL * 1000 * 1000 * 1000},
        {"Ki", 1ULL << 10},
        {"Mi", 1ULL << 20},
        {"Gi", 1ULL << 30},
        {"Ti", 1ULL << 40},
    };
    for (const auto& [unit, factor] : kUnits)
        if (suffix == unit) {
            if (value > UINT64_MAX / factor) return std::nullopt;
            return value * factor;
        }
    return std::nullopt;
}

LocalClock localDataClock() { return {toLocalTime, fromLocalTime}; }
LocalClock utcDataClock() { return {utcToLocal, utcFromLocal}; }

DataPeriod periodContaining(const DataPlan& plan, const LocalClock& clock, uint64_t realtimeUsec) {
    const sys_days today = floor<days>(clock.toLocal(realtimeUsec));
    sys_days start = today, end = today + days(1);
    if (plan.period == DataPeriodKind::Monthly) {
        const year_month_day date(today);
        const std::chrono::day startDay{std::clamp(plan.startDay, 1u, 28u)};
        year_month first = date.year() / date.month();
        if (date.day() < startDay) first -= months(1);
        start = sys_days(first / startDay);
        end = sys_days((first + months(1)) / startDay);
    }
    return {dayText(year_month_day(start)), clock.fromLocal(sys_seconds(start)), clock.fromLocal(sys_seconds(end))};
}

std::string formatCounters(const ModemCounters& counters) {
    std::string text = fmt::format(
        "{}\nsince-usec {}\ncalls-started {}\ncalls-up {}\nwatchdog-failures {}\nbytes-in {}\nbytes-out {}\n"
        "period-start {}\nperiod-bytes-in {}\nperiod-bytes-out {}\n",
        kVersionLine, counters.sinceUsec, counters.callsStarted, counters.callsUp, counters.watchdogFailures,
        counters.bytesIn, counters.bytesOut, counters.periodStartDay.empty() ? "-" : counters.periodStartDay,
        counters.periodBytesIn, counters.periodBytesOut);
    for (const auto& [code, count] : counters.ends) text += fmt::format("end {} {}\n", code, count);
    for (const auto& [step, count] : counters.recoveries) text += fmt::format("recovery {} {}\n", step, count);
    return text;
}

std::optional<ModemCounters> parseCounters(std::string_view text, std::string& why) {
    auto fail = [&why](std::string reason) -> std::optional<ModemCounters> {
        why = std::move(reason);
        return std::nullopt;
    };
    if (text.empty() || text.back() != '\n') return fail("it does not end with a newline (cut short?)");
    ModemCounters counters;
    std::set<std::string> seen;
    size_t lineNumber = 0;
    size_t begin = 0;
    while (begin < text.size()) {
        const size_t end = text.find('\n', begin);
        const std::string_view line = text.substr(begin, end - begin);
        begin = end + 1;
        if (++lineNumber > kMaxLines) return fail(fmt::format("more than {} lines", kMaxLines));
        if (lineNumber == 1) {
            if (line != kVersionLine) return fail(fmt::format("the first line is not '{}'", kVersionLine));
            continue;
        }
        const size_t space = line.find(' ');
        if (space == std::string_view::npos) return fail(fmt::format("line {} is not 'key value'", lineNumber));
        const std::string_view key = line.substr(0, space);
        const std::string_view value = line.substr(space + 1);
        uint64_t number = 0;
        if (key == "end" || key == "recovery") {
            const size_t second = value.find(' ');
            if (second == std::string_view::npos || !parseU64(value.substr(second + 1), number))
                return fail(fmt::format("line {}: '{} NAME COUNT' expected", lineNumber, key));
            const std::string_view name = value.substr(0, second);
            if (!seen.insert(fmt::format("{} {}", key, name)).second)
                return fail(fmt::format("line {}: {} {} appears twice", lineNumber, key, name));
            if (key == "end") {
                uint64_t code = 0;
                if (!parseU64(name, code) || code > UINT32_MAX)
                    return fail(fmt::format("line {}: the reason code is not a 32-bit number", lineNumber));
                if (counters.ends.size() >= kMaxEndCodes) return fail("too many reason codes");
                counters.ends[static_cast<uint32_t>(code)] = number;
            } else {
                if (!isStepName(name)) return fail(fmt::format("line {}: the step is not a name", lineNumber));
                if (counters.recoveries.size() >= kMaxSteps) return fail("too many recovery steps");
                counters.recoveries[std::string(name)] = number;
            }
            continue;
        }
        if (!seen.insert(std::string(key)).second)
            return fail(fmt::format("line {}: {} appears twice", lineNumber, key));
        if (key == "period-start") {
            if (value == "-") continue;
            if (!parseDay(value)) return fail(fmt::format("line {}: period-start is not YYYY-MM-DD", lineNumber));
            counters.periodStartDay = std::string(value);
            continue;
        }
        if (!parseU64(value, number)) return fail(fmt::format("line {}: {} is not a number", lineNumber, key));
        if (key == "since-usec")
            counters.sinceUsec = number;
        else if (key == "calls-started")
            counters.callsStarted = number;
        else if (key == "calls-up")
            counters.callsUp = number;
        else if (key == "watchdog-failures")
            counters.watchdogFailures = number;
        else if (key == "bytes-in")
            counters.bytesIn = number;
        else if (key == "bytes-out")
            counters.bytesOut = number;
        else if (key == "period-bytes-in")
            counters.periodBytesIn = number;
        else if (key == "period-bytes-out")
            counters.periodBytesOut = number;
        else
            return fail(fmt::format("line {}: unknown key", lineNumber));
    }
    for (const char* key : {"since-usec", "calls-started", "calls-up", "bytes-in", "bytes-out", "period-start"})
        if (!seen.count(key)) return fail(fmt::format("{} is missing", key));
    return counters;
}

CounterBook::CounterBook(std::string modemId, DataPlan plan, LocalClock clock, CountersStore* store)
    : modemId_(std::move(modemId)), plan_(plan), clock_(clock), store_(store) {}

void CounterBook::load(uint64_t nowUsec) {
    counters_ = {};
    if (store_) {
        std::string why;
        if (std::optional<std::string> text = store_->load(modemId_, why)) {
            if (std::optional<ModemCounters> kept = parseCounters(*text, why))
                counters_ = std::move(*kept);
            else
                spdlog::warn("[{}] the kept counters are not usable ({}): counting from zero", modemId_, why);
        } else if (!why.empty()) {
            spdlog::warn("[{}] the kept counters cannot be read ({}): counting from zero", modemId_, why);
        }
    }
    bool fresh = counters_.sinceUsec == 0;
    if (fresh) counters_.sinceUsec = nowUsec;
    if (!rollOver(nowUsec) && fresh) changed();
}

bool CounterBook::rollOver(uint64_t nowUsec, uint64_t liveIn, uint64_t liveOut) {
    const DataPeriod now = period(nowUsec);
    if (now.startDay == counters_.periodStartDay) return false;
    if (!counters_.periodStartDay.empty())
        spdlog::info("[{}] a new data period begins on {} (the last one, from {}, carried {} bytes in, {} out)",
                     modemId_, now.startDay, counters_.periodStartDay, periodBytesIn(liveIn), periodBytesOut(liveOut));
    counters_.periodStartDay = now.startDay;
    counters_.periodBytesIn = 0;
    counters_.periodBytesOut = 0;
    baselineIn_ = liveIn;
    baselineOut_ = liveOut;
    changed();
    return true;
}

void CounterBook::callStarted(uint64_t nowUsec) {
    rollOver(nowUsec);
    baselineIn_ = baselineOut_ = 0;
    ++counters_.callsStarted;
    changed();
}

void CounterBook::callUp(uint64_t nowUsec) {
    rollOver(nowUsec);
    ++counters_.callsUp;
    changed();
}

void CounterBook::callEnded(uint32_t reasonCode, uint64_t bytesIn, uint64_t bytesOut, uint64_t nowUsec) {
    rollOver(nowUsec, bytesIn, bytesOut);
    ++counters_.ends[reasonCode];
    counters_.bytesIn += bytesIn;
    counters_.bytesOut += bytesOut;
    counters_.periodBytesIn += liveInPeriod(bytesIn, baselineIn_);
    counters_.periodBytesOut += liveInPeriod(bytesOut, baselineOut_);
    baselineIn_ = baselineOut_ = 0;
    changed();
}

void CounterBook::recovered(std::string_view step, uint64_t nowUsec) {
    rollOver(nowUsec);
    if (!isStepName(step)) step = "unknown";
    ++counters_.recoveries[std::string(step)];
    changed();
}

void CounterBook::watchdogFailed(uint64_t nowUsec) {
    rollOver(nowUsec);
    ++counters_.watchdogFailures;
    changed();
}

uint64_t CounterBook::periodBytesIn(uint64_t liveIn) const {
    return counters_.periodBytesIn + liveInPeriod(liveIn, baselineIn_);
}

uint64_t CounterBook::periodBytesOut(uint64_t liveOut) const {
    return counters_.periodBytesOut + liveInPeriod(liveOut, baselineOut_);
}

bool CounterBook::limitReached(uint64_t liveIn, uint64_t liveOut) const {
    return plan_.limitBytes != 0 && periodBytesIn(liveIn) + periodBytesOut(liveOut) >= plan_.limitBytes;
}

void CounterBook::changed() {
    if (store_) store_->save(modemId_, formatCounters(counters_));
    if (changed_) changed_();
}

}  // namespace dialupd
