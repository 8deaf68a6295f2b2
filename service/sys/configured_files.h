// SPDX-License-Identifier: GPL-2.0-or-later
// The files dialupd hands to pppd or runs (the `plugin`, `pppd` and `chat` keys), checked at
// start: a wrong path is then an error that names the file and its key, not an option-error
// at the first Connect.
#pragma once

#include <string>

namespace dialupd {

// "" when `path` is usable, else why not: "no such file", "a directory, not a regular file",
// "not executable" (no execute bit at all: whoever runs it, exec would fail).
std::string configuredFileProblem(const std::string& path, bool mustBeExecutable);

}  // namespace dialupd
