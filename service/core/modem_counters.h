// SPDX-License-Identifier: GPL-2.0-or-later
// Counters per modem for fleets: calls started and up, ends by reason, recoveries by step,
// watchdog failures, bytes in and out in total and in the current data period (monthly from a
// start day, or daily), and the optional data limit per period. Pure: time comes in as
// arguments, the file's text goes out and comes back as a string (a CountersStore keeps it:
// sys/file_counters_store in the daemon, a map in tests).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dialupd {

enum class DataPeriodKind { Monthly, Daily };
std::string_view toString(DataPeriodKind kind);  // "monthly", "daily"
std::optional<DataPeriodKind> parseDataPeriodKind(std::string_view text);

// data-period, data-period-start-day, data-limit (docs/CONFIG.md).
struct DataPlan {
    DataPeriodKind period = DataPeriodKind::Monthly;
    uint32_t startDay = 1;    // monthly: the period starts on this day of the month (1..28), at 00:00 local time
    uint64_t limitBytes = 0;  // bytes in + bytes out per period; 0: no limit
};

// "2G", "500M", "1.5G" is refused; K, M, G, T are powers of 1000 (as carriers bill), Ki, Mi, Gi,
// Ti powers of 1024; a bare number is bytes; "0" or "none": no limit. nullopt when not a size.
std::optional<uint64_t> parseDataSize(std::string_view text);

// Local time for the period's boundaries (operators bill by the local calendar): both ways
// between the realtime clock and the local civil time. The daemon's are localtime_r and mktime
// (localDataClock()); tests use UTC or a fixed offset.
struct LocalClock {
    std::chrono::sys_seconds (*toLocal)(uint64_t realtimeUsec);  // local time, written as if it were UTC
    uint64_t (*fromLocal)(std::chrono::sys_seconds local);       // back to µs since the epoch
};
LocalClock localDataClock();
LocalClock utcDataClock();

// One data period: its first day ("2026-12-01"), and its bounds in µs since the epoch.
struct DataPeriod {
    std::string startDay;
    uint64_t startUsec = 0;
    uint64_t endUsec = 0;
};
DataPeriod periodContaining(const DataPlan& plan, const LocalClock& clock, uint64_t realtimeUsec);

struct ModemCounters {
    uint64_t callsStarted = 0;          // call attempts: Connect, autoconnect, redial (whether pppd ran or not)
    uint64_t callsUp = 0;               // attempts whose link came online
    std::map<uint32_t, uint64_t> ends;  // by exit reason code, requested ends included
    std::map<std::string, uint64_t> recoveries;  // by the step that brought the module back, or "failed"
    uint64_t watchdogFailures = 0;               // connectivity checks that failed (no target answered)
    uint64_t bytesIn = 0;                        // every finished call
    uint64_t bytesOut = 0;
    std::string periodStartDay;  // the period the next two count ("" before the first)
    uint64_t periodBytesIn = 0;
    uint64_t periodBytesOut = 0;
    uint64_t sinceUsec = 0;  // when counting started (the file was first made)

    bool operator==(const ModemCounters&) const = default;
};

// The file's text: "dialupd-counters 1" then one "key value" line each (ends and recoveries
// one line per code or step). Small: at most a few KiB.
std::string formatCounters(const ModemCounters& counters);
// Every line checked (known keys, numbers within range, step names, the version line, no
// duplicates, bounded counts): nullopt and `why` for anything else.
std::optional<ModemCounters> parseCounters(std::string_view text, std::string& why);

// Where the counters are kept between runs (sys/file_counters_store in the daemon).
class CountersStore {
public:
    virtual ~CountersStore() = default;
    // The text kept for `modemId`; nullopt when none (first run) or unreadable (`why` says).
    virtual std::optional<std::string> load(const std::string& modemId, std::string& why) = 0;
    // Replaces it atomically. Failures are logged, never thrown.
    virtual void save(const std::string& modemId, const std::string& text) = 0;
};

// A modem's counters as it runs: updated at each event, the period rolled over when a new one
// has begun, saved after each change. The running call's bytes are added at its end; while it
// runs, `live` figures (the interface's counters) are passed in where they count.
class CounterBook final {
public:
    CounterBook(std::string modemId, DataPlan plan, LocalClock clock, CountersStore* store);

    // Reads the kept counters (a corrupt file: zero, with a warning), at `nowUsec`.
    void load(uint64_t nowUsec);

    void callStarted(uint64_t nowUsec);
    void callUp(uint64_t nowUsec);
    // A call ended with `reasonCode` after carrying these bytes (the whole call's).
    void callEnded(uint32_t reasonCode, uint64_t bytesIn, uint64_t bytesOut, uint64_t nowUsec);
    void recovered(std::string_view step, uint64_t nowUsec);  // "probe", "escape", "reboot", "usb-reset", "failed"
    void watchdogFailed(uint64_t nowUsec);

    // A new period may have begun: its counts start from zero. The running call's bytes so far
    // (`liveIn`, `liveOut`, when known) stay with the old period. True when it rolled over.
    bool rollOver(uint64_t nowUsec, uint64_t liveIn = 0, uint64_t liveOut = 0);

    const ModemCounters& counters() const { return counters_; }
    const DataPlan& plan() const { return plan_; }
    DataPeriod period(uint64_t nowUsec) const { return periodContaining(plan_, clock_, nowUsec); }
    // This period's bytes, with the running call's so far (its live counters, less what went to
    // an earlier period).
    uint64_t periodBytesIn(uint64_t liveIn = 0) const;
    uint64_t periodBytesOut(uint64_t liveOut = 0) const;
    // The limit is set and this period's bytes in + out (with the running call's) have reached it.
    bool limitReached(uint64_t liveIn = 0, uint64_t liveOut = 0) const;

    // Called after every change that was saved (metrics).
    void setChanged(std::function<void()> changed) { changed_ = std::move(changed); }

private:
    void changed();
    uint64_t liveInPeriod(uint64_t live, uint64_t baseline) const { return live > baseline ? live - baseline : 0; }

    std::string modemId_;
    DataPlan plan_;
    LocalClock clock_;
    CountersStore* store_;
    ModemCounters counters_;
    // The running call's bytes that went to the period before a rollover during it.
    uint64_t baselineIn_ = 0;
    uint64_t baselineOut_ = 0;
    std::function<void()> changed_;
};

}  // namespace dialupd
