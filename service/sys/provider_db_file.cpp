// SPDX-License-Identifier: GPL-2.0-or-later
#include "provider_db_file.h"

#include "safe_file.h"

namespace dialupd {

std::optional<ProviderApn> ProviderDatabaseFile::findApn(std::string_view imsi) {
    // Read as any file of the system's: no symlink games to fear under /usr/share, but the same
    // bounded, non-blocking read keeps a replaced file from hanging the loop.
    SmallFile file = readSmallFile(path_, kMaxBytes);
    if (file.failure == SmallFile::Failure::Absent)
        throw ProviderDatabaseError(path_ + " is not there (Debian package mobile-broadband-provider-info)");
    if (!file) throw ProviderDatabaseError(file.why);
    try {
        return findProviderApn(file.content, imsi);
    } catch (const ProviderDatabaseError& error) {
        throw ProviderDatabaseError(path_ + ": " + error.what());
    }
}

}  // namespace dialupd
