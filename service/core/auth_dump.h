// SPDX-License-Identifier: GPL-2.0-or-later
// With `debug`, pppd dumps every packet it sends and receives into its log, which becomes the
// call log any local user can read (Hangup, GetCallLogs). The authentication packets are the
// only places in that log where our password, or something a reader could test guesses
// against, is written. This hides exactly those fields, by where pppd prints them, never by
// looking for the password's text: a search for the value would also hide it wherever it
// equals something else (an APN of "internet" and a password of "internet"), and so tell the
// reader what the password is.
#pragma once

#include <string>
#include <string_view>

namespace dialupd {

// `line` with the secret fields of a pppd packet dump replaced by "<hidden>" (everything else
// as it was):
//   [PAP AuthReq id=0x1 user="alice" password=...]   the password (pppd itself prints
//                                                    <hidden> unless show-password is set)
//   [CHAP Response id=0x1 <hash>, name = "alice"]     MD5 or MS-CHAP hash of the password and
//                                                    the challenge dumped just before it
//   [CHAP Success id=0x1 "S=<authenticator> M=..."]   MS-CHAPv2's proof, also derived from it
//   [EAP Response id=0x1 MD5-Challenge <Value ...>]   EAP-MD5's hash, as CHAP's
// A challenge, a user name and every other line pass unchanged.
std::string hideAuthSecrets(std::string_view line);

}  // namespace dialupd
