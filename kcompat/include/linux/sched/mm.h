/* SPDX-License-Identifier: MIT */
/*
 * linux/sched/mm.h - the calling thread's memory-reclaim scope (the kernel's PF_MEMALLOC).
 *
 *   memalloc_noreclaim_save()     mark the calling thread as working to free memory
 *   memalloc_noreclaim_restore()  end that scope, restoring what save() returned
 *
 * In the kernel a task that reclaims memory runs with PF_MEMALLOC, and flushing a workqueue without
 * WQ_MEM_RECLAIM from there can deadlock: that queue may need a new worker, hence memory, to make
 * progress. cmwq has no reclaim of its own, but code that models it marks the scope the same way,
 * and flush_work(), flush_workqueue(), drain_workqueue() and destroy_workqueue() of a queue without
 * WQ_MEM_RECLAIM that has work to wait for then warn once per process (semantics.md 7.3):
 *   workqueue: PF_MEMALLOC task <tid>(<thread name>) is flushing !WQ_MEM_RECLAIM <wq>:<function>
 * The flag is per thread; scopes nest. Compiles as C11 (gcc -std=gnu11) and as C++.
 */
#ifndef CMWQ_LINUX_SCHED_MM_H
#define CMWQ_LINUX_SCHED_MM_H

#include <linux/compiler.h>

/* The task flag the scope sets; memalloc_noreclaim_save() returns it or 0. */
#define PF_MEMALLOC 0x00000800

CMWQ_EXTERN_C_BEGIN

/*
 * memalloc_noreclaim_save - enter a memory-reclaim scope on the calling thread
 * Context: any. Never sleeps.
 * Return: PF_MEMALLOC if the thread was already in such a scope, else 0: pass it to
 * memalloc_noreclaim_restore().
 */
unsigned int memalloc_noreclaim_save(void);

/* memalloc_noreclaim_restore - leave the scope: @flags is what the matching save() returned. */
void memalloc_noreclaim_restore(unsigned int flags);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_SCHED_MM_H */
