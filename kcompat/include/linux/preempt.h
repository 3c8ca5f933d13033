/* SPDX-License-Identifier: MIT */
/*
 * linux/preempt.h - the calling thread's context: preemption count, hard-IRQ and softirq state.
 *
 *   preempt_disable()/preempt_enable()  nest a per-thread count; while it is non-zero the thread is
 *                                       in atomic context (spin_lock() and get_cpu() raise it), so
 *                                       sleeping compat calls warn.
 *   preempt_count()                     the count (cmwq keeps only the preemption part in it).
 *   in_hardirq(), in_irq()              running a simulated hard-interrupt handler.
 *   in_softirq(), in_serving_softirq()  running in BH (softirq) context, e.g. a BH work item.
 *   in_interrupt()                      either of the two above.
 *   in_atomic()                         any of the above, or preemption disabled.
 *   in_task()                           not in interrupt context.
 *
 * The hard-IRQ and softirq marks belong to the engine (cmwq::core::hardirq_enter() and friends);
 * these calls read them. User space cannot really disable preemption: the count only records the
 * kernel's rule so that might_sleep() can enforce it.
 */
#ifndef CMWQ_LINUX_PREEMPT_H
#define CMWQ_LINUX_PREEMPT_H

#include <linux/compiler.h>
#include <linux/types.h>

CMWQ_EXTERN_C_BEGIN

/* cmwq_preempt_disable - raise the calling thread's preemption count. Never sleeps. */
void cmwq_preempt_disable(void);
/* cmwq_preempt_enable - lower it; warns (and stays at 0) if it is already 0. */
void cmwq_preempt_enable(void);
/* cmwq_preempt_count - the calling thread's preemption count (0 in ordinary task context). */
int cmwq_preempt_count(void);

bool cmwq_in_hardirq(void);
bool cmwq_in_softirq(void);
bool cmwq_in_interrupt(void);

/*
 * cmwq_might_sleep - the check behind might_sleep()
 * @func: the caller's name, for the report
 * Warns "BUG: sleeping function called from invalid context" (a counted WARNING) when the calling
 * thread is in hard-IRQ or softirq context or has preemption disabled.
 * Return: true if sleeping is allowed here.
 */
bool cmwq_might_sleep(const char *func);

CMWQ_EXTERN_C_END

/*
 * The kernel spells these as macros; here they are inline functions so that they cannot clash
 * with same-named C++ functions in other namespaces (the engine's cmwq::core::in_hardirq(), ...).
 */
static inline void preempt_disable(void)
{
	cmwq_preempt_disable();
}
static inline void preempt_enable(void)
{
	cmwq_preempt_enable();
}
static inline void preempt_enable_no_resched(void)
{
	cmwq_preempt_enable();
}
static inline int preempt_count(void)
{
	return cmwq_preempt_count();
}
static inline bool in_hardirq(void)
{
	return cmwq_in_hardirq();
}
static inline bool in_irq(void)
{
	return cmwq_in_hardirq();
}
static inline bool in_softirq(void)
{
	return cmwq_in_softirq();
}
static inline bool in_serving_softirq(void)
{
	return cmwq_in_softirq();
}
static inline bool in_interrupt(void)
{
	return cmwq_in_interrupt();
}
static inline bool in_task(void)
{
	return !cmwq_in_interrupt();
}
static inline bool in_atomic(void)
{
	return cmwq_preempt_count() != 0 || cmwq_in_interrupt();
}
static inline bool preemptible(void)
{
	return !in_atomic();
}

#endif /* CMWQ_LINUX_PREEMPT_H */
