// SPDX-License-Identifier: GPL-2.0-or-later
#include "log_fields.h"

namespace dialupd {
namespace {

const LogFields* current = nullptr;

}  // namespace

const LogFields* currentLogFields() { return current; }

ScopedLogFields::ScopedLogFields(const LogFields& fields) : fields_(fields), previous_(current) { current = &fields_; }

ScopedLogFields::~ScopedLogFields() { current = previous_; }

std::optional<std::string_view> modemIdOfLine(std::string_view line) {
    if (line.size() < 3 || line.front() != '[') return std::nullopt;
    size_t close = line.find(']');
    if (close == std::string_view::npos || close == 1 || close > 65) return std::nullopt;
    std::string_view id = line.substr(1, close - 1);
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return std::nullopt;
    return id;
}

}  // namespace dialupd
