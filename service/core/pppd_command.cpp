// SPDX-License-Identifier: GPL-2.0-or-later
#include "pppd_command.h"

#include <algorithm>

#include "chat_script.h"

namespace dialupd {
namespace {

// IPCP and IPV6CP as the call's family asks, stated both ways: Debian 12's pppd 2.4.9 is built
// with IPV6CP on (ipv6cp_protent.enabled_flag is 1 in the binary), so leaving it out is no
// choice at all. `+ipv6`/`noipv6` and the IPCP switch are priority options: the command line
// outranks /etc/ppp/options, ~/.ppprc and /etc/ppp/options.<tty>.
void addIpFamily(std::vector<std::string>& argv, const CallSettings& call) {
    if (call.ipFamily == IpFamily::Ipv4) {
        argv.push_back("noipv6");
        return;
    }
    if (call.ipFamily == IpFamily::Ipv6) argv.push_back("noip");
    // IPV6CP only agrees on 64-bit interface identifiers for the link-local addresses; the
    // network's choice is taken for both ends, as it is for the IPv4 addresses. The global
    // address comes from the router advertisement afterwards.
    argv.insert(argv.end(), {"+ipv6", "ipv6cp-accept-local", "ipv6cp-accept-remote"});
    // The per-interface sysctls that decide what the kernel makes of the network's router
    // advertisement. The plugin writes them once the ppp unit exists and before IPV6CP brings the
    // link-local address up, when the kernel sends its router solicitation: an RA that arrives
    // while accept_ra is still 0 is dropped, and none may come again for many minutes.
    //   accept_ra 2: accept RAs even on a router (forwarding on), where 1 would ignore them.
    //   accept_ra_defrtr: the RA's default route only when the call is to carry one.
    //   ra_defrtr_metric: the route metric there too; the kernel refuses 0 in that file, and 1
    //   is as preferred as a metric there gets.
    argv.insert(argv.end(), {"dialupd-accept-ra", "2", "dialupd-ra-default-route", call.defaultRoute ? "1" : "0"});
    if (call.defaultRoute) {
        argv.push_back("dialupd-ra-route-metric");
        argv.push_back(std::to_string(std::max<uint32_t>(call.routeMetric, 1)));
    }
}

}  // namespace

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
        "logfd",
        "2",  // pppd's log, and chat's -s output, into our pipe on stderr
        "linkname",
        "dialupd-" + input.modemId,  // pid file /run/ppp-dialupd-<id>.pid names our calls
        "ipparam",
        input.modemId,
        // Quectel's quectel-ppp peers file's IP options, but for usepeerdns: the plugin asks for
        // DNS itself, so pppd writes no /etc/ppp/resolv.conf.
        "noauth",
        "noipdefault",
        "ipcp-accept-local",
        "ipcp-accept-remote",
        "novj",
        "novjccomp",
        "lcp-echo-interval",
        std::to_string(input.call.lcpEchoInterval),
        "lcp-echo-failure",
        std::to_string(input.call.lcpEchoFailure),
        // Addresses and DNS are published on D-Bus; /etc/ppp/ip-up.d must not rewrite
        // /etc/resolv.conf behind the user's back. pppd silently skips a script that does not
        // exist (ENOENT), and nobody but root can create one in our 0700 runtime dir.
        "ip-up-script",
        daemon.runtimeDir + "/no-ip-up-script",
        "ip-down-script",
        daemon.runtimeDir + "/no-ip-down-script",
        // pppd runs this through sh -c; exec makes chat pppd's own child, so the SIGTERM pppd passes
        // to its connect script on a stop reaches chat, not just a shell that would leave chat
        // orphaned, talking to the module until pppd has wound up.
        "connect",
        "exec " + shellQuote(daemon.chatPath) + " -s -v -f " + shellQuote(launch.chatScriptPath),
        "plugin",
        daemon.pluginPath,
        "dialupd-report-fd",
        std::to_string(kChildReportFd),
        // dialupd adds the routes itself (next to an existing default route, which pppd 2.4.9
        // cannot do), so pppd must add none, whatever /etc/ppp/options or ~/.ppprc say. These
        // are not priority options: a later source wins. nodefaultroute and noproxyarp clear
        // the wish and also forbid it, so a `defaultroute` or `proxyarp` in
        // /etc/ppp/options.<tty> (read after the command line) fails the start with "option is
        // disabled" rather than adding a route behind our back. replacedefaultroute acts only
        // together with defaultroute. nopersist: redialling is dialupd's to decide.
        "nodefaultroute",
        "nodefaultroute6",
        "noproxyarp",
        "nopersist",
    };
    addIpFamily(argv, input.call);
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
