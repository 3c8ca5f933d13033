// src/kcompat/smp.cpp - smp_processor_id(): the CPU the caller runs on, by its real id (U2).
//
// The engine's cmwq::core::current_cpu() answers it (sched_getcpu(), mapped to an online CPU), so
// kernel-style code and the engine always agree on "this CPU" when choosing a per-CPU pool.
#include "core/topology.hpp"

#include <linux/smp.h>

extern "C" {

int cmwq_smp_processor_id(void) { return cmwq::core::current_cpu(); }

}  // extern "C"
