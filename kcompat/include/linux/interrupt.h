/* SPDX-License-Identifier: MIT */
/*
 * linux/interrupt.h - simulated interrupt lines for kernel-style drivers in user space.
 *
 *   request_irq(), request_threaded_irq(), free_irq()      install and remove handlers
 *   devm_request_irq(), devm_request_threaded_irq(), devm_free_irq()   the device-managed forms
 *   disable_irq(), disable_irq_nosync(), enable_irq(), synchronize_irq()
 *   in_irq(), in_hardirq(), in_interrupt(), ...   (linux/preempt.h, included here)
 *   cmwq_irq_raise()         the "hardware": deliver one interrupt on a line (cmwq extension)
 *   cmwq_irq_get_stats()     per-line counters (cmwq extension)
 *
 * The model. Lines are numbered 0 .. CMWQ_NR_IRQS - 1. A line with at least one handler has an
 * interrupt thread "irq/<n>" on which every hard handler of the line runs, in hard-interrupt
 * context: in_hardirq() and in_interrupt() are true there, and every call that may sleep
 * (msleep, mutex_lock, wait_for_completion, flush_work, kmalloc(GFP_KERNEL), ...) prints a
 * "sleeping function called from invalid context" WARNING. Each threaded handler has its own
 * thread "irq/<n>-<name>" and runs in process context. Interrupts on one line are delivered one
 * at a time, in the order they were raised; when a hard handler returns IRQ_WAKE_THREAD the thread
 * handler runs before the next interrupt of the line is delivered (cmwq behaves as if IRQF_ONESHOT
 * were always set: a legal, if less concurrent, kernel behaviour).
 *
 * The guarantee that makes driver teardown safe: when free_irq() (or the devm release of an
 * interrupt) returns, no handler of that action is running and none will run again. Interrupts
 * raised after that return -ENOENT (a lost interrupt) instead of calling anything.
 *
 * Memory ordering: everything cmwq_irq_raise()'s caller did before the call happens-before the
 * handlers run, and everything the handlers did happens-before cmwq_irq_raise() returns.
 *
 * Compiles as C11 (gcc -std=gnu11) and as C++.
 */
#ifndef CMWQ_LINUX_INTERRUPT_H
#define CMWQ_LINUX_INTERRUPT_H

#include <linux/compiler.h>
#include <linux/irqreturn.h>
#include <linux/preempt.h>
#include <linux/types.h>
/* What the kernel's <linux/interrupt.h> brings in as well (kernel code relies on it). */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/workqueue.h>

struct device;

/* Number of simulated interrupt lines. */
#define CMWQ_NR_IRQS 1024

/* Request flags. cmwq honours IRQF_SHARED and IRQF_ONESHOT (checks) and IRQF_NO_AUTOEN; the
 * others are accepted and ignored, since there is no hardware to program. */
#define IRQF_TRIGGER_NONE 0x00000000
#define IRQF_TRIGGER_RISING 0x00000001
#define IRQF_TRIGGER_FALLING 0x00000002
#define IRQF_TRIGGER_HIGH 0x00000004
#define IRQF_TRIGGER_LOW 0x00000008
#define IRQF_TRIGGER_MASK (IRQF_TRIGGER_HIGH | IRQF_TRIGGER_LOW | IRQF_TRIGGER_RISING | IRQF_TRIGGER_FALLING)
#define IRQF_TRIGGER_PROBE 0x00000010
#define IRQF_SHARED 0x00000080
#define IRQF_PROBE_SHARED 0x00000100
#define IRQF_PERCPU 0x00000400
#define IRQF_NOBALANCING 0x00000800
#define IRQF_IRQPOLL 0x00001000
#define IRQF_ONESHOT 0x00002000
#define IRQF_NO_SUSPEND 0x00004000
#define IRQF_FORCE_RESUME 0x00008000
#define IRQF_NO_THREAD 0x00010000
#define IRQF_EARLY_RESUME 0x00020000
#define IRQF_COND_SUSPEND 0x00040000
#define IRQF_NO_AUTOEN 0x00080000
#define IRQF_NO_DEBUG 0x00100000
#define IRQF_TIMER (0x00000200 | IRQF_NO_SUSPEND | IRQF_NO_THREAD)

typedef irqreturn_t (*irq_handler_t)(int irq, void *dev_id);

/* Counters of one line since start (cmwq_irq_get_stats). */
struct cmwq_irq_stats {
	unsigned long long raised;    /* cmwq_irq_raise() calls for this line */
	unsigned long long delivered; /* interrupts whose hard handlers ran */
	unsigned long long handled;   /* ... of which some handler returned IRQ_HANDLED/WAKE_THREAD */
	unsigned long long unhandled; /* ... of which every handler returned IRQ_NONE (spurious) */
	unsigned long long threaded;  /* thread-handler runs */
	unsigned long long lost;      /* raised while no handler was installed (-ENOENT) */
	unsigned long long latched;   /* raised while the line was disabled (-EAGAIN) */
	unsigned long long replayed;  /* latched interrupts delivered by enable_irq() */
	int depth;                    /* disable depth now: 0 = enabled */
	int actions;                  /* handlers installed now */
};

