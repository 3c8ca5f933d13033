// src/lockdep/reclaim.cpp - the fs_reclaim pseudo-lock.
//
// The problem: an allocation that may enter memory reclaim can wait for anything reclaim waits
// for (writeback, shrinkers, and - for a queue used in reclaim paths - that queue's items). The
// kernel teaches lockdep this with one pseudo-lock, fs_reclaim, that such an allocation takes
// for a moment; a reclaim path holds it while it runs. The approach here is the same, with the
// same class name, so reports read like the kernel's. Which allocations count (GFP_KERNEL and
// friends, not GFP_ATOMIC/GFP_NOWAIT, never inside memalloc_noreclaim_save()) is the
// allocator's decision (src/kcompat/slab.cpp).
#include "lockdep/reclaim.hpp"

namespace cmwq::lockdep {

namespace {
const char fs_reclaim_key = 0;  // only its address is used
}  // namespace

const map fs_reclaim_map{&fs_reclaim_key, "fs_reclaim"};

}  // namespace cmwq::lockdep
