// src/core/tracepoints.cpp - the semaphores of the USDT probes declared in tracepoints.hpp.
//
// A USDT probe with a semaphore is a nop in the code plus an ELF note (readelf -n: "stapsdt")
// naming the provider, the probe, its argument locations and the address of a counter. A tracer
// that attaches increments the counter; the probe site tests it first, so nothing is computed for
// a probe nobody watches. sys/sdt.h expects the counters under these exact names, in a section
// called .probes.
#include "tracepoints.hpp"

extern "C" {
__extension__ unsigned short cmwq_workqueue_queue_work_semaphore __attribute__((section(".probes"))) = 0;
__extension__ unsigned short cmwq_workqueue_activate_work_semaphore __attribute__((section(".probes"))) = 0;
__extension__ unsigned short cmwq_workqueue_execute_start_semaphore __attribute__((section(".probes"))) = 0;
__extension__ unsigned short cmwq_workqueue_execute_end_semaphore __attribute__((section(".probes"))) = 0;
}
