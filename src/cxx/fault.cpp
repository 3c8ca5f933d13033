// src/cxx/fault.cpp - cmwq::fault, the C++ face of the engine's fault points (core/fault.hpp).
#include <cmwq/fault.hpp>

#include "core/fault.hpp"

namespace cmwq::fault {

std::error_code inject(std::string_view spec) noexcept {
  return core::fault_inject(spec) ? std::error_code{} : std::make_error_code(std::errc::invalid_argument);
}

std::uint64_t injected(std::string_view point) noexcept {
  core::fault_point p;
  return core::fault_point_by_name(point, &p) ? core::fault_injected(p) : 0;
}

void reset() noexcept { core::fault_reset(); }

}  // namespace cmwq::fault
