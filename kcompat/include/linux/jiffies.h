/* SPDX-License-Identifier: MIT */
/*
 * linux/jiffies.h - the kernel's tick counter and its wrap-safe comparisons (semantics.md U1).
 *
 *   HZ                 1000: one jiffy is one millisecond.
 *   jiffies            a live value: milliseconds of CLOCK_MONOTONIC since an arbitrary origin,
 *                      an unsigned long that wraps (read through cmwq_jiffies(); not assignable).
 *   time_after(a, b)   true if jiffy a is later than b, correct across a wrap as long as the two
 *                      are less than LONG_MAX jiffies apart; also time_before(), time_after_eq(),
 *                      time_before_eq(), time_in_range(), time_is_before_jiffies(), ...
 *   msecs_to_jiffies(), usecs_to_jiffies(), nsecs_to_jiffies(), jiffies_to_msecs(),
 *   jiffies_to_usecs(), get_jiffies_64()
 *
 * Every call is exported and never sleeps.
 */
#ifndef CMWQ_LINUX_JIFFIES_H
#define CMWQ_LINUX_JIFFIES_H

#include <limits.h> /* INT_MAX and friends: the kernel's linux/limits.h has them, ours cannot */

#include <linux/compiler.h>
#include <linux/types.h>
/* What the kernel's <linux/jiffies.h> brings in as well (kernel code relies on it). */
#include <linux/limits.h>
#include <linux/minmax.h>

/* <sys/param.h> (through asm/param.h) may have defined the user-space HZ of 100 already. */
#ifdef HZ
#undef HZ
#endif
#define HZ 1000
#define USER_HZ 100
#define CONFIG_HZ 1000
#define MSEC_PER_SEC 1000L
#define USEC_PER_MSEC 1000L
#define NSEC_PER_USEC 1000L
#define NSEC_PER_MSEC 1000000L
#define USEC_PER_SEC 1000000L
#define NSEC_PER_SEC 1000000000L

/* The longest timeout the conversions return: LONG_MAX / 2 - 1 jiffies. */
#define MAX_JIFFY_OFFSET ((long)((~0UL >> 1) >> 1) - 1)

CMWQ_EXTERN_C_BEGIN

/* cmwq_jiffies - the current jiffy count (the value of `jiffies`). */
unsigned long cmwq_jiffies(void);
/* get_jiffies_64 - the same as a 64-bit value (unsigned long is 64 bits on cmwq's targets). */
u64 get_jiffies_64(void);

/* Conversions round up to whole jiffies; inputs that are negative as int give MAX_JIFFY_OFFSET. */
unsigned long msecs_to_jiffies(const unsigned int m);
unsigned long usecs_to_jiffies(const unsigned int u);
unsigned long nsecs_to_jiffies(u64 n);
unsigned int jiffies_to_msecs(const unsigned long j);
unsigned int jiffies_to_usecs(const unsigned long j);
u64 jiffies_to_nsecs(const unsigned long j);
u64 jiffies64_to_msecs(u64 j);

CMWQ_EXTERN_C_END

#define jiffies (cmwq_jiffies())
#define jiffies_64 (get_jiffies_64())

#define time_after(a, b) ((long)((unsigned long)(b) - (unsigned long)(a)) < 0)
#define time_before(a, b) time_after(b, a)
#define time_after_eq(a, b) ((long)((unsigned long)(a) - (unsigned long)(b)) >= 0)
#define time_before_eq(a, b) time_after_eq(b, a)
/* time_in_range - @a lies in [@b, @c]. time_in_range_open - in [@b, @c). */
#define time_in_range(a, b, c) (time_after_eq(a, b) && time_before_eq(a, c))
#define time_in_range_open(a, b, c) (time_after_eq(a, b) && time_before(a, c))

#define time_after64(a, b) ((s64)((u64)(b) - (u64)(a)) < 0)
#define time_before64(a, b) time_after64(b, a)
#define time_after_eq64(a, b) ((s64)((u64)(a) - (u64)(b)) >= 0)
#define time_before_eq64(a, b) time_after_eq64(b, a)

#define time_is_before_jiffies(a) time_after(jiffies, a)
#define time_is_after_jiffies(a) time_before(jiffies, a)
#define time_is_before_eq_jiffies(a) time_after_eq(jiffies, a)
#define time_is_after_eq_jiffies(a) time_before_eq(jiffies, a)

#endif /* CMWQ_LINUX_JIFFIES_H */
