/* SPDX-License-Identifier: MIT */
/*
 * linux/timer.h - kernel timers (struct timer_list) on cmwq's timing wheel, the same machinery
 * that delayed work uses.
 *
 * Callbacks run on cmwq's timer thread, one at a time, in softirq-like context.
 */
#ifndef CMWQ_LINUX_TIMER_H
#define CMWQ_LINUX_TIMER_H

#include <linux/compiler.h>
#include <linux/types.h>

struct timer_list {
	struct hlist_node entry;
	unsigned long expires;
	void (*function)(struct timer_list *);
	u32 flags;
};

#define TIMER_DEFERRABLE 0x00080000
#define TIMER_PINNED 0x00100000
#define TIMER_IRQSAFE 0x00200000

CMWQ_EXTERN_C_BEGIN

void cmwq_timer_setup(struct timer_list *timer, void (*func)(struct timer_list *), unsigned int flags);

CMWQ_EXTERN_C_END

#define timer_setup(timer, callback, flags) cmwq_timer_setup((timer), (callback), (flags))

#endif /* CMWQ_LINUX_TIMER_H */
