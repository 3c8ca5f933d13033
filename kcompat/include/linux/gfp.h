/* SPDX-License-Identifier: MIT */
/*
 * linux/gfp.h - allocation flags ("get free pages" flags) for kmalloc() and friends.
 *
 * Only the flags that change cmwq's behaviour act: __GFP_DIRECT_RECLAIM says the allocation may
 * sleep (so might_sleep() checks it: GFP_KERNEL in hard-IRQ or atomic context warns), and
 * __GFP_ZERO zeroes the memory. The rest are accepted and recorded for lockdep-style checks.
 * The bit values are cmwq's own; only the names and their meanings follow the kernel.
 */
#ifndef CMWQ_LINUX_GFP_H
#define CMWQ_LINUX_GFP_H

#include <linux/compiler.h>
#include <linux/types.h>

#define __GFP_HIGH 0x20u
#define __GFP_IO 0x40u
#define __GFP_FS 0x80u
#define __GFP_ZERO 0x100u
#define __GFP_DIRECT_RECLAIM 0x400u
#define __GFP_KSWAPD_RECLAIM 0x800u
#define __GFP_NOWARN 0x2000u
#define __GFP_RETRY_MAYFAIL 0x4000u
#define __GFP_NOFAIL 0x8000u
#define __GFP_NORETRY 0x10000u
#define __GFP_NOMEMALLOC 0x80000u
#define __GFP_ACCOUNT 0x400000u
#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)

/* Interrupt handlers and other non-sleeping contexts; may use emergency reserves. */
#define GFP_ATOMIC (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
/* Ordinary allocations in process context: may sleep. */
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
/* Must not sleep, and does not dip into reserves. */
#define GFP_NOWAIT (__GFP_KSWAPD_RECLAIM)
/* May sleep, but must not start I/O (GFP_NOIO) or call into the file system (GFP_NOFS). */
#define GFP_NOIO (__GFP_RECLAIM)
#define GFP_NOFS (__GFP_RECLAIM | __GFP_IO)
#define GFP_USER (__GFP_RECLAIM | __GFP_IO | __GFP_FS)

/* gfpflags_allow_blocking - true if an allocation with @gfp_flags may sleep. */
static inline bool gfpflags_allow_blocking(const gfp_t gfp_flags)
{
	return (gfp_flags & __GFP_DIRECT_RECLAIM) != 0;
}

#endif /* CMWQ_LINUX_GFP_H */
