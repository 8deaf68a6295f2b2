#include "modem_states.h"

namespace dialupd {

std::string_view toString(ModemState state) {
    switch (state) {
    case ModemState::Unavailable: return "unavailable";
    case ModemState::Disconnected: return "disconnected";
    case ModemState::Connecting: return "connecting";
    case ModemState::Connected: return "connected";
    case ModemState::Disconnecting: return "disconnecting";
    case ModemState::Resetting: return "resetting";
    }
    return "unknown";
}

}  // namespace dialupd
