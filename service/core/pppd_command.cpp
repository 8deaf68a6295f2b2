#include "pppd_command.h"

#include "chat_script.h"

namespace dialupd {

std::string shellQuote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'')
            quoted += "'\\''";
        else
            quoted += c;
    }
    return quoted + "'";
}

PppdLaunch buildPppdLaunch(const DaemonSettings& daemon, const PppdCommandInput& input) {
    PppdLaunch launch;
    launch.chatScriptPath = daemon.runtimeDir + "/" + input.modemId + ".chat";
    launch.chatScript = buildChatScript(input.call);
    launch.secret = input.call.password;

    std::vector<std::string>& argv = launch.argv;
    argv = {
        daemon.pppdPath,
        input.device,
        std::to_string(input.call.baud),
        "nodetach",  // we supervise it: its pid is ours to watch, its exit status ours to read
        "lock",      // UUCP lock in /run/lock, so no other dialer opens the port under us
        "logfd", "2",  // pppd's log, and chat's -s output, into our pipe on stderr
        "linkname", "dialupd-" + input.modemId,  // pid file /run/ppp-dialupd-<id>.pid names our calls
        "ipparam", input.modemId,
        // Quectel's quectel-ppp peers file's IP options, but for usepeerdns: the plugin asks for
        // DNS itself, so pppd writes no /etc/ppp/resolv.conf.
        "noauth", "noipdefault", "ipcp-accept-local", "ipcp-accept-remote",
        "novj", "novjccomp",
        "lcp-echo-interval", std::to_string(input.call.lcpEchoInterval),
        "lcp-echo-failure", std::to_string(input.call.lcpEchoFailure),
        // Addresses and DNS are published on D-Bus; /etc/ppp/ip-up.d must not rewrite
        // /etc/resolv.conf behind the user's back. pppd silently skips a script that does not
        // exist (ENOENT), and nobody but root can create one in our 0700 runtime dir.
        "ip-up-script", daemon.runtimeDir + "/no-ip-up-script",
        "ip-down-script", daemon.runtimeDir + "/no-ip-down-script",
        // pppd runs this through sh -c; exec makes chat pppd's own child, so the SIGTERM pppd passes
        // to its connect script on a stop reaches chat, not just a shell that would leave chat
        // orphaned, talking to the module until pppd has wound up.
        "connect", "exec " + shellQuote(daemon.chatPath) + " -s -v -f " + shellQuote(launch.chatScriptPath),
        "plugin", daemon.pluginPath,
        "dialupd-report-fd", std::to_string(kChildReportFd),
    };
    // Limits a metered link may want; pppd enforces them (exit 12 idle-timeout, 13 connect-time-limit).
    if (input.call.idleSeconds > 0) {
        argv.push_back("idle");
        argv.push_back(std::to_string(input.call.idleSeconds));
    }
    if (input.call.maxConnectSeconds > 0) {
        argv.push_back("maxconnect");
        argv.push_back(std::to_string(input.call.maxConnectSeconds));
    }
    if (!input.call.user.empty()) {
        argv.push_back("user");
        argv.push_back(input.call.user);
    }
    if (!launch.secret.empty()) {
        // The password goes through a pipe the plugin reads: /proc/PID/cmdline is world-readable.
        argv.push_back("dialupd-secret-fd");
        argv.push_back(std::to_string(kChildSecretFd));
    }
    // With `debug`, pppd's dump of a PAP request holds the password itself if show-password is
    // set, and /etc/ppp/options or root's ~/.ppprc may set it: the command line outranks both
    // (pppd 2.4.9 options.c: OPRIO_CMDLINE over OPRIO_CFGFILE). Always, since without our
    // password pppd may take one from /etc/ppp/pap-secrets. The daemon hides the field as well
    // (core/auth_dump.h); this keeps pppd from writing it in the first place.
    argv.push_back("hide-password");
    if (daemon.pppdDebug) argv.push_back("debug");
    return launch;
}

}  // namespace dialupd