CMWQ_EXTERN_C_BEGIN

/*
 * request_threaded_irq - install a handler (and optionally a thread handler) on a line
 * @irq: line number, below CMWQ_NR_IRQS
 * @handler: hard handler, runs in hard-interrupt context; returns IRQ_WAKE_THREAD to run
 *           @thread_fn. NULL means "always wake the thread" and requires IRQF_ONESHOT.
 * @thread_fn: handler run on the thread "irq/<irq>-<name>" in process context, or NULL
 * @irqflags: IRQF_*; a line is shared only when every handler on it has IRQF_SHARED
 * @devname: name shown in thread names and messages; kept by pointer until free_irq()
 * @dev_id: cookie passed to the handlers and to free_irq(); must be non-NULL for IRQF_SHARED
 *
 * The line is enabled when the first handler is installed, unless IRQF_NO_AUTOEN.
 * Context: process context; sleeps (creates threads).
 * Return: 0; -EINVAL for a bad line, missing handlers, a NULL @dev_id on a shared line, or a NULL
 * @handler without IRQF_ONESHOT; -EBUSY when the line is taken and not shareable; -ENOMEM.
 */
int request_threaded_irq(unsigned int irq, irq_handler_t handler, irq_handler_t thread_fn,
			 unsigned long irqflags, const char *devname, void *dev_id);

/* request_irq - request_threaded_irq() without a thread handler. */
int request_irq(unsigned int irq, irq_handler_t handler, unsigned long flags, const char *name, void *dev);

/*
 * free_irq - remove the handler installed with @dev_id from @irq
 *
 * Waits until no handler of the line is running (hard or threaded), then stops the action's
 * thread: when free_irq() returns, the handlers are never called again.
 * Context: process context; sleeps. Calling it from a handler of the same line warns and does
 * not wait.
 * Return: the devname given to request_irq(), or NULL (with a WARNING "Trying to free
 * already-free IRQ") when no such handler is installed.
 */
const void *free_irq(unsigned int irq, void *dev_id);

/*
 * devm_request_threaded_irq - request_threaded_irq() freed when @dev's driver detaches
 * Return: as request_threaded_irq(); when devres registration fails the interrupt is freed again
 * and -ENOMEM returned.
 */
int devm_request_threaded_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
			      irq_handler_t thread_fn, unsigned long irqflags, const char *devname,
			      void *dev_id);
/* devm_request_irq - devm_request_threaded_irq() without a thread handler. */
int devm_request_irq(struct device *dev, unsigned int irq, irq_handler_t handler, unsigned long irqflags,
		     const char *devname, void *dev_id);
/* devm_free_irq - free a devm interrupt early (and forget its devres entry). */
void devm_free_irq(struct device *dev, unsigned int irq, void *dev_id);

/*
 * disable_irq_nosync - mask @irq (nesting: n disables need n enables); does not wait.
 * Interrupts raised while masked are latched: one is replayed when the line is enabled again.
 * Context: any, including the line's own handlers.
 */
void disable_irq_nosync(unsigned int irq);
/* disable_irq - disable_irq_nosync(), then synchronize_irq(). Process context; sleeps. */
void disable_irq(unsigned int irq);
/* enable_irq - undo one disable; at depth 0 a latched interrupt is replayed (asynchronously).
 * An enable without a disable warns ("Unbalanced enable for IRQ"). Any context. */
void enable_irq(unsigned int irq);
/* synchronize_irq - wait until no handler of @irq is running. Process context; sleeps. */
void synchronize_irq(unsigned int irq);

/*
 * cmwq_irq_raise - deliver one interrupt on @irq, as the hardware would
 *
 * Hands the interrupt to the line's thread "irq/<irq>" and returns when it has been dealt with:
 * every hard handler returned and, when one asked for it, the thread handler returned too.
 * Callable from any thread except the line's own handlers (-EDEADLK, with a WARNING).
 * Return: 0 when delivered (whatever the handlers returned); -ENOENT when the line has no handler
 * (the interrupt is lost and counted as such); -EAGAIN when the line is disabled (the interrupt is
 * latched as pending and delivered by the enable_irq() that re-enables the line, at most one per
 * disabled period, like an edge interrupt); -EINVAL for a bad line.
 */
int cmwq_irq_raise(unsigned int irq);

/* cmwq_irq_get_stats - copy the counters of @irq. Return: 0, or -EINVAL for a bad line. */
int cmwq_irq_get_stats(unsigned int irq, struct cmwq_irq_stats *out);

/* cmwq_irq_actions_installed - handlers installed now on all lines (a module leak check). */
size_t cmwq_irq_actions_installed(void);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_INTERRUPT_H */
