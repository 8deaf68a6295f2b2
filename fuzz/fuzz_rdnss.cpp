// SPDX-License-Identifier: GPL-2.0-or-later
// A router advertisement's ND options as RTM_NEWNDUSEROPT hands them on (service/core/rdnss.h):
// bytes from the network. What parseRdnssOption returns must be a well-formed RDNSS option that
// is really there: each server an IPv6 address in canonical text, read from inside the input.
#include <arpa/inet.h>

#include <cstring>

#include "core/rdnss.h"
#include "fuzz.h"

using namespace dialupd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::optional<RdnssOption> rdnss = parseRdnssOption(std::span(data, size));
    if (!rdnss) return 0;
    FUZZ_CHECK(!rdnss->servers.empty(), "an RDNSS option without servers was accepted");
    FUZZ_CHECK(8 + 16 * rdnss->servers.size() <= size, "{} servers from {} bytes", rdnss->servers.size(), size);
    for (const std::string& server : rdnss->servers) {
        in6_addr address{};
        FUZZ_CHECK(inet_pton(AF_INET6, server.c_str(), &address) == 1, "'{}' is no IPv6 address", server);
        char canonical[INET6_ADDRSTRLEN] = {};
        inet_ntop(AF_INET6, &address, canonical, sizeof canonical);
        FUZZ_CHECK(server == canonical, "'{}' is not canonical ('{}')", server, canonical);
        FUZZ_CHECK(memmem(data, size, address.s6_addr, 16) != nullptr, "server {} is not in the input", server);
    }
    return 0;
}
