// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dialupd's pppd plugin: reports pppd's progress to the supervising daemon over an inherited
 * file descriptor, and hands pppd the PAP/CHAP password from a pipe so it never appears on a
 * command line. Written in C because pppd.h does not compile as C++.
 *
 * Options (after `plugin dialupd-pppd-plugin.so`):
 *   dialupd-report-fd N   write reports to fd N (service/core/plugin_report.h has the protocol)
 *   dialupd-secret-fd N   read the password from fd N up to end of file, then close it
 *   dialupd-accept-ra N           /proc/sys/net/ipv6/conf/<ifname>/accept_ra (0-2)
 *   dialupd-ra-default-route N    .../accept_ra_defrtr (0 or 1)
 *   dialupd-ra-route-metric N     .../ra_defrtr_metric (1-4294967295; Linux 5.12 and later)
 * The three are written once the ppp unit exists (pppd's establish phase), before IPV6CP brings
 * the link-local address up: the kernel sends its router solicitation then and drops a router
 * advertisement that comes while accept_ra does not allow it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pppd/pppd.h>
#include <pppd/fsm.h>
#include <pppd/ipcp.h>

char pppd_version[] = VERSION;

static int report_fd = -1;
static int cause_reported;
static char secret[MAXSECRETLEN];

/* A per-interface IPv6 sysctl the daemon asked for; unset ones are left as the kernel has them. */
struct ipv6_sysctl {
    const char* name;
    unsigned long min, max;
    int wanted;
    unsigned long value;
};
static struct ipv6_sysctl ipv6_sysctls[] = {
    {"accept_ra", 0, 2, 0, 0},
    {"accept_ra_defrtr", 0, 1, 0, 0},
    {"ra_defrtr_metric", 1, 4294967295UL, 0, 0},
};
static int link_prepared; /* the interface report and the sysctls are done for this link */

static int set_report_fd(char** argv);
static int read_secret_fd(char** argv);
static int set_accept_ra(char** argv);
static int set_ra_default_route(char** argv);
static int set_ra_route_metric(char** argv);

static option_t options[] = {{.name = "dialupd-report-fd",
                              .type = o_special,
                              .addr = (void*)set_report_fd,
                              .description = "dialupd: report progress on this fd"},
                             {.name = "dialupd-secret-fd",
                              .type = o_special,
                              .addr = (void*)read_secret_fd,
                              .description = "dialupd: read the password from this fd"},
                             {.name = "dialupd-accept-ra",
                              .type = o_special,
                              .addr = (void*)set_accept_ra,
                              .description = "dialupd: the link's accept_ra sysctl"},
                             {.name = "dialupd-ra-default-route",
                              .type = o_special,
                              .addr = (void*)set_ra_default_route,
                              .description = "dialupd: the link's accept_ra_defrtr sysctl"},
                             {.name = "dialupd-ra-route-metric",
                              .type = o_special,
                              .addr = (void*)set_ra_route_metric,
                              .description = "dialupd: the link's ra_defrtr_metric sysctl"},
                             {.name = NULL}};

static int parse_fd(const char* text, int* fd) {
    char* end;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (errno || *end || end == text || value < 0 || value > 1024) {
        option_error("dialupd: '%s' is not a file descriptor number", text);
        return 0;
    }
    *fd = (int)value;
    return 1;
}

/* One line per report. The daemon's end is a socket: MSG_NOSIGNAL keeps a dead daemon from
 * killing pppd with SIGPIPE before it can close the link. */
static void report(const char* format, ...) {
    char line[256];
    va_list args;
    int length;
    ssize_t written;

    if (report_fd < 0) return;
    va_start(args, format);
    length = vsnprintf(line, sizeof line - 1, format, args);
    va_end(args);
    if (length < 0) return;
    if (length > (int)sizeof line - 2) length = (int)sizeof line - 2;
    line[length++] = '\n';
    do {
        written = send(report_fd, line, (size_t)length, MSG_NOSIGNAL);
    } while (written < 0 && errno == EINTR);
}

/* A whole decimal number within the sysctl's range: what the kernel would take, nothing else. */
static int set_ipv6_sysctl(struct ipv6_sysctl* sysctl, const char* text) {
    char* end;
    unsigned long long value;

    errno = 0;
    value = strtoull(text, &end, 10);
    if (errno || *end || end == text || text[0] < '0' || text[0] > '9' || value < sysctl->min || value > sysctl->max) {
        option_error("dialupd: '%s' is not a value for %s (%lu to %lu)", text, sysctl->name, sysctl->min, sysctl->max);
        return 0;
    }
    sysctl->value = (unsigned long)value;
    sysctl->wanted = 1;
    return 1;
}

static int set_accept_ra(char** argv) { return set_ipv6_sysctl(&ipv6_sysctls[0], *argv); }
static int set_ra_default_route(char** argv) { return set_ipv6_sysctl(&ipv6_sysctls[1], *argv); }
static int set_ra_route_metric(char** argv) { return set_ipv6_sysctl(&ipv6_sysctls[2], *argv); }

/* pppd names the unit "ppp<N>" (or as root's `ifname` option says): one path component. */
static int is_path_component(const char* name) {
    return name[0] && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/') &&
           strlen(name) < IFNAMSIZ;
}

static void write_ipv6_sysctl(const struct ipv6_sysctl* sysctl) {
    char path[128], value[24];
    int fd, length, saved;
    ssize_t written;

    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/%s", ifname, sysctl->name);
    length = snprintf(value, sizeof value, "%lu\n", sysctl->value);
    fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        /* ra_defrtr_metric is Linux 5.12's; the whole directory is missing without IPv6. */
        if (errno == ENOENT)
            report("ipv6-sysctl %s %s %lu absent", ifname, sysctl->name, sysctl->value);
        else
            report("ipv6-sysctl %s %s %lu error %d", ifname, sysctl->name, sysctl->value, errno);
        return;
    }
    do {
        written = write(fd, value, (size_t)length);
    } while (written < 0 && errno == EINTR);
    saved = written < 0 ? errno : EIO; /* a short write to a sysctl has not set it */
    close(fd);
    if (written == length)
        report("ipv6-sysctl %s %s %lu ok", ifname, sysctl->name, sysctl->value);
    else
        report("ipv6-sysctl %s %s %lu error %d", ifname, sysctl->name, sysctl->value, saved);
}

