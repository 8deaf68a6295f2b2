// dialupd: owns cellular PPP data calls and puts them on the system bus.
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/config.h"
#include "core/sanitizing_sink.h"
#include "daemon.h"

namespace {

void setUpLogging(const std::string& level) {
    // Log lines quote modems, pppd, udev and callers: the journal gets them sanitized (text.h).
    auto stderrSink = std::make_shared<spdlog::sinks::stderr_sink_st>();
    auto logger = std::make_shared<spdlog::logger>("dialupd", std::make_shared<dialupd::SanitizingSink>(stderrSink));
    // journald stamps lines itself; a terminal wants the time.
    logger->set_pattern(std::getenv("JOURNAL_STREAM") ? "%l: %v" : "%Y-%m-%d %H:%M:%S.%e %l: %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
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
        std::cout << '\n';
    }
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
    CLI11_PARSE(app, argc, argv);
    setUpLogging(logLevel);

    dialupd::Config builtIn;
    builtIn.daemon.pluginPath = DIALUPD_DEFAULT_PLUGIN;
    dialupd::Config config;
    try {
        bool explicitPath = app.count("--config") > 0;
        struct stat info {};
        if (!explicitPath && ::stat(configPath.c_str(), &info) < 0 && errno == ENOENT) {
            spdlog::info("no {}: using built-in defaults", configPath);
            config = builtIn;
        } else {
            config = dialupd::loadConfigFile(configPath, builtIn);
            warnIfSecretsExposed(configPath, config);
        }
    } catch (const dialupd::ConfigError& error) {
        std::cerr << "dialupd: " << dialupd::sanitizeText(error.what()) << "\n";
        return 1;
    }

    if (listUsbModels) {
        printUsbModels(config);
        return 0;
    }

    try {
        dialupd::Daemon daemon(std::move(config));
        return daemon.run();
    } catch (const std::exception& error) {
        spdlog::critical("{}", error.what());
        return 1;
    }
}
