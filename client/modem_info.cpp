// SPDX-License-Identifier: GPL-2.0-or-later
#include "modem_info.h"

namespace dialupctl {

std::string modemIdFromPath(const std::string& path) {
    const std::string prefix = kModemPathPrefix;
    if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return "";
    return path.substr(prefix.size());
}

std::string modemPathFromArgument(const std::string& argument) {
    if (!argument.empty() && argument.front() == '/') return argument;
    return kModemPathPrefix + argument;
}

}  // namespace dialupctl
