// SPDX-License-Identifier: GPL-2.0-or-later
// dialupctl: the command-line client of dialupd, like mmcli or nmcli. See dialupctl(1).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "core/text.h"
#include "password.h"
#include "suggest.h"

namespace {

using dialupctl::ClientError;
using dialupctl::ExitStatus;

std::optional<std::string> optionalArgument(const CLI::App* command, const std::string& value) {
    if (command->count("MODEM") == 0) return std::nullopt;
    return value;
}

// One line on stderr for people; with --json also one object on stdout for scripts.
int report(const ClientError& error, bool json, bool color) {
    dialupctl::Style style(color && ::isatty(STDERR_FILENO));
    // A message may quote the daemon, the bus or the command line: no raw control bytes out.
    const std::string message = dialupd::sanitizeText(error.what());
    const std::string name = dialupd::sanitizeText(error.name());
    std::cerr << "dialupctl: " << style.red(message);
    if (!name.empty()) std::cerr << " [" << name << "]";
    std::cerr << '\n';
    if (json)
        dialupctl::printJsonLine(
            std::cout,
            {{"error", {{"name", name}, {"message", message}, {"exit_status", static_cast<int>(error.status())}}}});
    return static_cast<int>(error.status());
}

// The command word of the command line (its first word that is no option: the global options
// take no value), when it names no command: "unknown command 'conect'; did you mean connect?".
std::optional<std::string> unknownCommand(const CLI::App& app, int argc, char** argv) {
    std::vector<std::string> names;
    for (const CLI::App* command : app.get_subcommands({})) names.push_back(command->get_name());
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        if (word.starts_with("-")) continue;
        if (std::find(names.begin(), names.end(), word) != names.end()) return std::nullopt;
        std::string message = "unknown command '" + word + "'";
        if (std::optional<std::string> meant = dialupctl::closestName(word, names))
            return message + "; did you mean " + *meant + "?";
        std::string known;
        for (const std::string& name : names) known += (known.empty() ? "" : ", ") + name;
        return message + " (commands: " + known + ")";
    }
    return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"dialupctl: control and watch the cellular PPP calls of dialupd"};
    app.name("dialupctl");
    app.footer(
        "dialupctl COMMAND --help shows a command's options; dialupctl(1) lists the JSON keys and exit "
        "statuses.");
    app.require_subcommand(1);
    app.fallthrough();  // --json and --no-color may stand after the command too
    bool json = false;
    bool noColor = false;
    app.add_flag("--json", json, "print JSON (one object; one per line for monitor)");
    app.add_flag("--no-color", noColor, "no colour, even on a terminal (NO_COLOR in the environment does the same)");
    app.set_version_flag("--version", "dialupctl " DIALUPD_VERSION);

    std::string modem;
    const char* modemHelp = "modem id (or object path); may be left out when there is exactly one";

    CLI::App* list = app.add_subcommand("list", "list the modems, their state, model, device and address");
    bool idsOnly = false;
    list->add_flag("-q,--quiet", idsOnly, "print only the modem ids, one a line");

    CLI::App* status = app.add_subcommand("status", "show everything dialupd knows of one modem");
    status->add_option("MODEM", modem, modemHelp);

    CLI::App* connect = app.add_subcommand("connect", "start a data call");
    connect->add_option("MODEM", modem, modemHelp);
    std::string apn, user, passwordFile, password;
    connect->add_option("--apn", apn, "access point name for this call (default: the configured one)");
    connect->add_option("--user", user, "PAP/CHAP user name");
    auto* fileOption = connect->add_option("--password-file", passwordFile,
                                           "read the password from the first line of FILE ('-': standard input)");
    bool askPassword = false;
    connect->add_flag("--ask-password", askPassword, "ask for the password on the terminal")->excludes(fileOption);
    // Refused with a reason rather than unknown: a password on the command line is in /proc.
    connect->add_option("--password", password)->group("");
    std::string pinFile, pin;
    auto* pinFileOption = connect->add_option("--pin-file", pinFile,
                                              "read the SIM's PIN from the first line of FILE ('-': standard input)");
    bool askPin = false;
    connect->add_flag("--ask-pin", askPin, "ask for the SIM's PIN on the terminal")->excludes(pinFileOption);
    connect->add_option("--pin", pin)->group("");  // refused, like --password
    bool reconnect = false;
    bool noReconnect = false;
    auto* reconnectFlag = connect->add_flag("--reconnect", reconnect,
                                            "redial, with backoff, whenever the call ends without a disconnect");
    connect->add_flag("--no-reconnect", noReconnect, "no redial, whatever the modem's configuration says")
        ->excludes(reconnectFlag);
    bool defaultRoute = false;
    bool noDefaultRoute = false;
    auto* defaultRouteFlag = connect->add_flag("--default-route", defaultRoute,
                                               "a default route via the modem, next to any other one (the default)");
    connect->add_flag("--no-default-route", noDefaultRoute, "no default route via the modem for this call")
        ->excludes(defaultRouteFlag);
    uint32_t routeMetric = 0;
    connect->add_option("--route-metric", routeMetric,
                        "metric of that default route (default: the configured one, 700)");
    std::string dns, ipFamily;
    connect->add_option("--dns", dns, "where the network's DNS servers go: auto, resolved, resolvconf or none")
        ->check(CLI::IsMember({"auto", "resolved", "resolvconf", "none"}));
    connect->add_option("--ip-family", ipFamily, "ipv4, ipv6 or ipv4v6 (both): the PDP context and pppd's protocols")
        ->check(CLI::IsMember({"ipv4", "ipv6", "ipv4v6"}));
    bool wait = false;
    connect->add_flag("--wait", wait, "return once the link is up, or fail with the reason the call ended");
    int connectTimeout = 0;
    connect
        ->add_option("--timeout", connectTimeout, "seconds to wait for the daemon (default 120 with --wait, else 25)")
        ->check(CLI::Range(1, 86400));

    CLI::App* disconnect =
        app.add_subcommand("disconnect", "end the call (or a pending redial); returns once pppd has exited");
    disconnect->add_option("MODEM", modem, modemHelp);
    int disconnectTimeout = 60;
    disconnect->add_option("--timeout", disconnectTimeout, "seconds to wait for the daemon (default 60)")
        ->check(CLI::Range(1, 86400));

    CLI::App* reset = app.add_subcommand("reset",
                                         "bring a module that stopped answering back: +++ and ATH, "
                                         "AT+CFUN=1,1, USB reset, stopping at the first that works");
    reset->add_option("MODEM", modem, modemHelp);
    int resetTimeout = 180;
    reset->add_option("--timeout", resetTimeout, "seconds to wait for the daemon (default 180)")
        ->check(CLI::Range(1, 86400));

    CLI::App* monitor = app.add_subcommand("monitor",
                                           "print state changes, hangups and modems coming and going "
                                           "until interrupted");
    monitor->add_option("MODEM", modem, "only this modem (default: all, including ones that appear later)");
    bool withLog = false;
    monitor->add_flag("--log", withLog, "print each hangup's whole log under it");

    CLI::App* log = app.add_subcommand(
        "log", "print the kept logs of a modem's last calls, newest first; or save or fetch its DM log (.qmdl)");
    log->add_option("MODEM", modem, modemHelp);
    dialupctl::LogRequest logRequest;
    auto* lastOption = log->add_option("--last", logRequest.last, "how many calls (default 1; 0: every kept call)")
                           ->check(CLI::Range(0u, 1000u));
    std::string qmdlFile;
    auto* qmdlOption =
        log->add_option("--qmdl", qmdlFile, "write a kept DM log (the newest, or --call's) to FILE, created 0600")
            ->excludes(lastOption);
    log->add_flag("--save-dm", logRequest.saveDm, "save the DM log's recorder as it stands now, beside the call logs")
        ->excludes(lastOption);
    uint64_t callNumber = 0;
    log->add_option("--call", callNumber,
                    "with --qmdl: the Nth newest kept call (1: the newest), or a call's start in µs "
                    "(started_usec in log --json)")
        ->check(CLI::Range(uint64_t{1}, std::numeric_limits<uint64_t>::max()))
        ->needs(qmdlOption);
    log->add_flag("--force", logRequest.force, "with --qmdl: replace FILE if it exists")->needs(qmdlOption);

    CLI::App* stats = app.add_subcommand(
        "stats", "print a modem's counters: calls, ends by reason, recoveries, traffic, the data period and limit");
    stats->add_option("MODEM", modem, modemHelp);

    if (std::optional<std::string> unknown = unknownCommand(app, argc, argv)) {
        // Before parsing: --json and --no-color are read off the command line as they stand.
        auto given = [&](std::string_view flag) { return std::find(argv + 1, argv + argc, flag) != argv + argc; };
        return report(ClientError(ExitStatus::Usage, *unknown), given("--json"),
                      !given("--no-color") && !std::getenv("NO_COLOR"));
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error) == 0 ? 0 : static_cast<int>(ExitStatus::Usage);
    }

    const bool colorWanted = !noColor && !std::getenv("NO_COLOR");
    const dialupctl::OutputOptions output{json, colorWanted && ::isatty(STDOUT_FILENO)};
    try {
        if (connect->parsed() && connect->count("--pin"))
            throw ClientError(ExitStatus::Usage,
                              "--pin is refused: a PIN on the command line can be read by every "
                              "user; use --pin-file FILE or --ask-pin");
        if (connect->parsed() && connect->count("--password"))
            throw ClientError(ExitStatus::Usage,
                              "--password is refused: a password on the command line can be read "
                              "by every user; use --password-file FILE or --ask-password");
        if (log->parsed()) {
            if (log->count("--qmdl")) logRequest.qmdlFile = qmdlFile;
            if (log->count("--call")) logRequest.call = callNumber;
        }
        dialupctl::ConnectRequest request;
        if (connect->parsed()) {
            if (connect->count("--apn")) request.apn = apn;
            if (connect->count("--user")) request.user = user;
            if (!passwordFile.empty()) request.password = dialupctl::readPasswordFile(passwordFile);
            if (askPassword) request.password = dialupctl::promptPassword("Password: ");
            if (!pinFile.empty()) request.pin = dialupctl::readPasswordFile(pinFile, "PIN");
            if (askPin) request.pin = dialupctl::promptPassword("SIM PIN: ");
            if (reconnect || noReconnect) request.reconnect = reconnect;
            if (defaultRoute || noDefaultRoute) request.defaultRoute = defaultRoute;
            if (connect->count("--route-metric")) request.routeMetric = routeMetric;
            if (connect->count("--dns")) request.dns = dns;
            if (connect->count("--ip-family")) request.ipFamily = ipFamily;
            request.wait = wait;
            if (connectTimeout == 0) connectTimeout = wait ? 120 : 25;
        }

        dialupctl::DaemonClient client;
        if (list->parsed())
            dialupctl::runList(client, output, idsOnly);
        else if (status->parsed())
            dialupctl::runStatus(client, output, optionalArgument(status, modem));
        else if (connect->parsed())
            dialupctl::runConnect(client, output, optionalArgument(connect, modem), request,
                                  std::chrono::seconds(connectTimeout));
        else if (disconnect->parsed())
            dialupctl::runDisconnect(client, output, optionalArgument(disconnect, modem),
                                     std::chrono::seconds(disconnectTimeout));
        else if (reset->parsed())
            dialupctl::runReset(client, output, optionalArgument(reset, modem), std::chrono::seconds(resetTimeout));
        else if (monitor->parsed())
            dialupctl::runMonitor(client, output, optionalArgument(monitor, modem), withLog);
        else if (log->parsed())
            dialupctl::runLog(client, output, optionalArgument(log, modem), logRequest);
        else if (stats->parsed())
            dialupctl::runStats(client, output, optionalArgument(stats, modem));
    } catch (const ClientError& error) {
        return report(error, json, colorWanted);
    } catch (const sdbus::Error& error) {
        return report(dialupctl::toClientError(error, "dialupctl"), json, colorWanted);
    } catch (const std::exception& error) {
        return report(ClientError(ExitStatus::Failure, error.what()), json, colorWanted);
    }
    return 0;
}
