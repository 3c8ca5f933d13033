/* SPDX-License-Identifier: MIT */
/*
 * linux/printk.h - printk() and the pr_*() family, on cmwq's log sink.
 *
 *   printk(fmt, ...)        one message; a leading KERN_<LEVEL> prefix is accepted and stripped.
 *   pr_emerg() .. pr_info() printk at that level, with pr_fmt() applied to the format.
 *   pr_debug(), pr_devel()  print only where DEBUG is defined before the include (else type-checked
 *                           and dropped, like the kernel without dynamic debug).
 *   pr_cont()               continues the calling thread's unfinished line.
 *   *_once()                print the first time the call site runs, then never again.
 *   dump_stack()            prints the caller's stack, one frame a line.
 *
 * Output: each finished line goes whole to the log sink (standard error, or the hook installed by
 * cmwq_set_log_hook()), so lines of concurrent threads never interleave. A message that does not
 * end in a newline stays pending for the calling thread until its next printk: one that starts
 * with KERN_CONT is appended to it, any other first flushes it as a line of its own. Pending text
 * is also flushed when the thread exits. Never sleeps in the kernel's sense; callable from any
 * context.
 */
#ifndef CMWQ_LINUX_PRINTK_H
#define CMWQ_LINUX_PRINTK_H

#include <stdarg.h>

#include <linux/compiler.h>
/* What the kernel's <linux/printk.h> brings in as well (kernel code relies on it). */
#include <linux/init.h>

#define KERN_SOH "\001"
#define KERN_SOH_ASCII '\001'
#define KERN_EMERG KERN_SOH "0"
#define KERN_ALERT KERN_SOH "1"
#define KERN_CRIT KERN_SOH "2"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"
#define KERN_DEFAULT ""
#define KERN_CONT KERN_SOH "c"

#define LOGLEVEL_EMERG 0
#define LOGLEVEL_ALERT 1
#define LOGLEVEL_CRIT 2
#define LOGLEVEL_ERR 3
#define LOGLEVEL_WARNING 4
#define LOGLEVEL_NOTICE 5
#define LOGLEVEL_INFO 6
#define LOGLEVEL_DEBUG 7

CMWQ_EXTERN_C_BEGIN

/*
 * printk - print one kernel-style message
 * @fmt: printf format, optionally preceded by KERN_<LEVEL> (or KERN_CONT)
 * Context: any; never sleeps.
 * Return: the number of characters of the formatted message, prefix excluded.
 */
int printk(const char *fmt, ...) __printf(1, 2);
/* vprintk - printk() with a va_list. */
int vprintk(const char *fmt, va_list args) __printf(1, 0);
/* dump_stack - prints the calling thread's stack (best effort, symbol names where known). */
void dump_stack(void);

/* Redirect log lines (printk, WARN) to @hook; NULL restores standard error (also in workqueue.h). */
void cmwq_set_log_hook(void (*hook)(const char *line, void *ctx), void *ctx);

CMWQ_EXTERN_C_END

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

/* Checks the arguments against the format and prints nothing; evaluates to 0. */
#define no_printk(fmt, ...)                                 \
	({                                                  \
		if (0)                                      \
			printk(fmt, ##__VA_ARGS__);         \
		0;                                          \
	})

#define pr_emerg(fmt, ...) printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert(fmt, ...) printk(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...) printk(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...) printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warning(fmt, ...) pr_warn(fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...) printk(KERN_CONT fmt, ##__VA_ARGS__)

#ifdef DEBUG
#define pr_debug(fmt, ...) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_devel(fmt, ...) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#else
#define pr_debug(fmt, ...) no_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_devel(fmt, ...) no_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#endif

/* Prints the first time this call site runs; later runs print nothing. Evaluates to nothing. */
#define printk_once(fmt, ...)                                                                   \
	do {                                                                                    \
		static int cmwq_printed_once;                                                   \
		if (!__atomic_exchange_n(&cmwq_printed_once, 1, __ATOMIC_RELAXED))             \
			printk(fmt, ##__VA_ARGS__);                                             \
	} while (0)
#define pr_emerg_once(fmt, ...) printk_once(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert_once(fmt, ...) printk_once(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit_once(fmt, ...) printk_once(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err_once(fmt, ...) printk_once(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_once(fmt, ...) printk_once(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice_once(fmt, ...) printk_once(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info_once(fmt, ...) printk_once(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)

/* Not rate-limited in cmwq: every call prints. */
#define pr_err_ratelimited(fmt, ...) pr_err(fmt, ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...) pr_warn(fmt, ##__VA_ARGS__)
#define pr_info_ratelimited(fmt, ...) pr_info(fmt, ##__VA_ARGS__)
#define pr_notice_ratelimited(fmt, ...) pr_notice(fmt, ##__VA_ARGS__)
#define printk_ratelimited(fmt, ...) printk(fmt, ##__VA_ARGS__)

#endif /* CMWQ_LINUX_PRINTK_H */
