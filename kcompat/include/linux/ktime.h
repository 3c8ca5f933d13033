/* SPDX-License-Identifier: MIT */
/*
 * linux/ktime.h - nanosecond time values and the clocks that give them.
 *
 *   ktime_t                    signed 64-bit nanoseconds (s64), as in the kernel
 *   ktime_get()                CLOCK_MONOTONIC          ktime_get_ns(), ktime_get_us()...
 *   ktime_get_real()           CLOCK_REALTIME           ktime_get_real_ns()
 *   ktime_get_boottime()       CLOCK_BOOTTIME           ktime_get_boottime_ns()
 *   ktime_get_raw()            CLOCK_MONOTONIC_RAW      ktime_get_raw_ns()
 *   ktime_set(), ktime_add(), ktime_sub(), ktime_add_ns(), ktime_sub_ns(), ktime_add_us(),
 *   ktime_add_ms(), ktime_compare(), ktime_after(), ktime_before(), ktime_to_ns(),
 *   ktime_to_us(), ktime_to_ms(), ns_to_ktime(), us_to_ktime(), ms_to_ktime(),
 *   ktime_us_delta(), ktime_ms_delta(), ktime_divns()
 *
 * Brings in, as the kernel's does: linux/jiffies.h (and through it linux/types.h). The clocks are
 * callable from any context and never sleep; the arithmetic is inline.
 */
#ifndef CMWQ_LINUX_KTIME_H
#define CMWQ_LINUX_KTIME_H

#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/types.h>
/* What the kernel's <linux/ktime.h> brings in as well (kernel code relies on it). */
#include <linux/bug.h>

typedef s64 ktime_t;

#define KTIME_MAX ((s64)~((u64)1 << 63))
#define KTIME_MIN (-KTIME_MAX - 1)
#define KTIME_SEC_MAX (KTIME_MAX / NSEC_PER_SEC)

CMWQ_EXTERN_C_BEGIN

/* ktime_get - CLOCK_MONOTONIC now. Context: any; never sleeps. */
ktime_t ktime_get(void);
/* ktime_get_real - CLOCK_REALTIME now (wall clock; may jump). Context: any. */
ktime_t ktime_get_real(void);
/* ktime_get_boottime - CLOCK_BOOTTIME now (monotonic, counts suspend). Context: any. */
ktime_t ktime_get_boottime(void);
/* ktime_get_raw - CLOCK_MONOTONIC_RAW now (not slewed by NTP). Context: any. */
ktime_t ktime_get_raw(void);

CMWQ_EXTERN_C_END

/* ktime_set - the time @secs seconds and @nsecs nanoseconds (saturates at KTIME_MAX). */
static inline ktime_t ktime_set(const s64 secs, const unsigned long nsecs)
{
	if (unlikely(secs >= KTIME_SEC_MAX))
		return KTIME_MAX;
	return secs * NSEC_PER_SEC + (s64)nsecs;
}

#define ktime_sub(lhs, rhs) ((lhs) - (rhs))
#define ktime_add(lhs, rhs) ((lhs) + (rhs))
#define ktime_add_unsafe(lhs, rhs) ((u64)(lhs) + (rhs))
#define ktime_add_ns(kt, nsval) ((kt) + (nsval))
#define ktime_sub_ns(kt, nsval) ((kt) - (nsval))

static inline s64 ktime_to_ns(const ktime_t kt)
{
	return kt;
}
static inline ktime_t ns_to_ktime(u64 ns)
{
	return (ktime_t)ns;
}
static inline ktime_t us_to_ktime(u64 us)
{
	return (ktime_t)(us * NSEC_PER_USEC);
}
static inline ktime_t ms_to_ktime(u64 ms)
{
	return (ktime_t)(ms * NSEC_PER_MSEC);
}
/* ktime_divns - @kt divided by @div nanoseconds (truncated toward zero). */
static inline s64 ktime_divns(const ktime_t kt, s64 div)
{
	return kt / div;
}
static inline s64 ktime_to_us(const ktime_t kt)
{
	return ktime_divns(kt, NSEC_PER_USEC);
}
static inline s64 ktime_to_ms(const ktime_t kt)
{
	return ktime_divns(kt, NSEC_PER_MSEC);
}
static inline s64 ktime_us_delta(const ktime_t later, const ktime_t earlier)
{
	return ktime_to_us(ktime_sub(later, earlier));
}
static inline s64 ktime_ms_delta(const ktime_t later, const ktime_t earlier)
{
	return ktime_to_ms(ktime_sub(later, earlier));
}
static inline ktime_t ktime_add_us(const ktime_t kt, const u64 usec)
{
	return ktime_add_ns(kt, (ktime_t)(usec * NSEC_PER_USEC));
}
static inline ktime_t ktime_add_ms(const ktime_t kt, const u64 msec)
{
	return ktime_add_ns(kt, (ktime_t)(msec * NSEC_PER_MSEC));
}
static inline ktime_t ktime_sub_us(const ktime_t kt, const u64 usec)
{
	return ktime_sub_ns(kt, (ktime_t)(usec * NSEC_PER_USEC));
}
/* ktime_compare - <0, 0 or >0 as @cmp1 is before, equal to or after @cmp2. */
static inline int ktime_compare(const ktime_t cmp1, const ktime_t cmp2)
{
	return cmp1 < cmp2 ? -1 : cmp1 > cmp2 ? 1 : 0;
}
static inline bool ktime_after(const ktime_t cmp1, const ktime_t cmp2)
{
	return ktime_compare(cmp1, cmp2) > 0;
}
static inline bool ktime_before(const ktime_t cmp1, const ktime_t cmp2)
{
	return ktime_compare(cmp1, cmp2) < 0;
}

static inline u64 ktime_get_ns(void)
{
	return (u64)ktime_to_ns(ktime_get());
}
static inline u64 ktime_get_real_ns(void)
{
	return (u64)ktime_to_ns(ktime_get_real());
}
static inline u64 ktime_get_boottime_ns(void)
{
	return (u64)ktime_to_ns(ktime_get_boottime());
}
static inline u64 ktime_get_raw_ns(void)
{
	return (u64)ktime_to_ns(ktime_get_raw());
}
static inline u64 ktime_get_mono_fast_ns(void)
{
	return ktime_get_ns();
}
static inline s64 ktime_get_seconds(void)
{
	return ktime_divns(ktime_get(), NSEC_PER_SEC);
}
static inline s64 ktime_get_real_seconds(void)
{
	return ktime_divns(ktime_get_real(), NSEC_PER_SEC);
}

#endif /* CMWQ_LINUX_KTIME_H */
