// SPDX-License-Identifier: GPL-2.0-or-later
#include "file_counters_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "safe_file.h"
#include "unique_fd.h"

namespace dialupd {
namespace {

bool makePrivateDirectory(const std::string& path, std::string& why) {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) {
        why = fmt::format("cannot create {}: {}", path, error.message());
        return false;
    }
    ::chmod(path.c_str(), 0700);
    return true;
}

bool isInterfaceName(const std::string& name) {
    // IFNAMSIZ - 1; no '/', and not a path step.
    return !name.empty() && name.size() <= 15 && name != "." && name != ".." &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '.';
           });
}

std::optional<uint64_t> readCounter(const std::string& path) {
    // sysfs says 4096 bytes for every attribute whatever it holds: read what is there, up to the bound.
    SmallFile file = readSmallFile(path, 64, SmallFile::Oversize::Cut);
    if (!file) return std::nullopt;
    std::string_view text = file.content;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace

std::string writeFileAtomically(const std::string& path, std::string_view content, mode_t mode) {
    const std::string temporary = path + ".new";
    // Whatever a crash left at the temporary name (or someone put there) goes first: O_EXCL with
    // O_NOFOLLOW then never writes through a link.
    ::unlink(temporary.c_str());
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd) return fmt::format("cannot create {}: {}", temporary, std::strerror(errno));
    size_t done = 0;
    while (done < content.size()) {
        ssize_t count = ::write(fd.get(), content.data() + done, content.size() - done);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) {
            std::string why = fmt::format("cannot write {}: {}", temporary, std::strerror(errno));
            ::unlink(temporary.c_str());
            return why;
        }
        done += static_cast<size_t>(count);
    }
    if (::fsync(fd.get()) < 0) {
        std::string why = fmt::format("cannot sync {}: {}", temporary, std::strerror(errno));
        ::unlink(temporary.c_str());
        return why;
    }
    fd.reset();
    if (::rename(temporary.c_str(), path.c_str()) < 0) {
        std::string why = fmt::format("cannot rename {} to {}: {}", temporary, path, std::strerror(errno));
        ::unlink(temporary.c_str());
        return why;
    }
    // The rename itself lasts once the directory is on disk.
    const std::string directory = std::filesystem::path(path).parent_path().string();
    UniqueFd dir(::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) ::fsync(dir.get());
    return "";
}

FileCountersStore::FileCountersStore(std::string stateDir)
    : stateDir_(std::move(stateDir)), root_(stateDir_ + "/counters") {}

std::optional<std::string> FileCountersStore::load(const std::string& modemId, std::string& why) {
    // Modem ids are [A-Za-z0-9_]: no path tricks possible.
    SmallFile file = readSmallFile(root_ + "/" + modemId, kMaxBytes);
    if (file) return std::move(file.content);
    why = file.failure == SmallFile::Failure::Absent ? "" : file.why;
    return std::nullopt;
}

void FileCountersStore::save(const std::string& modemId, const std::string& text) {
    std::string why;
    if (makePrivateDirectory(stateDir_, why) && makePrivateDirectory(root_, why))
        why = writeFileAtomically(root_ + "/" + modemId, text, 0600);
    if (!why.empty()) spdlog::error("[{}] counters not kept: {}", modemId, why);
}

std::optional<LinkBytes> readLinkBytes(const std::string& interface, const std::string& sysClassNet) {
    if (!isInterfaceName(interface)) return std::nullopt;
    const std::string base = sysClassNet + "/" + interface + "/statistics/";
    std::optional<uint64_t> in = readCounter(base + "rx_bytes");
    std::optional<uint64_t> out = readCounter(base + "tx_bytes");
    if (!in || !out) return std::nullopt;
    return LinkBytes{*in, *out};
}

}  // namespace dialupd
