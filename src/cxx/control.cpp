// src/cxx/control.cpp - cmwq::control, the C++ door of core/control_server.hpp.
#include <cmwq/control.hpp>

#include "core/control_server.hpp"

namespace cmwq::control {

std::error_code start() noexcept {
  const int err = core::control_start();
  return err ? std::error_code(-err, std::generic_category()) : std::error_code();
}
void stop() noexcept { core::control_stop(); }
std::string socket_path() { return core::control_socket_path(); }

}  // namespace cmwq::control
