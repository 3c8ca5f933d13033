/* SPDX-License-Identifier: MIT */
/*
 * linux/bug.h - WARN_ON(), WARN(), their _ONCE forms, BUG_ON() and BUILD_BUG_ON().
 *
 *   WARN_ON(cond)            if @cond is true, prints "WARNING: ... WARN_ON(cond)" naming the
 *                            caller (function, file, line); evaluates to !!cond.
 *   WARN(cond, fmt, ...)     the same with a printf message (the condition follows in brackets).
 *   WARN_ON_ONCE, WARN_ONCE  print only the first time the call site's condition is true, but
 *                            evaluate to the condition every time.
 *   BUG_ON(cond), BUG()      print "kernel BUG at file:line!" and the stack, then abort() the
 *                            process: the only calls of cmwq that ever abort (semantics.md D4).
 *   BUILD_BUG_ON(cond)       a compile-time assertion that @cond is false.
 *
 * Every warning printed is counted: cmwq_warn_count() returns the total since start. Warnings
 * never sleep and may be raised from any context. The macros use GNU statement expressions, as
 * the kernel's do; they work in gnu11 C and in C++ (GCC and Clang).
 */
#ifndef CMWQ_LINUX_BUG_H
#define CMWQ_LINUX_BUG_H

#include <linux/compiler.h>
/* What the kernel's <linux/bug.h> brings in as well (kernel code relies on it). */
#include <linux/printk.h>

CMWQ_EXTERN_C_BEGIN

/* Number of WARNINGs printed since start (D4); also declared in linux/workqueue.h. */
unsigned long cmwq_warn_count(void);

/* The out-of-line halves of the macros below; @cond is the condition's source text. */
void cmwq_warn_slowpath(const char *file, int line, const char *func, const char *cond) __cold;
void cmwq_warn_slowpath_fmt(const char *file, int line, const char *func, const char *cond, const char *fmt,
			    ...) __cold __printf(5, 6);
void cmwq_bug(const char *file, int line, const char *func, const char *cond) __cold __noreturn;

CMWQ_EXTERN_C_END

#define WARN_ON(condition)                                                                    \
	({                                                                                    \
		int cmwq_ret_warn_on = !!(condition);                                         \
		if (unlikely(cmwq_ret_warn_on))                                               \
			cmwq_warn_slowpath(__FILE__, __LINE__, __func__, "WARN_ON(" #condition ")"); \
		unlikely(cmwq_ret_warn_on);                                                   \
	})

#define WARN(condition, format, ...)                                                          \
	({                                                                                    \
		int cmwq_ret_warn_on = !!(condition);                                         \
		if (unlikely(cmwq_ret_warn_on))                                               \
			cmwq_warn_slowpath_fmt(__FILE__, __LINE__, __func__, "WARN(" #condition ")", \
					       format, ##__VA_ARGS__);                        \
		unlikely(cmwq_ret_warn_on);                                                   \
	})

#define WARN_ON_ONCE(condition)                                                               \
	({                                                                                    \
		static int cmwq_warned_once;                                                  \
		int cmwq_ret_warn_on = !!(condition);                                         \
		if (unlikely(cmwq_ret_warn_on) &&                                             \
		    !__atomic_exchange_n(&cmwq_warned_once, 1, __ATOMIC_RELAXED))             \
			cmwq_warn_slowpath(__FILE__, __LINE__, __func__,                      \
					   "WARN_ON_ONCE(" #condition ")");                   \
		unlikely(cmwq_ret_warn_on);                                                   \
	})

#define WARN_ONCE(condition, format, ...)                                                     \
	({                                                                                    \
		static int cmwq_warned_once;                                                  \
		int cmwq_ret_warn_on = !!(condition);                                         \
		if (unlikely(cmwq_ret_warn_on) &&                                             \
		    !__atomic_exchange_n(&cmwq_warned_once, 1, __ATOMIC_RELAXED))             \
			cmwq_warn_slowpath_fmt(__FILE__, __LINE__, __func__,                  \
					       "WARN_ONCE(" #condition ")", format, ##__VA_ARGS__); \
		unlikely(cmwq_ret_warn_on);                                                   \
	})

#define BUG() cmwq_bug(__FILE__, __LINE__, __func__, "BUG()")
#define BUG_ON(condition)                                                             \
	do {                                                                          \
		if (unlikely(condition))                                              \
			cmwq_bug(__FILE__, __LINE__, __func__, "BUG_ON(" #condition ")"); \
	} while (0)

#ifdef __cplusplus
#define BUILD_BUG_ON_MSG(cond, msg) static_assert(!(cond), msg)
#else
#define BUILD_BUG_ON_MSG(cond, msg) _Static_assert(!(cond), msg)
#endif
#define BUILD_BUG_ON(condition) BUILD_BUG_ON_MSG(condition, "BUILD_BUG_ON failed: " #condition)

#endif /* CMWQ_LINUX_BUG_H */