/* Once per link, as soon as the ppp unit exists: pppd 2.4.9's start_link names it (set_ifunit)
 * before it enters the establish phase, and IPV6CP only runs in the network phase after it. */
static void prepare_link(void) {
    size_t i;

    if (link_prepared || !is_path_component(ifname)) return;
    link_prepared = 1;
    report("interface %s", ifname);
    for (i = 0; i < sizeof ipv6_sysctls / sizeof ipv6_sysctls[0]; ++i)
        if (ipv6_sysctls[i].wanted) write_ipv6_sysctl(&ipv6_sysctls[i]);
}

static const char* phase_name(int phase) {
    static const char* const names[] = {"dead",         "initialize", "serialconn", "dormant", "establish",
                                        "authenticate", "callback",   "network",    "running", "terminate",
                                        "disconnect",   "holdoff",    "master"};
    if (phase >= 0 && phase < (int)(sizeof names / sizeof names[0])) return names[phase];
    return "unknown";
}

static const char* address_text(u_int32_t address, char* buffer) {
    struct in_addr in;

    if (address == 0) return "-";
    in.s_addr = address;
    return inet_ntop(AF_INET, &in, buffer, INET_ADDRSTRLEN) ? buffer : "-";
}

/* The password stays while the link may still authenticate: pppd asks give_secret on every
 * CHAP challenge (a peer may re-challenge at any time while the link is up) and for PAP each
 * time LCP comes up again (a renegotiation), and copies it each time. Once the link is ending
 * for good (terminating or dead, and no persist, demand or callback to dial again; dialupd
 * passes none of them) it is no longer needed: wiped, so it is not in a core dump of the rest of
 * the run. */
static void wipe_secret(void) { explicit_bzero(secret, sizeof secret); }

static void on_phase_change(void* arg, int phase) {
    (void)arg;
    report("phase %s", phase_name(phase));
    if (phase == PHASE_ESTABLISH || phase == PHASE_NETWORK) prepare_link();
    if (phase == PHASE_DEAD) link_prepared = 0;
    if ((phase == PHASE_TERMINATE || phase == PHASE_DEAD) && !persist && !demand && !do_callback) wipe_secret();
    /* Why the link is going down, as pppd saw it then. The exit status can still change on the
     * way out: a tty that reads EOF while pppd hangs up turns a peer-dead (15) into a hangup
     * (16). The first cause is the one that explains the call's end. */
    if ((phase == PHASE_TERMINATE || phase == PHASE_DISCONNECT) && !cause_reported && status != 0) {
        cause_reported = 1;
        report("cause %d", status);
    }
}

