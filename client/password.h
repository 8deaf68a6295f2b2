// SPDX-License-Identifier: GPL-2.0-or-later
// Where a password comes from: a file (or standard input) or a prompt on the terminal, never
// the command line, where every user could read it in /proc/PID/cmdline.
#pragma once

#include <string>

namespace dialupctl {

// The file's first line without its line ending; "-" reads standard input. Warns on stderr when
// other users may read the file. Throws ClientError(Usage) when it cannot be read.
std::string readPasswordFile(const std::string& path, const std::string& what = "password");

// Asks on /dev/tty with echo off. Throws ClientError(Usage) when there is no terminal.
std::string promptPassword(const std::string& prompt);

}  // namespace dialupctl
