// SPDX-License-Identifier: GPL-2.0-or-later
#include "sys/connectivity_probes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/dns_servers.h"
#include "core/text.h"
#include "sys/safe_file.h"
#include "sys/unique_fd.h"

namespace dialupd {
namespace {

constexpr uint8_t kIcmpEchoRequest = 8, kIcmpEchoReply = 0;
constexpr uint8_t kIcmp6EchoRequest = 128, kIcmp6EchoReply = 129;
constexpr size_t kIcmpHeader = 8;
constexpr char kEchoPayload[] = "dialupd checking";  // 16 bytes: what the echo carries
constexpr size_t kEchoPayloadSize = sizeof kEchoPayload - 1;

struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
};

Address socketAddress(const CheckTarget& target, uint16_t port) {
    Address address;
    if (target.family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        inet_pton(AF_INET6, target.address.c_str(), &in6->sin6_addr);
        address.length = sizeof(sockaddr_in6);
    } else {
        auto* in = reinterpret_cast<sockaddr_in*>(&address.storage);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        inet_pton(AF_INET, target.address.c_str(), &in->sin_addr);
        address.length = sizeof(sockaddr_in);
    }
    return address;
}

bool sameHost(const sockaddr_storage& from, const CheckTarget& target) {
    char text[INET6_ADDRSTRLEN] = "";
    if (from.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&from)->sin_addr, text, sizeof text);
    else if (from.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&from)->sin6_addr, text, sizeof text);
    return target.address == text;
}

