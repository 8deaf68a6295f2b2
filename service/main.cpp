// SPDX-License-Identifier: GPL-2.0-or-later
// dialupd: owns cellular PPP data calls and puts them on the system bus.
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include "core/config.h"
#include "core/sanitizing_sink.h"
#include "daemon.h"
#include "sys/configured_files.h"
#include "sys/dm_mask_file.h"
#include "sys/journal_sink.h"

namespace {

void setUpLogging(const std::string& level) {
    // Log lines quote modems, pppd, udev and callers: the journal gets them sanitized (text.h).
    // Under systemd (stderr is the journal's stream) each line goes over the journal's native
    // socket instead, with its priority and structured fields (sys/journal_sink.h).
    std::shared_ptr<spdlog::sinks::sink> output;
    if (dialupd::stderrIsJournal())
        output = std::make_shared<dialupd::JournalSink>();
    else
        output = std::make_shared<spdlog::sinks::stderr_sink_st>();
    auto logger = std::make_shared<spdlog::logger>("dialupd", std::make_shared<dialupd::SanitizingSink>(output));
    // journald stamps lines itself; a terminal wants the time.
    logger->set_pattern(std::getenv("JOURNAL_STREAM") ? "%l: %v" : "%Y-%m-%d %H:%M:%S.%e %l: %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
}

// A refusal to start, written to stderr as "dialupd: ..." (before, or instead of, the log).
// Under systemd stderr is the journal's stream, which stores a line at the stream's priority
// (info) unless the line starts with a syslog level prefix (SyslogLevelPrefix=, on by default):
// "<3>" stores it at err, so `journalctl -p err` finds why the service did not start.
std::ostream& refusal() {
    if (dialupd::stderrIsJournal()) std::cerr << SD_ERR;
    return std::cerr << "dialupd: ";
}

void warnIfSecretsExposed(const std::string& path, const dialupd::Config& config) {
    struct stat info {};
    if (config.hasPassword && ::stat(path.c_str(), &info) == 0 && (info.st_mode & 0044))
        spdlog::warn("{} holds a password but other users can read it: chmod 600 {}", path, path);
    for (const std::string& warning : config.warnings) spdlog::warn("{}", warning);
}

// One line per model: "2c7c:0125 EC25 ppp-interface=3 at-interface=2".
void printUsbModels(const dialupd::Config& config) {
    dialupd::UsbModelTable table(config.usbModels);
    for (const dialupd::UsbModel& model : table.models()) {
        std::cout << dialupd::formatUsbId(model.vendorId) << ':' << dialupd::formatUsbId(model.productId) << ' '
                  << model.name << " ppp-interface=" << int(model.pppInterface);
        if (model.atInterface) std::cout << " at-interface=" << int(*model.atInterface);
        if (model.dmInterface) std::cout << " dm-interface=" << int(*model.dmInterface);
        std::cout << '\n';
    }
}

// The three files dialupd runs or hands to pppd, and where each path came from: the message
// that refuses one names the key, the path and its origin.
struct ConfiguredFile {
    const char* key;
    std::string path;
    bool executable;
    std::string origin;
    std::string hint;  // what to do about it when the path is a default
};

// The plugin's default: DIALUPD_PLUGIN when set (`meson devenv` sets it to the build tree's
// plugin, so a daemon run from the build tree finds the one built with it), else the path the
// build installs it to.
std::string defaultPlugin(std::string& origin) {
    const char* fromEnvironment = std::getenv("DIALUPD_PLUGIN");
    if (fromEnvironment && *fromEnvironment) {
        origin = "from DIALUPD_PLUGIN";
        return fromEnvironment;
    }
    origin = "the built-in default";
    return DIALUPD_DEFAULT_PLUGIN;
}

// Fills in the keys the file left unset (empty) and returns them with their origins.
std::vector<ConfiguredFile> configuredFiles(dialupd::DaemonSettings& daemon, const std::string& configPath,
                                            bool fromFile) {
    const std::string setIn = "set in " + configPath;
    const std::string unset = fromFile ? ", not set in " + configPath : ", no config file";
    std::vector<ConfiguredFile> files;
    auto add = [&](const char* key, std::string& path, bool executable, const std::string& fallback,
                   const std::string& fallbackOrigin, const std::string& hint) {
        if (!path.empty()) {
            files.push_back({key, path, executable, setIn, ""});
            return;
        }
        path = fallback;
        files.push_back({key, path, executable, fallbackOrigin + unset, hint});
    };
    std::string pluginOrigin;
    std::string plugin = defaultPlugin(pluginOrigin);
    add("plugin", daemon.pluginPath, false, plugin, pluginOrigin,
        "install dialupd's pppd plugin (meson install), or set plugin = in [daemon]; run from the build tree, "
        "the daemon finds its plugin under `meson devenv -C BUILDDIR`");
    const dialupd::DaemonSettings builtIn;
    add("pppd", daemon.pppdPath, true, builtIn.pppdPath, "the built-in default",
        "install Debian's ppp package, or set pppd = in [daemon]");
    add("chat", daemon.chatPath, true, builtIn.chatPath, "the built-in default",
        "install Debian's ppp package, or set chat = in [daemon]");
    return files;
}

// Every configured file that cannot be used, one line each; true when all can.
bool configuredFilesUsable(const std::vector<ConfiguredFile>& files) {
    bool usable = true;
    for (const ConfiguredFile& file : files) {
        std::string problem = dialupd::configuredFileProblem(file.path, file.executable);
        if (problem.empty() && !file.path.starts_with('/')) problem = "not an absolute path";
        if (problem.empty()) continue;
        std::string message = std::string(file.key) + " = " + file.path + " (" + file.origin + "): " + problem;
        if (!file.hint.empty()) message += "; " + file.hint;
        refusal() << dialupd::sanitizeText(message) << "\n";
        usable = false;
    }
    return usable;
}

// Each power-cycle-command the config names (escalation.h): dialupd runs it itself, so, like
// pppd, one that cannot run is refused now rather than on the day a module needs it.
bool powerCycleCommandsUsable(const dialupd::Config& config, const std::string& configPath) {
    std::vector<std::pair<std::string, std::string>> commands;  // section, path
    if (!config.defaults.escalation.powerCycleCommand.empty())
        commands.emplace_back("[defaults]", config.defaults.escalation.powerCycleCommand);
    for (const dialupd::ModemConfig& modem : config.modems)
        if (!modem.call.escalation.powerCycleCommand.empty() &&
            modem.call.escalation.powerCycleCommand != config.defaults.escalation.powerCycleCommand)
            commands.emplace_back("[modem " + modem.id + "]", modem.call.escalation.powerCycleCommand);
    bool usable = true;
    for (const auto& [section, path] : commands) {
        std::string problem = dialupd::configuredFileProblem(path, true);
        if (problem.empty()) continue;
        refusal() << dialupd::sanitizeText("power-cycle-command = " + path + " (" + section + " of " + configPath +
                                           "): " + problem)
                  << "\n";
        usable = false;
    }
    return usable;
}

// Each modem's dm-mask-file, read and checked now: the frames go into its config. A file that
// cannot be used is refused at start, naming the file and its section.
bool dmMaskFilesUsable(dialupd::Config& config, const std::string& configPath) {
    bool usable = true;
    for (dialupd::ModemConfig& modem : config.modems) {
        if (modem.dmMaskFile.empty()) continue;
        std::string problem = dialupd::readDmMaskFile(modem.dmMaskFile, modem.dmMaskCommands);
        if (problem.empty()) continue;
        std::cerr << "dialupd: "
                  << dialupd::sanitizeText("dm-mask-file = " + modem.dmMaskFile + " ([modem " + modem.id + "] of " +
                                           configPath + "): " + problem)
                  << "\n";
        usable = false;
    }
    return usable;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"dialupd: cellular PPP data calls on the D-Bus system bus"};
    std::string configPath = DIALUPD_DEFAULT_CONFIG;
    std::string logLevel = "info";
    app.add_option("-c,--config", configPath, "configuration file (default " DIALUPD_DEFAULT_CONFIG ")");
    app.add_option("--log-level", logLevel, "trace, debug, info, warn or error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
    bool listUsbModels = false;
    app.add_flag("--list-usb-models", listUsbModels,
                 "print the USB modems taken on their own (built-in table plus the config's [usb-model] sections) "
                 "and exit");
    app.set_version_flag("--version", "dialupd " DIALUPD_VERSION);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // --help and --version end here too (status 0); a bad command line is status 2, as
        // dialupd(8) says, not CLI11's own numbers.
        return app.exit(error) == 0 ? 0 : 2;
    }
    setUpLogging(logLevel);

    // Read with these three empty: whatever stays empty was not set in the file and gets its
    // default below, with the default's origin for the message that may refuse it.
    dialupd::Config unset;
    unset.daemon.pppdPath.clear();
    unset.daemon.chatPath.clear();
    unset.daemon.pluginPath.clear();
    dialupd::Config config;
    bool fromFile = true;
    try {
        bool explicitPath = app.count("--config") > 0;
        struct stat info {};
        if (!explicitPath && ::stat(configPath.c_str(), &info) < 0 && errno == ENOENT) {
            spdlog::info("dialupd {}: no config file at {}: built-in defaults", DIALUPD_VERSION, configPath);
            config = unset;
            fromFile = false;
        } else {
            config = dialupd::loadConfigFile(configPath, unset);
            spdlog::info("dialupd {}: configuration read from {}", DIALUPD_VERSION, configPath);
            warnIfSecretsExposed(configPath, config);
        }
    } catch (const dialupd::ConfigError& error) {
        refusal() << dialupd::sanitizeText(error.what()) << "\n";
        return 1;
    }
    std::vector<ConfiguredFile> files = configuredFiles(config.daemon, configPath, fromFile);

    if (listUsbModels) {
        printUsbModels(config);
        return 0;
    }
    // Now, not at the first Connect: pppd would only say `option-error`.
    if (!configuredFilesUsable(files) || !powerCycleCommandsUsable(config, configPath) ||
        !dmMaskFilesUsable(config, configPath))
        return 1;

    try {
        dialupd::Daemon daemon(std::move(config));
        return daemon.run();
    } catch (const std::exception& error) {
        spdlog::critical("{}", error.what());
        return 1;
    }
}
