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

#endif /* CMWQ_LINUX_COMPILER_H */
