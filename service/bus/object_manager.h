// /org/dialupd1: the ObjectManager under which every modem object is announced.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

namespace dialupd {

inline constexpr const char* kBusName = "org.dialupd1";
inline constexpr const char* kRootPath = "/org/dialupd1";

class ObjectManagerAdaptor final : public sdbus::AdaptorInterfaces<sdbus::ObjectManager_adaptor> {
public:
    explicit ObjectManagerAdaptor(sdbus::IConnection& connection) : AdaptorInterfaces(connection, kRootPath) {
        registerAdaptor();
    }
    ~ObjectManagerAdaptor() { unregisterAdaptor(); }
};

}  // namespace dialupd
