// SPDX-License-Identifier: GPL-2.0-or-later
// What a module's lines say of its SIM, registration and IMSI: real EC25 lines, other modules'
// variants, garbage and fields out of range, each in a table.
#include "core/at_replies.h"

#include <gtest/gtest.h>

namespace dialupd {
namespace {

TEST(ParseCpin, ReadsEverySimState) {
    struct Case {
        const char* line;
        std::optional<SimState> state;
    };
    const Case cases[] = {
        // EC25, as it answers AT+CPIN?
        {"+CPIN: READY", SimState::Ready},
        {"+CPIN: SIM PIN", SimState::PinRequired},
        {"+CPIN: SIM PUK", SimState::PukRequired},
        {"+CME ERROR: 10", SimState::Missing},  // no SIM in the slot: the answer is an error
        // AT+CMEE=2, the verbose form.
        {"+CME ERROR: SIM not inserted", SimState::Missing},
        {"+CME ERROR: 11", SimState::PinRequired},
        {"+CME ERROR: 12", SimState::PukRequired},
        {"+CME ERROR: 13", SimState::Error},
        {"+CME ERROR: SIM failure", SimState::Error},
        {"+CPIN: SIM PIN2", SimState::Ready},
        {"+CPIN: PH-NET PIN", SimState::Error},
        {"+CPIN: NOT INSERTED", SimState::Missing},
        {"  +CPIN: READY \r", SimState::Ready},
        {"+CPIN:READY", SimState::Ready},
        // Not of the kind, or garbage.
        {"+CME ERROR: 3", std::nullopt},  // operation not allowed: says nothing of the SIM
        {"+CME ERROR: 100", std::nullopt},
        {"+CME ERROR: 10x", std::nullopt},
        {"+CME ERROR:", std::nullopt},
        {"+CPIN: ready", std::nullopt},
        {"+CPIN: READYY", std::nullopt},
        {"+CPIN: ", std::nullopt},
        {"+CPIN", std::nullopt},
        {"CPIN: READY", std::nullopt},
        {"OK", std::nullopt},
        {"ERROR", std::nullopt},
        {"+CSQ: 24,99", std::nullopt},
        {"", std::nullopt},
        {"\\xff\\x1b[2J", std::nullopt},
    };
    for (const Case& c : cases) EXPECT_EQ(parseCpin(c.line), c.state) << c.line;
}

TEST(ParseCpin, NamesEachState) {
    EXPECT_EQ(toString(SimState::Ready), "ready");
    EXPECT_EQ(toString(SimState::PinRequired), "pin-required");
    EXPECT_EQ(toString(SimState::PukRequired), "puk-required");
    EXPECT_EQ(toString(SimState::Missing), "missing");
    EXPECT_EQ(toString(SimState::Error), "error");
    EXPECT_EQ(toString(SimState::Unknown), "unknown");
}

TEST(ParseQpinc, ReadsTheSimsRetries) {
    struct Case {
        const char* line;
        std::optional<std::pair<unsigned, unsigned>> retries;
    };
    const Case cases[] = {
        {"+QPINC: \"SC\",3,10", std::pair{3u, 10u}},  // EC25, a fresh SIM
        {"+QPINC: \"SC\",1,10", std::pair{1u, 10u}},
        {"+QPINC: \"SC\",0,9", std::pair{0u, 9u}},
        {"+QPINC: \"SC\", 2 , 10", std::pair{2u, 10u}},
        {"+QPINC:\"SC\",3,10", std::pair{3u, 10u}},
        {"+QPINC: \"SC\",15,15", std::pair{15u, 15u}},
        // PIN2's counters, not the SIM PIN's.
        {"+QPINC: \"P2\",3,10", std::nullopt},
        // Out of range or malformed.
        {"+QPINC: \"SC\",16,10", std::nullopt},
        {"+QPINC: \"SC\",3,99999", std::nullopt},
        {"+QPINC: \"SC\",3,4294967299", std::nullopt},
        {"+QPINC: \"SC\",-1,10", std::nullopt},
        {"+QPINC: \"SC\",3", std::nullopt},
        {"+QPINC: \"SC\",3,10,1", std::nullopt},
        {"+QPINC: \"SC\",,10", std::nullopt},
        {"+QPINC: \"SC,3,10", std::nullopt},
        {"+QPINC: SC,3,10", std::nullopt},
        {"+CPIN: READY", std::nullopt},
        {"", std::nullopt},
    };
    for (const Case& c : cases) {
        std::optional<PinRetries> got = parseQpinc(c.line);
        ASSERT_EQ(got.has_value(), c.retries.has_value()) << c.line;
        if (got) {
            EXPECT_EQ(got->pin, c.retries->first) << c.line;
            EXPECT_EQ(got->puk, c.retries->second) << c.line;
        }
    }
}

struct RegistrationCase {
    const char* line;
    bool solicited;
    std::optional<RegistrationReport> report;
};

RegistrationReport report(RegistrationDomain domain, Registration state, std::string lac = "", std::string cellId = "",
                          std::optional<unsigned> act = std::nullopt) {
    return {domain, state, std::move(lac), std::move(cellId), act};
}

TEST(ParseRegistration, ReadsAnswersAndUnsolicitedCodesOfEachDomain) {
    using enum Registration;
    constexpr auto eps = RegistrationDomain::Eps;
    constexpr auto ps = RegistrationDomain::Ps;
    constexpr auto cs = RegistrationDomain::Cs;
    const RegistrationCase cases[] = {
        // EC25 answers to the read commands (<n> first).
        {"+CEREG: 0,1", true, report(eps, Home)},
        {"+CEREG: 2,1,\"1A2B\",\"01A2D001\",7", true, report(eps, Home, "1A2B", "01A2D001", 7)},
        {"+CEREG: 2,5,\"1A2B\",\"01A2D001\",7", true, report(eps, Roaming, "1A2B", "01A2D001", 7)},
        {"+CEREG: 2,2", true, report(eps, Searching)},
        {"+CEREG: 2,3", true, report(eps, Denied)},
        {"+CEREG: 2,0", true, report(eps, Idle)},
        {"+CEREG: 2,4", true, report(eps, Unknown)},
        {"+CGREG: 2,1,\"1A2B\",\"01A2D001\",7", true, report(ps, Home, "1A2B", "01A2D001", 7)},
        {"+CGREG: 0,5", true, report(ps, Roaming)},
        {"+CREG: 2,1,\"1A2B\",\"01A2D001\",7", true, report(cs, Home, "1A2B", "01A2D001", 7)},
        {"+CREG: 0,2", true, report(cs, Searching)},
        {"+CREG: 2,1,\"00C3\",\"0000A1B2\",2", true, report(cs, Home, "00C3", "0000A1B2", 2)},
        // +CGREG=2 adds <rac> after <AcT>; +CEREG=4 adds more: taken without them.
        {"+CGREG: 2,1,\"1A2B\",\"01A2D001\",7,\"01\"", true, report(ps, Home, "1A2B", "01A2D001", 7)},
        {"+CEREG: 4,3,\"1A2B\",\"01A2D001\",7,0,15", true, report(eps, Denied, "1A2B", "01A2D001", 7)},
        // The unsolicited codes (no <n>).
        {"+CEREG: 1,\"1A2B\",\"01A2D001\",7", false, report(eps, Home, "1A2B", "01A2D001", 7)},
        {"+CEREG: 5,\"1A2B\",\"01A2D001\",7", false, report(eps, Roaming, "1A2B", "01A2D001", 7)},
        {"+CEREG: 2", false, report(eps, Searching)},
        {"+CEREG: 3", false, report(eps, Denied)},
        {"+CEREG: 0", false, report(eps, Idle)},
        {"+CGREG: 1,\"1A2B\",\"01A2D001\",7", false, report(ps, Home, "1A2B", "01A2D001", 7)},
        {"+CREG: 1", false, report(cs, Home)},
        {"+CREG: 1,\"1A2B\",\"01A2D001\"", false, report(cs, Home, "1A2B", "01A2D001")},
        {"+CEREG: 1,,,7", false, report(eps, Home, "", "", 7)},  // 27.007 lets the location be empty
        {"+CEREG: 1,1A2B,01A2D001,7", false, report(eps, Home, "1A2B", "01A2D001", 7)},  // unquoted
        // The same short line reads differently as an answer and as a code.
        {"+CEREG: 2,5", true, report(eps, Roaming)},
        {"+CEREG: 2,5", false, std::nullopt},  // "2" would be <stat>, "5" a <lac> without its <ci>
        {"+CEREG: 1", true, std::nullopt},     // an answer without <stat>
        // SMS-only and CSFB-not-preferred count as registered, emergency-only as searching.
        {"+CEREG: 6", false, report(eps, Home)},
        {"+CEREG: 7", false, report(eps, Roaming)},
        {"+CEREG: 9", false, report(eps, Home)},
        {"+CEREG: 10", false, report(eps, Roaming)},
        {"+CEREG: 8", false, report(eps, Searching)},
        // Out of range and garbage.
        {"+CEREG: 11", false, std::nullopt},
        {"+CEREG: 6,1", true, std::nullopt},  // <n> above 5
        {"+CEREG: 2,11", true, std::nullopt},
        {"+CEREG: 1,\"1A2B\",\"01A2D001\",14", false, std::nullopt},
        {"+CEREG: 1,\"1A2G\",\"01A2D001\",7", false, std::nullopt},
        {"+CEREG: 1,\"1A2B3C4D\",\"01A2D001\",7", false, std::nullopt},
        {"+CEREG: 1,\"1A2B\",\"01A2D001FF\",7", false, std::nullopt},
        {"+CEREG: 1,\"1A2B,\"01A2D001\",7", false, std::nullopt},  // unclosed quote
        {"+CEREG: -1", false, std::nullopt},
        {"+CEREG: x", false, std::nullopt},
        {"+CEREG:", false, std::nullopt},
        {"+CEREG: ", true, std::nullopt},
        {"+CEREG: 1,\"1A2B\",\"01A2D001\",x", false, std::nullopt},
        {"+CGATT: 1", false, std::nullopt},
        {"+COPS: 0,0,\"Simulated Operator\",7", true, std::nullopt},
        {"OK", true, std::nullopt},
        {"", false, std::nullopt},
    };
    for (const RegistrationCase& c : cases) {
        SCOPED_TRACE(std::string(c.line) + (c.solicited ? " (answer)" : " (unsolicited)"));
        std::optional<RegistrationReport> got = parseRegistration(c.line, c.solicited);
        ASSERT_EQ(got.has_value(), c.report.has_value());
        if (!got) continue;
        EXPECT_EQ(got->domain, c.report->domain);
        EXPECT_EQ(got->state, c.report->state);
        EXPECT_EQ(got->lac, c.report->lac);
        EXPECT_EQ(got->cellId, c.report->cellId);
        EXPECT_EQ(got->act, c.report->act);
    }
}

TEST(ParseRegistration, NamesEachState) {
    EXPECT_EQ(toString(Registration::Home), "home");
    EXPECT_EQ(toString(Registration::Roaming), "roaming");
    EXPECT_EQ(toString(Registration::Searching), "searching");
    EXPECT_EQ(toString(Registration::Denied), "denied");
    EXPECT_EQ(toString(Registration::Idle), "idle");
    EXPECT_EQ(toString(Registration::Unknown), "unknown");
}

TEST(ParseImsi, TakesDigitsOnly) {
    EXPECT_EQ(parseImsi("262011234567890"), "262011234567890");
    EXPECT_EQ(parseImsi("310260123456789"), "310260123456789");
    EXPECT_EQ(parseImsi(" 262011234567890\r"), "262011234567890");
    EXPECT_EQ(parseImsi("262011"), "262011");
    for (const char* line : {"26201", "2620112345678901", "26201123456789a", "+CIMI: 262011234567890", "OK", "ERROR",
                             "", "262 011234567890", "-62011234567890"})
        EXPECT_EQ(parseImsi(line), std::nullopt) << line;
}

}  // namespace
}  // namespace dialupd
