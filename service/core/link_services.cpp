// SPDX-License-Identifier: GPL-2.0-or-later
#include "link_services.h"

namespace dialupd {

std::string_view toString(DnsMode mode) {
    switch (mode) {
        case DnsMode::Auto:
            return "auto";
        case DnsMode::Resolved:
            return "resolved";
        case DnsMode::Resolvconf:
            return "resolvconf";
        case DnsMode::None:
            return "none";
    }
    return "auto";
}

std::optional<DnsMode> parseDnsMode(std::string_view text) {
    for (DnsMode mode : {DnsMode::Auto, DnsMode::Resolved, DnsMode::Resolvconf, DnsMode::None})
        if (text == toString(mode)) return mode;
    return std::nullopt;
}

}  // namespace dialupd