static void on_ip_up(void* arg, int unused) {
    char local[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN], dns1[INET_ADDRSTRLEN], dns2[INET_ADDRSTRLEN];
    ipcp_options* ours = &ipcp_gotoptions[0];
    ipcp_options* theirs = &ipcp_hisoptions[0];
    /* pppd copies the primary DNS into the secondary when the network gave only one. */
    u_int32_t secondary = ours->dnsaddr[1] == ours->dnsaddr[0] ? 0 : ours->dnsaddr[1];

    (void)arg;
    (void)unused;
    report("ip-up %s %s %s %s %s", ifname, address_text(ours->ouraddr, local), address_text(theirs->hisaddr, peer),
           address_text(ours->dnsaddr[0], dns1), address_text(secondary, dns2));
}

/* IPV6CP is up: the link-local addresses are set. An IPv6-only call (noip) has no IPCP, so this
 * is its "link up"; the global address and DNS follow from the router advertisement, which the
 * daemon watches itself. */
static void on_ipv6_up(void* arg, int unused) {
    (void)arg;
    (void)unused;
    report("ipv6-up %s", ifname);
}

/* DNS without usepeerdns: that option would also make pppd write /etc/ppp/resolv.conf (and
 * Debian's ip-up.d copy it over /etc/resolv.conf), and dialupd writes nothing under /etc: the
 * servers are published on D-Bus. ipcp_resetci copies its wanted options into the ones it asks
 * for and then calls this hook, so asking here puts both DNS requests in every Configure-Request;
 * ipcp_up keeps the answers because req_dns1/2 are set, and skips resolv.conf because
 * usepeerdns is not. */
static void request_dns(u_int32_t* peer_address) {
    (void)peer_address; /* left as it is: the network picks the addresses */
    ipcp_gotoptions[0].req_dns1 = 1;
    ipcp_gotoptions[0].req_dns2 = 1;
}

static void report_stats(void) {
    if (link_stats_valid) report("stats %u %u %u", link_stats.bytes_in, link_stats.bytes_out, link_connect_time);
}

static void on_ip_down(void* arg, int unused) {
    (void)arg;
    (void)unused;
    /* ipcp_down has just updated the counters; pppd clears link_stats_valid once it has
       printed them, so by exit time they are gone. */
    report_stats();
    report("ip-down");
}

static void on_exit_notify(void* arg, int status) {
    (void)arg;
    wipe_secret();
    report_stats();
    report("exit %d", status);
}

static int set_report_fd(char** argv) {
    if (!parse_fd(*argv, &report_fd)) return 0;
    /* chat and the ip-up/down scripts have no business with it. */
    fcntl(report_fd, F_SETFD, FD_CLOEXEC);
    return 1;
}

static int check_secret(void) { return 1; }

static int give_secret(char* user, char* passwd) {
    (void)user;
    if (passwd) strlcpy(passwd, secret, MAXSECRETLEN);
    return 1;
}

static int read_secret_fd(char** argv) {
    int fd;
    size_t length = 0;

    if (!parse_fd(*argv, &fd)) return 0;
    while (length < sizeof secret - 1) {
        ssize_t count = read(fd, secret + length, sizeof secret - 1 - length);
        if (count < 0 && errno == EINTR) continue;
        if (count < 0) {
            option_error("dialupd: cannot read the password from fd %d: %m", fd);
            close(fd);
            return 0;
        }
        if (count == 0) break;
        length += (size_t)count;
    }
    secret[length] = 0;
    close(fd);
    /* Only now: with no password, pppd should not offer PAP/CHAP at all. */
    pap_check_hook = check_secret;
    pap_passwd_hook = give_secret;
    chap_check_hook = check_secret;
    chap_passwd_hook = give_secret;
    return 1;
}

void plugin_init(void) {
    add_options(options);
    add_notifier(&phasechange, on_phase_change, NULL);
    add_notifier(&ip_up_notifier, on_ip_up, NULL);
    add_notifier(&ipv6_up_notifier, on_ipv6_up, NULL);
    add_notifier(&ip_down_notifier, on_ip_down, NULL);
    add_notifier(&exitnotify, on_exit_notify, NULL);
    ip_choose_hook = request_dns;
}
