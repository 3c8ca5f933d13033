// src/lockdep/reclaim.hpp - the fs_reclaim pseudo-lock (see reclaim.cpp).
//
//   cmwq::lockdep::fs_reclaim_map    its class; the map's address is the held instance.
//   cmwq::lockdep::fs_reclaim_acquire()/release()  around a path that may enter reclaim.
#pragma once

#include "lockdep/lockdep.hpp"

namespace cmwq::lockdep {

extern const map fs_reclaim_map;

inline void fs_reclaim_acquire(std::uintptr_t ip) noexcept {
  if (active()) acquire(&fs_reclaim_map, fs_reclaim_map.key, fs_reclaim_map.name, 0, false, mode::exclusive, ip);
}
inline void fs_reclaim_release() noexcept {
  if (active()) release(&fs_reclaim_map);
}

}  // namespace cmwq::lockdep
