// SPDX-License-Identifier: GPL-2.0-or-later
// Each modem's counters on disk: <state dir>/counters/<modem id>, one small file a modem (0600 in
// a 0700 directory), replaced atomically at each change: written to a temporary file beside it
// (opened without following a link), fsynced, renamed over it. Read back at start without
// following a link, bounded (core/modem_counters.h checks the text). And the live byte
// counters of a network interface, from sysfs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/modem_counters.h"
#include "core/modem_services.h"

namespace dialupd {

// Writes `content` to `path` atomically (path.new, fsync, rename, the directory fsynced); the
// temporary file is opened with O_NOFOLLOW and O_EXCL after removing what was at its name. ""
// on success, else what failed.
std::string writeFileAtomically(const std::string& path, std::string_view content, mode_t mode);

class FileCountersStore final : public CountersStore {
public:
    static constexpr size_t kMaxBytes = 64 * 1024;
    explicit FileCountersStore(std::string stateDir);
    std::optional<std::string> load(const std::string& modemId, std::string& why) override;
    void save(const std::string& modemId, const std::string& text) override;

private:
    std::string stateDir_;
    std::string root_;
};

// /sys/class/net/<interface>/statistics/{rx,tx}_bytes: nullopt when the name is not an
// interface name or the files cannot be read (the link just went away).
std::optional<LinkBytes> readLinkBytes(const std::string& interface, const std::string& sysClassNet = "/sys/class/net");

}  // namespace dialupd
