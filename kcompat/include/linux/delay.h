/* SPDX-License-Identifier: MIT */
/*
 * linux/delay.h - sleeping and busy-waiting delays.
 *
 *   msleep(ms), ssleep(s), usleep_range(min_us, max_us), fsleep(us), msleep_interruptible(ms)
 *       sleep for at least the time given. They may sleep: each checks might_sleep() (a WARNING in
 *       hard-IRQ, softirq or atomic context, after which it still sleeps) and tells the
 *       concurrency manager that a worker blocks (semantics.md 5.15), so a per-CPU pool starts
 *       another item meanwhile.
 *   udelay(us), ndelay(ns), mdelay(ms)
 *       busy-wait on CLOCK_MONOTONIC for at least the time given; never sleep, allowed in any
 *       context, and look to the concurrency manager like CPU work (as in the kernel).
 *
 * Signals never cut a sleep short: msleep_interruptible() always returns 0 (no time left).
 */
#ifndef CMWQ_LINUX_DELAY_H
#define CMWQ_LINUX_DELAY_H

#include <linux/compiler.h>
/* What the kernel's <linux/delay.h> brings in as well (kernel code relies on it). */
#include <linux/jiffies.h>
#include <linux/sched.h>

CMWQ_EXTERN_C_BEGIN

void msleep(unsigned int msecs);
unsigned long msleep_interruptible(unsigned int msecs);
void ssleep(unsigned int seconds);
void usleep_range(unsigned long min, unsigned long max);
void usleep_range_idle(unsigned long min, unsigned long max);
/* fsleep - sleep @usecs the cheapest way: busy-wait up to 10 us, sleep beyond. */
void fsleep(unsigned long usecs);

void ndelay(unsigned long nsecs);
void udelay(unsigned long usecs);
void mdelay(unsigned long msecs);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_DELAY_H */
