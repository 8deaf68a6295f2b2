// SPDX-License-Identifier: GPL-2.0-or-later
#include "password.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "exit_status.h"

namespace dialupctl {

namespace {

std::string firstLine(std::istream& in) {
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

}  // namespace

std::string readPasswordFile(const std::string& path, const std::string& what) {
    if (path == "-") return firstLine(std::cin);
    std::ifstream file(path);
    if (!file)
        throw ClientError(ExitStatus::Usage, "cannot read " + what + " file " + path + ": " + std::strerror(errno));
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 0044))
        std::cerr << "dialupctl: warning: other users can read " << path << " (chmod 600 " << path << ")\n";
    return firstLine(file);
}

std::string promptPassword(const std::string& prompt) {
    const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (tty < 0)
        throw ClientError(ExitStatus::Usage, "no terminal to ask for the password on: use --password-file FILE");
    termios saved{};
    const bool isTerminal = ::tcgetattr(tty, &saved) == 0;
    if (isTerminal) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        ::tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    (void)!::write(tty, prompt.data(), prompt.size());
    std::string password;
    char byte = 0;
    ssize_t got = 0;
    while ((got = ::read(tty, &byte, 1)) == 1 && byte != '\n') password += byte;
    if (isTerminal) ::tcsetattr(tty, TCSAFLUSH, &saved);
    ::close(tty);
    if (got < 0) throw ClientError(ExitStatus::Usage, std::string("reading the password: ") + std::strerror(errno));
    if (!password.empty() && password.back() == '\r') password.pop_back();
    return password;
}

}  // namespace dialupctl
