/* SPDX-License-Identifier: MIT */
/*
 * linux/smp.h - which CPU the caller runs on.
 *
 *   smp_processor_id(), raw_smp_processor_id()  the CPU the calling thread runs on now, by its
 *       real id (semantics.md U2); always an online CPU. Kworkers of a per-CPU pool are pinned, so
 *       for them it is their pool's CPU. For other threads it is a snapshot: the OS may migrate
 *       them at any time (user space cannot disable preemption).
 *   get_cpu()/put_cpu()  smp_processor_id() inside a preempt_disable()/preempt_enable() pair: the
 *       caller is in atomic context in between and must not sleep.
 *   smp_mb(), smp_rmb(), smp_wmb()  from linux/compiler.h.
 */
#ifndef CMWQ_LINUX_SMP_H
#define CMWQ_LINUX_SMP_H

#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/preempt.h>
/* What the kernel's <linux/smp.h> brings in as well (kernel code relies on it). */
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/types.h>

CMWQ_EXTERN_C_BEGIN

/* cmwq_smp_processor_id - the calling thread's current CPU (an online CPU id). Never sleeps. */
int cmwq_smp_processor_id(void);

CMWQ_EXTERN_C_END

/* Inline functions rather than the kernel's macros, for the reason given in linux/preempt.h. */
static inline int smp_processor_id(void)
{
	return cmwq_smp_processor_id();
}
static inline int raw_smp_processor_id(void)
{
	return cmwq_smp_processor_id();
}
static inline int get_cpu(void)
{
	cmwq_preempt_disable();
	return cmwq_smp_processor_id();
}
static inline void put_cpu(void)
{
	cmwq_preempt_enable();
}

#endif /* CMWQ_LINUX_SMP_H */
