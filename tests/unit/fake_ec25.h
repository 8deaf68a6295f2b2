// SPDX-License-Identifier: GPL-2.0-or-later
// An EC25 behind its AT port with a SIM and a network, and a provider database as a table: what
// the readiness checks talk to (test_readiness.cpp, and the Modem's own in test_modem_readiness.cpp).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "core/at_channel.h"
#include "core/provider_db.h"
#include "core/scheduler.h"

namespace dialupd::testing {

// An EC25 behind its AT port, with a SIM and a network: answers `delay` after each command.
class FakeEc25 final : public AtPortOpener {
public:
    enum class Sim { Ready, Pin, Puk, Missing };

    explicit FakeEc25(Scheduler& scheduler) : scheduler_(scheduler) {}

    class Channel final : public AtChannel {
    public:
        Channel(FakeEc25& module, AtChannelObserver& observer) : module_(module), observer_(observer) {
            module_.channel = this;
        }
        ~Channel() override {
            if (module_.channel == this) module_.channel = nullptr;
        }
        void send(std::string_view command) override { answer(std::string(command), false); }
        void sendRaw(std::string_view bytes) override { answer(std::string(bytes), false); }
        void sendSecret(std::string_view command) override { answer(std::string(command), true); }
        // A line the module says by itself.
        void say(const std::string& line) { observer_.atLine(line); }

    private:
        void answer(std::string command, bool secret) {
            module_.sent.push_back(command);
            if (secret) ++module_.secretSends;
            if (module_.silent) return;
            std::vector<std::string> lines;
            if (module_.echo) lines.push_back(command);
            if (auto before = module_.urcsInAnswer.find(command); before != module_.urcsInAnswer.end())
                lines.insert(lines.end(), before->second.begin(), before->second.end());
            std::vector<std::string> answer = module_.execute(command);
            lines.insert(lines.end(), answer.begin(), answer.end());
            if (module_.answersOutliveThePort) {
                // As on a real tty: what the module says later reaches whoever has the port then.
                FakeEc25& module = module_;
                module_.late.push_back(module_.scheduler_.after(module_.delay, [&module, lines] {
                    if (module.channel)
                        for (const std::string& line : lines) module.channel->say(line);
                }));
                return;
            }
            pending_.push_back(module_.scheduler_.after(module_.delay, [this, lines] {
                for (const std::string& line : lines) observer_.atLine(line);
            }));
        }
        FakeEc25& module_;
        AtChannelObserver& observer_;
        std::vector<std::unique_ptr<TimerHandle>> pending_;
    };

    std::unique_ptr<AtChannel> open(const std::string& path, AtChannelObserver& observer) override {
        opened.push_back(path);
        if (openError) throw *openError;
        return std::make_unique<Channel>(*this, observer);
    }

    std::vector<std::string> execute(const std::string& command) {
        if (auto fixed = answers.find(command); fixed != answers.end()) return fixed->second;
        if (command == "AT+CPIN?") {
            switch (sim) {
                case Sim::Ready:
                    return {"+CPIN: READY", "OK"};
                case Sim::Pin:
                    return {"+CPIN: SIM PIN", "OK"};
                case Sim::Puk:
                    return {"+CPIN: SIM PUK", "OK"};
                case Sim::Missing:
                    return {"+CME ERROR: 10"};
            }
        }
        if (sim == Sim::Missing) return {"+CME ERROR: 10"};
        if (command == "AT+QPINC=\"SC\"") return {fmt::format("+QPINC: \"SC\",{},10", pinRetries), "OK"};
        if (command.starts_with("AT+CPIN=\"")) {
            if (sim != Sim::Pin) return {"+CME ERROR: 3"};
            if (command == "AT+CPIN=\"" + correctPin + "\"") {
                sim = Sim::Ready;
                pinRetries = 3;
                return {"OK"};
            }
            if (--pinRetries == 0) sim = Sim::Puk;
            return {"+CME ERROR: 16"};
        }
        if (sim != Sim::Ready) return {"+CME ERROR: 11"};
        if (command == "AT+CEREG=2" || command == "AT+CGREG=2" || command == "AT+CREG=2") return {"OK"};
        if (command == "AT+CIMI") return {imsi, "OK"};
        if (command == "AT+CSQ") return {"+CSQ: 12,99", "OK"};
        for (auto [read, prefix, stat] :
             {std::tuple{"AT+CEREG?", "+CEREG", &eps}, std::tuple{"AT+CGREG?", "+CGREG", &ps},
              std::tuple{"AT+CREG?", "+CREG", &cs}}) {
            if (command != read) continue;
            if (*stat == 1 || *stat == 5) return {fmt::format("{}: 2,{},\"1A2B\",\"01A2D001\",7", prefix, *stat), "OK"};
            return {fmt::format("{}: 2,{}", prefix, *stat), "OK"};
        }
        return {"ERROR"};
    }

    // The network changes the EPS registration: the module says so by URC (as +CEREG=2 asks).
    void epsBecomes(int stat) {
        eps = stat;
        if (!channel) return;
        channel->say(stat == 1 || stat == 5 ? fmt::format("+CEREG: {},\"1A2B\",\"01A2D001\",7", stat)
                                            : fmt::format("+CEREG: {}", stat));
    }

    Sim sim = Sim::Ready;
    std::string correctPin = "1234";
    unsigned pinRetries = 3;
    int eps = 1, ps = 1, cs = 1;  // 27.007 <stat>
    std::string imsi = "262011234567890";
    bool silent = false;
    bool echo = false;
    std::chrono::milliseconds delay{20};
    std::map<std::string, std::vector<std::string>> answers;       // fixed answers, before the model
    std::map<std::string, std::vector<std::string>> urcsInAnswer;  // lines before a command's answer
    std::optional<AtPortError> openError;
    std::vector<std::string> opened;
    std::vector<std::string> sent;
    int secretSends = 0;
    Channel* channel = nullptr;
    bool answersOutliveThePort = false;  // an answer due after the port closed reaches its next opener
    std::vector<std::unique_ptr<TimerHandle>> late;

private:
    Scheduler& scheduler_;
};

class TableProviders final : public ProviderDatabase {
public:
    std::optional<ProviderApn> findApn(std::string_view imsi) override {
        lookups.emplace_back(imsi);
        if (broken) throw ProviderDatabaseError("serviceproviders.xml: not well-formed XML at line 3");
        if (imsi.starts_with("26201"))
            return ProviderApn{"Telekom", "262", "01", "internet.telekom", "Default", "t-mobile", "tm"};
        return std::nullopt;
    }
    std::string source() const override { return "test-providers.xml"; }
    std::vector<std::string> lookups;
    bool broken = false;
};

}  // namespace dialupd::testing