uint16_t internetChecksum(const uint8_t* data, size_t size) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < size; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
    if (size % 2) sum += static_cast<uint32_t>(data[size - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

std::string errnoText(const char* what, int error) { return fmt::format("{}: {}", what, std::strerror(error)); }

// One probe: its socket in the loop, the answer reported once (from the loop, never from start).
class SocketProbe final : public Probe {
public:
    SocketProbe(EventLoop& loop, ProbeRequest request, std::function<void(ProbeAnswer)> answered)
        : loop_(loop), request_(std::move(request)), answered_(std::move(answered)) {}
    ~SocketProbe() override {
        source_.reset();  // before the fd closes
        *alive_ = false;
    }

    std::string sent() const override { return sent_; }

    void begin() {
        switch (request_.kind) {
            case CheckKind::Icmp:
                beginIcmp();
                break;
            case CheckKind::Dns:
                beginDns();
                break;
            case CheckKind::Tcp:
                beginTcp();
                break;
            case CheckKind::None:
                failLater("no check configured");
                break;
        }
    }

private:
    // A socket bound to the link; false (and the failure on its way) when that cannot be had.
    bool open(int type, int protocol) {
        fd_.reset(::socket(request_.target.family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
        if (!fd_) return false;
        if (setsockopt(fd_.get(), SOL_SOCKET, SO_BINDTODEVICE, request_.interface.c_str(),
                       static_cast<socklen_t>(request_.interface.size())) < 0) {
            failLater(errnoText(fmt::format("cannot bind the socket to {}", request_.interface).c_str(), errno));
            fd_.reset();
            return false;
        }
        return true;
    }

    void beginIcmp() {
        const bool v6 = request_.target.family == AF_INET6;
        const int protocol = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
        // A ping socket first: no privilege needed where ping_group_range allows root's group;
        // the kernel chooses the id and hands us only our own replies, without the IP header.
        raw_ = false;
        fd_.reset(::socket(request_.target.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
        if (!fd_ && (errno == EACCES || errno == EPERM)) {
            const int pingError = errno;
            raw_ = true;
            fd_.reset(::socket(request_.target.family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
            if (!fd_) {
                failLater(
                    fmt::format("no ICMP socket: a ping socket is refused ({}: net.ipv4.ping_group_range "
                                "leaves out root's group) and a raw one too ({}: no CAP_NET_RAW)",
                                std::strerror(pingError), std::strerror(errno)));
                return;
            }
        }
        if (!fd_) {
            failLater(errnoText("no ICMP socket", errno));
            return;
        }
        if (setsockopt(fd_.get(), SOL_SOCKET, SO_BINDTODEVICE, request_.interface.c_str(),
                       static_cast<socklen_t>(request_.interface.size())) < 0) {
            failLater(errnoText(fmt::format("cannot bind the socket to {}", request_.interface).c_str(), errno));
            return;
        }
        id_ = static_cast<uint16_t>(::getpid() ^ 0x5a5a);
        uint8_t packet[kIcmpHeader + kEchoPayloadSize] = {};
        packet[0] = v6 ? kIcmp6EchoRequest : kIcmpEchoRequest;
        packet[4] = static_cast<uint8_t>(id_ >> 8);
        packet[5] = static_cast<uint8_t>(id_);
        packet[6] = static_cast<uint8_t>(request_.sequence >> 8);
        packet[7] = static_cast<uint8_t>(request_.sequence);
        std::memcpy(packet + kIcmpHeader, kEchoPayload, kEchoPayloadSize);
        if (!v6) {  // ICMPv6's checksum is the kernel's (it covers the pseudo-header)
            uint16_t sum = internetChecksum(packet, sizeof packet);
            packet[2] = static_cast<uint8_t>(sum >> 8);
            packet[3] = static_cast<uint8_t>(sum);
        }
        sent_ = fmt::format("{} echo request seq {}, {} bytes{}", v6 ? "ICMPv6" : "ICMP", request_.sequence,
                            sizeof packet, raw_ ? " (raw socket)" : "");
        Address to = socketAddress(request_.target, 0);
        if (::sendto(fd_.get(), packet, sizeof packet, 0, reinterpret_cast<sockaddr*>(&to.storage), to.length) < 0) {
            failLater(errnoText("sendto", errno));
            return;
        }
        watch(EPOLLIN, [this](uint32_t) { readEcho(); });
    }

    void readEcho() {
        for (;;) {
            uint8_t buffer[1500];
            sockaddr_storage from{};
            socklen_t fromLength = sizeof from;
            ssize_t got =
                ::recvfrom(fd_.get(), buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &fromLength);
            if (got < 0) return;  // EAGAIN: wait for more; an error: the timeout tells
            size_t offset = 0;
            const bool v6 = request_.target.family == AF_INET6;
            if (raw_ && !v6 && got > 0) offset = static_cast<size_t>(buffer[0] & 0x0f) * 4;  // the IPv4 header
            if (static_cast<size_t>(got) < offset + kIcmpHeader || !sameHost(from, request_.target)) continue;
            const uint8_t* icmp = buffer + offset;
            const uint16_t id = static_cast<uint16_t>(icmp[4] << 8 | icmp[5]);
            const uint16_t sequence = static_cast<uint16_t>(icmp[6] << 8 | icmp[7]);
            if (icmp[0] != (v6 ? kIcmp6EchoReply : kIcmpEchoReply) || sequence != request_.sequence ||
                (raw_ && id != id_))
                continue;
            answer(true, fmt::format("echo reply seq {} from {}, {} bytes", sequence, request_.target.address,
                                     static_cast<size_t>(got) - offset));
            return;
        }
    }

    void beginDns() {
        if (!open(SOCK_DGRAM, 0)) {
            if (!failing_) failLater(errnoText("no UDP socket", errno));
            return;
        }
        query_ = dnsQuery(request_.name, request_.sequence);
        sent_ = fmt::format("DNS query id {} for {} A, {} bytes", request_.sequence, request_.name, query_.size());
        Address to = socketAddress(request_.target, 53);
        if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&to.storage), to.length) < 0 ||
            ::send(fd_.get(), query_.data(), query_.size(), 0) < 0) {
            failLater(errnoText("send", errno));
            return;
        }
        watch(EPOLLIN, [this](uint32_t) { readDns(); });
    }

    void readDns() {
        for (;;) {
            char buffer[1500];
            ssize_t got = ::recv(fd_.get(), buffer, sizeof buffer, 0);
            if (got < 0) {
                if (errno == EAGAIN || errno == EINTR) return;
                answer(false, errnoText("the query came back", errno));  // ECONNREFUSED: port unreachable
                return;
            }
            bool ok = false;
            std::optional<std::string> what =
                dnsAnswer(std::string(buffer, static_cast<size_t>(got)), request_.sequence, ok);
            if (!what) continue;  // not ours: wait for the answer or the timeout
            answer(ok, fmt::format("{} answered: {}", request_.target.address, *what));
            return;
        }
    }

    void beginTcp() {
        if (!open(SOCK_STREAM, 0)) {
            if (!failing_) failLater(errnoText("no TCP socket", errno));
            return;
        }
        sent_ = fmt::format("TCP connect (SYN) to port {}", request_.target.port);
        Address to = socketAddress(request_.target, request_.target.port);
        if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&to.storage), to.length) == 0) {
            resetOnClose();
            answerLater(true, "connected");
            return;
        }
        if (errno != EINPROGRESS) {
            failLater(errnoText("connect", errno));
            return;
        }
        watch(EPOLLOUT, [this](uint32_t) {
            int error = 0;
            socklen_t length = sizeof error;
            if (getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length) < 0) error = errno;
            if (error == 0) resetOnClose();
            answer(error == 0, error == 0 ? "connected" : errnoText("connect", error));
        });
    }

    // A connected probe ends with a reset, not FIN: an orderly close would bring the peer's ACK
    // and FIN in after the check, and the next check would take them for traffic and skip its
    // probe (every other check on an idle link). Health checkers do the same (HAProxy's), which
    // also leaves no TIME_WAIT behind.
    void resetOnClose() {
        const linger abort{1, 0};
        ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    }

    void watch(uint32_t events, std::function<void(uint32_t)> callback) {
        source_ = loop_.watchFd(fd_.get(), events, std::move(callback));
    }

    void answer(bool ok, std::string text) {
        if (!answered_) return;
        source_.reset();
        auto answered = std::move(answered_);
        answered_ = nullptr;
        answered(ProbeAnswer{ok, sanitizeText(text)});  // may free this probe on a later turn only
    }

    void answerLater(bool ok, std::string text) {
        failing_ = true;
        loop_.defer([this, alive = alive_, ok, text = std::move(text)] {
            if (*alive) answer(ok, text);
        });
    }
    void failLater(std::string why) {
        if (sent_.empty()) sent_ = "nothing";
        answerLater(false, std::move(why));
    }

    EventLoop& loop_;
    const ProbeRequest request_;
    std::function<void(ProbeAnswer)> answered_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    UniqueFd fd_;
    std::unique_ptr<EventSource> source_;
    std::string sent_;
    std::string query_;
    uint16_t id_ = 0;
    bool raw_ = false;
    bool failing_ = false;
};

}  // namespace

