// SPDX-License-Identifier: GPL-2.0-or-later
// A module's serial port as dialupd talks to it outside a call (the AT port, the DM port): raw
// bytes, 115200 baud, no modem-control lines, nothing translated.
#pragma once

namespace dialupd {

// Puts the open tty `fd` in raw mode and discards `flushQueue` (TCIFLUSH, TCIOFLUSH): what
// the port held from before must not count as an answer. A tty that will not say its
// settings (tcgetattr fails: not a tty after all) is left as it is.
void makeRawTty(int fd, int flushQueue);

}  // namespace dialupd
