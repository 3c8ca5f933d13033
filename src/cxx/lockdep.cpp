// src/cxx/lockdep.cpp - include/cmwq/lockdep.hpp: the C++ door to the validator in src/lockdep.
//
// Thin: the inline lock wrappers test the switch themselves and call here only while lockdep is
// on; each call forwards to the engine's validator.
#include <cmwq/lockdep.hpp>

#include "core/warn.hpp"
#include "lockdep/lockdep.hpp"

namespace cmwq {

bool lockdep::enabled() noexcept { return lockdep::active(); }

void detail::lockdep_acquire(const void* lock, const void* key, const char* name, unsigned subclass, bool trylock,
                             int mode, std::uintptr_t ip) noexcept {
  lockdep::acquire(lock, key, name, subclass, trylock, static_cast<lockdep::mode>(mode), ip);
}

void detail::lockdep_release(const void* lock) noexcept { lockdep::release(lock); }

bool detail::lockdep_held(const void* lock) noexcept { return lockdep::is_held(lock); }

void detail::lockdep_check_held(const void* lock, const char* name, bool held, const char* file,
                                 unsigned line) noexcept {
  if (held)
    lockdep::assert_held(lock, name, file, static_cast<int>(line));
  else
    lockdep::assert_not_held(lock, name, file, static_cast<int>(line));
}

}  // namespace cmwq
