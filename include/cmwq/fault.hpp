// include/cmwq/fault.hpp - fault injection: make cmwq fail, stall or be interrupted on purpose.
//
//   cmwq::fault::inject()    turn fault points on or off with a text spec
//   cmwq::fault::injected()  how many faults a point has injected
//   cmwq::fault::reset()     every point off
//
// For tests of code built on cmwq: what does my driver do when try_spawn() cannot allocate, when
// a worker cannot be started, when the timer thread is late, when a wait wakes for no reason or a
// signal interrupts it? Points, keys and the spec syntax are those of the C header
// <linux/fault-inject.h> and of the CMWQ_FAULT_INJECT environment variable (docs/faults.md):
//
//   cmwq::fault::inject("spawn_alloc:probability=50,spurious_wakeup");
//
// Every call is thread-safe and never blocks for long. Injection is always compiled in; a point
// that is off costs one relaxed load where it is checked.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace cmwq::fault {

// cmwq::fault::inject()
//
// Applies `spec`. Returns an empty error_code, or std::errc::invalid_argument for a bad spec,
// after logging what is wrong ("fault injection: ..."); nothing has changed then.
std::error_code inject(std::string_view spec) noexcept;

// cmwq::fault::injected()
//
// Faults injected at `point` since it was last set (0 for an unknown name). A test asserts it is
// non-zero, so that it cannot pass without the fault having happened.
std::uint64_t injected(std::string_view point) noexcept;

// cmwq::fault::reset()
//
// Every point off, every counter zero.
void reset() noexcept;

}  // namespace cmwq::fault
