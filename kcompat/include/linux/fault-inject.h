/* SPDX-License-Identifier: MIT */
/*
 * linux/fault-inject.h - cmwq's fault injection, from C (cmwq extensions; docs/faults.md).
 *
 *   cmwq_fault_inject()    turn fault points on or off with a text spec
 *   cmwq_fault_injected()  how many faults a point has injected
 *   cmwq_fault_reset()     every point off
 *
 * The kernel's fault-injection framework (failslab, fail_page_alloc, ...) makes chosen calls fail
 * so that error paths run in testing. cmwq has the same switches for its own points:
 *
 *   worker_create    a pool cannot start a worker (rescuers then keep WQ_MEM_RECLAIM queues going)
 *   wq_alloc         alloc_workqueue() cannot allocate the queue, a pwq, the rescuer or its thread
 *   spawn_alloc      try_spawn() (C++) cannot allocate its closure
 *   devres           devres registrations fail (devm_*() return NULL / -ENOMEM)
 *   slab             kmalloc() and friends return NULL (not with __GFP_NOFAIL)
 *   timer_stall      the timer thread stalls for delay_us before expiries and before a callback
 *   spurious_wakeup  every kind of wait returns from its sleep without being woken
 *   signal           every period_us, SIGURG goes to each thread of the process (waits see EINTR)
 *
 * A spec is a list of items separated by commas, semicolons or blanks: "off" (every point off)
 * or "point[:key=value]...", keys probability (percent, fractions allowed; default 100),
 * interval (only every Nth call may fail; default 1), times (failures in all, -1 = no limit;
 * default -1), verbose (0/1: log each injected fault), delay_us (timer_stall; default 100000)
 * and period_us (signal; default 1000). Each point named is set in full and its counter restarts;
 * the others keep their settings. Example: "slab:probability=10:times=5,spurious_wakeup:probability=50".
 *
 * The environment variable CMWQ_FAULT_INJECT takes the same spec and is applied at start-up, before
 * any call here. Every call is thread-safe and never sleeps for long; none may be called from hard
 * interrupt context. Compiles as C11 (gcc -std=gnu11) and as C++.
 */
#ifndef CMWQ_LINUX_FAULT_INJECT_H
#define CMWQ_LINUX_FAULT_INJECT_H

/* What the kernel's <linux/fault-inject.h> brings in as well (kernel code relies on it). */
#include <linux/atomic.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * cmwq_fault_inject - apply @spec (see above).
 * Return: 0; or -EINVAL for a NULL or bad spec, with a log line saying what is wrong
 * ("fault injection: ..."), and then nothing has changed.
 */
int cmwq_fault_inject(const char *spec);

/* cmwq_fault_injected - faults injected at @point since it was last set; 0 for an unknown name. */
unsigned long cmwq_fault_injected(const char *point);

/* cmwq_fault_reset - every fault point off, every counter zero. */
void cmwq_fault_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* CMWQ_LINUX_FAULT_INJECT_H */
