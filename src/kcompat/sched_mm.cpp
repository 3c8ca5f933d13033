// src/kcompat/sched_mm.cpp - linux/sched/mm.h: the memory-reclaim scope on the engine's per-thread
// flag, which the flush paths read (semantics.md 7.3, core::check_flush_dependency()).
#include <linux/sched/mm.h>

#include "core/context.hpp"

using namespace cmwq;

extern "C" {

unsigned int memalloc_noreclaim_save(void) { return core::memalloc_save() ? PF_MEMALLOC : 0U; }

void memalloc_noreclaim_restore(unsigned int flags) { core::memalloc_restore((flags & PF_MEMALLOC) != 0); }

}  // extern "C"
