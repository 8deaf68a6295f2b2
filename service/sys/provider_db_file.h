// SPDX-License-Identifier: GPL-2.0-or-later
// The provider database as installed: mobile-broadband-provider-info's serviceproviders.xml,
// read afresh at each lookup (a lookup comes once per dial without an APN: nothing is kept in
// memory between them, and a package upgrade is seen at the next one).
#pragma once

#include <string>

#include "core/provider_db.h"

namespace dialupd {

class ProviderDatabaseFile final : public ProviderDatabase {
public:
    explicit ProviderDatabaseFile(std::string path = kProviderDatabasePath) : path_(std::move(path)) {}
    std::optional<ProviderApn> findApn(std::string_view imsi) override;
    std::string source() const override { return path_; }

    // Far above the real file (362 KB in Debian 12's 20230416-1): refused beyond it.
    static constexpr size_t kMaxBytes = 16 << 20;

private:
    std::string path_;
};

}  // namespace dialupd
