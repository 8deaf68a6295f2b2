// SPDX-License-Identifier: GPL-2.0-or-later
// /org/dialupd1: the ObjectManager under which every modem object is announced.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include "core/bus_names.h"

namespace dialupd {

class ObjectManagerAdaptor final : public sdbus::AdaptorInterfaces<sdbus::ObjectManager_adaptor> {
public:
    explicit ObjectManagerAdaptor(sdbus::IConnection& connection) : AdaptorInterfaces(connection, kRootPath) {
        registerAdaptor();
    }
    ~ObjectManagerAdaptor() { unregisterAdaptor(); }
};

}  // namespace dialupd