std::optional<uint64_t> SystemConnectivityProber::rxBytes(const std::string& interface) {
    // A name the kernel could have given: no '/', no "." or "..", at most 15 bytes.
    if (!resolvconfRecordName(interface) || interface == "." || interface == "..") return std::nullopt;
    // sysfs says 4096 bytes for every attribute: its first 32 are read (a u64 and a newline fit).
    SmallFile file =
        readSmallFile("/sys/class/net/" + interface + "/statistics/rx_bytes", 32, SmallFile::Oversize::Cut);
    if (!file) return std::nullopt;
    uint64_t value = 0;
    bool digits = false;
    for (char c : file.content) {
        if (c == '\n') break;
        if (c < '0' || c > '9' || value > UINT64_MAX / 10) return std::nullopt;
        value = value * 10 + static_cast<uint64_t>(c - '0');
        digits = true;
    }
    return digits ? std::optional<uint64_t>(value) : std::nullopt;
}

std::unique_ptr<Probe> SystemConnectivityProber::start(const ProbeRequest& request,
                                                       std::function<void(ProbeAnswer)> answered) {
    auto probe = std::make_unique<SocketProbe>(loop_, request, std::move(answered));
    probe->begin();
    return probe;
}

std::string dnsQuery(const std::string& name, uint16_t id) {
    std::string query;
    auto put16 = [&](uint16_t value) {
        query += static_cast<char>(value >> 8);
        query += static_cast<char>(value & 0xff);
    };
    put16(id);
    put16(0x0100);  // a standard query, recursion desired
    put16(1);       // one question
    put16(0);
    put16(0);
    put16(0);
    size_t at = 0;
    while (at < name.size()) {
        size_t dot = name.find('.', at);
        if (dot == std::string::npos) dot = name.size();
        if (dot > at) {
            query += static_cast<char>(dot - at);
            query += name.substr(at, dot - at);
        }
        at = dot + 1;
    }
    query += '\0';
    put16(1);  // A
    put16(1);  // IN
    return query;
}

std::optional<std::string> dnsAnswer(const std::string& reply, uint16_t id, bool& ok) {
    ok = false;
    if (reply.size() < 12) return std::nullopt;
    auto get16 = [&](size_t at) {
        return static_cast<uint16_t>(static_cast<uint8_t>(reply[at]) << 8 | static_cast<uint8_t>(reply[at + 1]));
    };
    const uint16_t flags = get16(2);
    if (get16(0) != id || !(flags & 0x8000)) return std::nullopt;
    static const char* const kRcodes[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
    const unsigned rcode = flags & 0x0f;
    // The server resolved the name (it exists or it does not): the path and the server work.
    ok = rcode == 0 || rcode == 3;
    const uint16_t answers = get16(6);
    return fmt::format("{}, {} answer{}, {} bytes",
                       rcode < std::size(kRcodes) ? kRcodes[rcode] : fmt::format("rcode {}", rcode), answers,
                       answers == 1 ? "" : "s", reply.size());
}

}  // namespace dialupd
