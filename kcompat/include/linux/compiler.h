/* SPDX-License-Identifier: MIT */
/* linux/compiler.h - the kernel's attribute and branch-hint macros for user-space builds. */
#ifndef CMWQ_LINUX_COMPILER_H
#define CMWQ_LINUX_COMPILER_H

#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif
#ifndef __must_check
#define __must_check __attribute__((warn_unused_result))
#endif
#ifndef __maybe_unused
#define __maybe_unused __attribute__((unused))
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef noinline
#define noinline __attribute__((noinline))
#endif
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif
#ifndef READ_ONCE
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val) (*(volatile __typeof__(x) *)&(x) = (val))
#endif
#ifndef barrier
#define barrier() __asm__ __volatile__("" ::: "memory")
#endif

#ifdef __cplusplus
#define CMWQ_EXTERN_C_BEGIN extern "C" {
#define CMWQ_EXTERN_C_END }
#else
#define CMWQ_EXTERN_C_BEGIN
#define CMWQ_EXTERN_C_END
#endif

/* ---- added with the companion headers ------------------------------------------------------- */

#ifndef __cold
#define __cold __attribute__((cold))
#endif
#ifndef __noreturn
#define __noreturn __attribute__((noreturn))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((aligned(x)))
#endif
#ifndef __packed
#define __packed __attribute__((packed))
#endif
#ifndef __used
#define __used __attribute__((used))
#endif
#ifndef __weak
#define __weak __attribute__((weak))
#endif
#ifndef __always_unused
#define __always_unused __attribute__((unused))
#endif

/* A fresh identifier per expansion (prefix + counter), for locals inside macros. */
#define CMWQ_PASTE_(a, b) a##b
#define CMWQ_PASTE(a, b) CMWQ_PASTE_(a, b)
#define CMWQ_UNIQUE_ID(prefix) CMWQ_PASTE(prefix, __COUNTER__)

/*
 * SMP barriers as the compiler's fences. smp_mb() is a full (sequentially consistent) fence;
 * smp_rmb() orders loads before later loads (acquire fence), smp_wmb() stores before later stores
 * (release fence); both are at least as strong as the kernel's. Note that ThreadSanitizer does not
 * model fences: code that synchronises only through these needs atomics or locks under TSan.
 */
#ifndef smp_mb
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb__before_atomic() smp_mb()
#define smp_mb__after_atomic() smp_mb()
#define smp_store_mb(var, value) do { __atomic_store_n(&(var), (value), __ATOMIC_RELAXED); smp_mb(); } while (0)
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#endif

#endif /* CMWQ_LINUX_COMPILER_H */
