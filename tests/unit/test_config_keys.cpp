// SPDX-License-Identifier: GPL-2.0-or-later
// The config keys are written down three times for people: the parser's tables (config.cpp),
// docs/CONFIG.md and service/dialupd.conf.example. Each key of the tables must be documented
// and shown in the example, and neither may name a key the parser refuses. The man page
// dialupd.conf(5), rendered from CONFIG.md at build time (tools/config-man), must name each.
#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/config.h"

namespace dialupd {
namespace {

const char* const kSections[] = {"daemon", "defaults", "modem", "usb-model"};

std::string readFile(const std::string& path) {
    std::ifstream file(path);
    EXPECT_TRUE(file) << path;
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

std::string readSourceFile(const std::string& relative) {
    return readFile(std::string(DIALUPD_SOURCE_ROOT) + "/" + relative);
}

std::set<std::string> keysOf(std::string_view section) {
    std::vector<std::string> keys = configKeys(section);
    return {keys.begin(), keys.end()};
}

// Section name -> the keys of its table in CONFIG.md: rows "| `key` | ..." under a heading
// "## `[name ...]`".
std::map<std::string, std::set<std::string>> documentedKeys() {
    std::map<std::string, std::set<std::string>> keys;
    std::istringstream text(readSourceFile("docs/CONFIG.md"));
    static const std::regex heading(R"(^## `\[([a-z-]+)[^`]*\]`.*)");
    static const std::regex row(R"(^\| `([a-z][a-z0-9-]*)` \|.*)");
    std::string line, section;
    std::smatch match;
    while (std::getline(text, line)) {
        if (std::regex_match(line, match, heading))
            section = match[1];
        else if (line.starts_with("## "))
            section.clear();
        else if (!section.empty() && std::regex_match(line, match, row))
            keys[section].insert(match[1]);
    }
    return keys;
}

// Section name -> the keys dialupd.conf(5) describes: ".B key" after a ".TP" under a subsection
// ".SS \fB[name ...]\fR" of SECTIONS AND KEYS.
std::map<std::string, std::set<std::string>> manPageKeys() {
    std::map<std::string, std::set<std::string>> keys;
    std::istringstream text(readFile(std::string(DIALUPD_BUILD_ROOT) + "/man/dialupd.conf.5"));
    static const std::regex subsection(R"(^\.SS \\fB\[([a-z\\-]+)[^\]]*\].*)");  // "usb\-model"
    static const std::regex item(R"(^\.B ([a-z][a-z0-9-]*)$)");
    std::string line, previous, section;
    std::smatch match;
    while (std::getline(text, line)) {
        if (std::regex_match(line, match, subsection)) {
            section = match[1];
            std::erase(section, '\\');
        } else if (line.starts_with(".SH")) {
            section.clear();
        } else if (!section.empty() && previous == ".TP" && std::regex_match(line, match, item)) {
            keys[section].insert(match[1]);
        }
        previous = line;
    }
    return keys;
}

// Section name -> the keys set in dialupd.conf.example, commented out ("#key = value") or not,
// under "[name ...]" or "#[name ...]".
std::map<std::string, std::set<std::string>> exampleKeys() {
    std::map<std::string, std::set<std::string>> keys;
    std::istringstream text(readSourceFile("service/dialupd.conf.example"));
    static const std::regex header(R"(^#?\[([a-z-]+)[^\]]*\]\s*$)");
    static const std::regex setting(R"(^#?([a-z][a-z0-9-]*) *=.*)");
    std::string line, section;
    std::smatch match;
    while (std::getline(text, line)) {
        if (std::regex_match(line, match, header))
            section = match[1];
        else if (std::regex_match(line, match, setting))
            keys[section].insert(match[1]);
    }
    return keys;
}

TEST(ConfigKeys, EverySectionHasItsTable) {
    for (const char* section : kSections) EXPECT_FALSE(configKeys(section).empty()) << section;
    EXPECT_TRUE(configKeys("nonsense").empty());
}

TEST(ConfigKeys, TheDocsNameEveryKeyAndNoOther) {
    auto documented = documentedKeys();
    // [modem ID]'s table lists its own keys and says "any [defaults] key" for the rest.
    std::set<std::string> modemOwn = keysOf("modem");
    for (const std::string& key : configKeys("defaults")) modemOwn.erase(key);
    std::map<std::string, std::set<std::string>> expected = {{"daemon", keysOf("daemon")},
                                                             {"defaults", keysOf("defaults")},
                                                             {"modem", modemOwn},
                                                             {"usb-model", keysOf("usb-model")}};
    for (const auto& [section, keys] : expected) {
        for (const std::string& key : keys)
            EXPECT_TRUE(documented[section].count(key)) << "[" << section << "] " << key << " is not in docs/CONFIG.md";
        for (const std::string& key : documented[section])
            EXPECT_TRUE(keys.count(key)) << "docs/CONFIG.md documents [" << section << "] " << key
                                         << ", which the parser does not take";
    }
    for (const auto& [section, keys] : documented)
        EXPECT_TRUE(expected.count(section)) << "docs/CONFIG.md documents a section [" << section << "]";
}

TEST(ConfigKeys, TheManPageNamesEveryKey) {
    auto described = manPageKeys();
    std::set<std::string> modemOwn = keysOf("modem");
    for (const std::string& key : configKeys("defaults")) modemOwn.erase(key);
    std::map<std::string, std::set<std::string>> expected = {{"daemon", keysOf("daemon")},
                                                             {"defaults", keysOf("defaults")},
                                                             {"modem", modemOwn},
                                                             {"usb-model", keysOf("usb-model")}};
    for (const auto& [section, keys] : expected)
        for (const std::string& key : keys)
            EXPECT_TRUE(described[section].count(key)) << "[" << section << "] " << key << " is not in dialupd.conf.5";
}

TEST(ConfigKeys, TheExampleShowsEveryKeyAndNoOther) {
    auto example = exampleKeys();
    for (const char* section : kSections) {
        std::set<std::string> accepted = keysOf(section);
        for (const std::string& key : example[section])
            EXPECT_TRUE(accepted.count(key))
                << "dialupd.conf.example sets [" << section << "] " << key << ", which the parser does not take";
    }
    // A call key may be shown in [defaults] or in a [modem] (baud, on a UART module, say).
    auto shown = [&](const std::string& key, std::initializer_list<const char*> sections) {
        for (const char* section : sections)
            if (example[section].count(key)) return true;
        return false;
    };
    const char* missing = " is not shown in dialupd.conf.example";
    for (const std::string& key : configKeys("daemon")) EXPECT_TRUE(shown(key, {"daemon"})) << key << missing;
    for (const std::string& key : configKeys("defaults"))
        EXPECT_TRUE(shown(key, {"defaults", "modem"})) << key << missing;
    for (const std::string& key : configKeys("modem")) EXPECT_TRUE(shown(key, {"modem", "defaults"})) << key << missing;
    for (const std::string& key : configKeys("usb-model")) EXPECT_TRUE(shown(key, {"usb-model"})) << key << missing;
    for (const auto& [section, keys] : example)
        EXPECT_TRUE(std::find(std::begin(kSections), std::end(kSections), section) != std::end(kSections))
            << "dialupd.conf.example has keys in a section [" << section << "]";
}

}  // namespace
}  // namespace dialupd
