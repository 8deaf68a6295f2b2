// SPDX-License-Identifier: GPL-2.0-or-later
#include "modem_states.h"

#include <fmt/format.h>

namespace dialupd {

std::string_view toString(ModemState state) {
    switch (state) {
        case ModemState::Unavailable:
            return "unavailable";
        case ModemState::Disconnected:
            return "disconnected";
        case ModemState::Connecting:
            return "connecting";
        case ModemState::Connected:
            return "connected";
        case ModemState::Disconnecting:
            return "disconnecting";
        case ModemState::Resetting:
            return "resetting";
    }
    return "unknown";
}

const ModemTransition* findTransition(ModemState from, ModemState to) {
    for (const ModemTransition& transition : kModemTransitions)
        if (transition.from == from && transition.to == to) return &transition;
    return nullptr;
}

void refuseIfTheStateSaysSo(ModemRequest request, ModemState state, std::string_view modemId) {
    for (const ModemRefusal& refusal : kModemRefusals)
        if (refusal.request == request && refusal.state == state)
            throw Error(refusal.error, fmt::format(fmt::runtime(refusal.message), fmt::arg("id", modemId),
                                                   fmt::arg("state", toString(state))));
}

}  // namespace dialupd
