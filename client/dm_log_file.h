// SPDX-License-Identifier: GPL-2.0-or-later
// `dialupctl log --qmdl FILE`: the DM log the daemon hands over as a descriptor (OpenDiagnosticLog)
// copied into a file of the user's, created 0600 (the raw DM log can hold the SIM's IMSI and the
// cells' ids), never over an existing file unless asked, never through a symbolic link.
#pragma once

#include <cstdint>
#include <string>

namespace dialupctl {

// Copies what `from` holds, from its start to its end, into a new file at `path` and returns the
// bytes written. `overwrite`: an existing file at `path` is replaced (removed, then created anew,
// so it is 0600 and the user's whatever it was). Throws ClientError (Failure) saying what failed;
// a file left half-written is removed.
uint64_t writeQmdlFile(int from, const std::string& path, bool overwrite);

}  // namespace dialupctl
