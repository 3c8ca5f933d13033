/* SPDX-License-Identifier: MIT */
/*
 * linux/kernel.h - the kernel's grab bag, on top of the system's <linux/kernel.h>.
 *
 * glibc's <sys/sysinfo.h> includes this name, so the system file comes first (design.md, "A trap
 * in the kernel-style headers"); everything below only adds to it. Brings in, as the kernel's
 * does: linux/types.h, linux/stddef.h, linux/limits.h and <limits.h>, linux/compiler.h,
 * linux/printk.h (printk, pr_*), linux/bug.h (WARN_ON, BUG_ON), linux/minmax.h (min, max, clamp),
 * linux/preempt.h (in_interrupt, might_sleep's backend).
 *
 * Defines: container_of(), ARRAY_SIZE(), might_sleep(), might_sleep_if(), cant_sleep(),
 * DIV_ROUND_UP(), round_up(), round_down(), roundup(), rounddown(), ALIGN(), IS_ALIGNED(),
 * upper_32_bits(), lower_32_bits(), __stringify().
 */
#include_next <linux/kernel.h>

#ifndef CMWQ_LINUX_KERNEL_H
#define CMWQ_LINUX_KERNEL_H

#include <limits.h>

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/stddef.h>
#include <linux/types.h>

/*
 * container_of - the structure that embeds @ptr as its @member
 * @ptr: pointer to the member
 * @type: type of the containing structure
 * @member: name of the member within @type
 */
#ifndef container_of
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

/* ARRAY_SIZE - number of elements of an array (not a pointer!). */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#endif

/*
 * might_sleep - annotation for code that may sleep
 * Warns (a counted WARNING) when called in hard-IRQ or softirq context or with preemption
 * disabled (under a spinlock, after get_cpu(), ...). Every sleeping compat call makes this check.
 */
#ifdef __cplusplus
/* In C++ a function, so that the engine's cmwq::core::might_sleep(const char *) stays usable. */
static inline void might_sleep(const char *caller = __builtin_FUNCTION())
{
	(void)cmwq_might_sleep(caller);
}
#else
#define might_sleep() ((void)cmwq_might_sleep(__func__))
#endif
#define might_sleep_if(cond)                     \
	do {                                     \
		if (cond)                        \
			might_sleep();           \
	} while (0)
#define might_resched() do { } while (0)
/* cant_sleep - annotation for code that must run in atomic context; warns outside it. */
#define cant_sleep() ((void)WARN_ON_ONCE(!in_atomic()))

#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define DIV_ROUND_UP_ULL(ll, d) DIV_ROUND_UP((unsigned long long)(ll), (d))
#define DIV_ROUND_CLOSEST(x, divisor) (((x) + ((divisor) / 2)) / (divisor))
/* round_up/round_down: @y must be a power of two. roundup/rounddown: any @y. */
#define round_up(x, y) ((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define round_down(x, y) ((x) & ~((__typeof__(x))((y) - 1)))
#define roundup(x, y) ((((x) + ((y) - 1)) / (y)) * (y))
#define rounddown(x, y) ((x) - ((x) % (y)))
#ifndef ALIGN
#define ALIGN(x, a) (((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#endif
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define PTR_ALIGN(p, a) ((__typeof__(p))ALIGN((unsigned long)(p), (a)))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

#define upper_32_bits(n) ((u32)(((n) >> 16) >> 16))
#define lower_32_bits(n) ((u32)((n) & 0xffffffff))

#ifndef __stringify
#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)
#endif

#endif /* CMWQ_LINUX_KERNEL_H */
