/* SPDX-License-Identifier: MIT */
/*
 * linux/timer.h - kernel timers (struct timer_list) on cmwq's timing wheel, the same machinery
 * that delayed work uses.
 *
 *   timer_setup(), DEFINE_TIMER()                  prepare a timer
 *   mod_timer(), add_timer(), add_timer_on()       arm it (expiry in jiffies: 1 jiffy = 1 ms, HZ 1000)
 *   timer_delete()/del_timer()                     disarm without waiting (macros: POSIX has
 *                                                  a timer_delete() of its own)
 *   timer_delete_sync()/del_timer_sync()           disarm and wait for a running callback
 *   timer_pending()                                armed? (racy snapshot)
 *   mod_timer_pending(), timer_reduce(), try_to_del_timer_sync(), timer_shutdown[_sync]()
 *   from_timer()/timer_container_of()              the structure that embeds the timer
 *
 * Callbacks run on cmwq's timer thread, one at a time, in softirq-like context: in_softirq() and
 * in_interrupt() are true there and every call that may sleep warns. A callback may re-arm its
 * own timer. The layout of struct timer_list is the layout of the engine's timer
 * (src/core/timer_wheel.hpp); src/kcompat/timer.cpp checks it at compile time.
 *
 * Memory ordering: stores made before mod_timer()/add_timer() happen-before the callback that
 * call arms; everything a callback did happens-before a timer_delete_sync() that waited for it.
 */
#ifndef CMWQ_LINUX_TIMER_H
#define CMWQ_LINUX_TIMER_H

/* POSIX declares its own timer_delete(timer_t) in <time.h>. It is included here, before the
 * macro below renames the kernel's timer_delete(), so that both can live in one program: in a file
 * that includes this header, timer_delete() is the kernel's call (cmwq_timer_delete). */
#include <time.h>

#include <linux/compiler.h>
#include <linux/types.h>
/* What the kernel's <linux/timer.h> brings in as well (kernel code relies on it). */
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/stddef.h>

struct timer_list {
	struct hlist_node entry;
	unsigned long expires;
	void (*function)(struct timer_list *);
	u32 flags;
};

#define TIMER_DEFERRABLE 0x00080000
#define TIMER_PINNED 0x00100000
#define TIMER_IRQSAFE 0x00200000

#define TIMER_INIT_FLAGS (TIMER_DEFERRABLE | TIMER_PINNED | TIMER_IRQSAFE)

/* A statically initialised timer, ready to arm (equivalent to timer_setup(&_name, _function, 0)). */
#define DEFINE_TIMER(_name, _function)                                              \
	struct timer_list _name = { .entry = { 0, 0 }, .expires = 0, .function = (_function), \
				    .flags = 0 }

CMWQ_EXTERN_C_BEGIN

/*
 * cmwq_timer_setup - what timer_setup() expands to: prepare @timer (not armed) to call @func
 * @flags: TIMER_DEFERRABLE, TIMER_PINNED, TIMER_IRQSAFE (kept, informational in cmwq)
 * Context: any. Must not be called on an armed timer.
 */
void cmwq_timer_setup(struct timer_list *timer, void (*func)(struct timer_list *), unsigned int flags);

/*
 * mod_timer - arm (or re-arm) @timer to fire at absolute jiffy @expires
 * An expiry in the past fires as soon as possible. Never sleeps; any context.
 * Return: 1 if the timer was armed before (the old expiry is replaced), 0 if it was idle.
 */
int mod_timer(struct timer_list *timer, unsigned long expires);

/*
 * add_timer - arm an idle @timer at @timer->expires. Arming an armed timer warns and changes
 * nothing (the kernel BUGs). Never sleeps; any context.
 */
void add_timer(struct timer_list *timer);
/* add_timer_on - add_timer(); cmwq has one timer thread, so @cpu is ignored. */
void add_timer_on(struct timer_list *timer, int cpu);
/* add_timer_global - add_timer() (cmwq timers are never pinned to a CPU). */
void add_timer_global(struct timer_list *timer);

/*
 * timer_delete - disarm @timer without waiting for a callback that is already running
 * (exported as cmwq_timer_delete: POSIX owns the name timer_delete, see the top of this file)
 * Return: 1 if the timer was armed (and now will not fire), 0 otherwise. Any context.
 */
int cmwq_timer_delete(struct timer_list *timer);

/*
 * timer_delete_sync - disarm @timer and wait until a running callback of it has returned
 * After it returns the callback is not running and will not run, unless something re-arms it
 * (a callback re-arming itself must be stopped by other means first, as in the kernel).
 * Context: may sleep. From hard-interrupt context it warns unless the timer is TIMER_IRQSAFE;
 * from the timer's own callback it warns and does not wait.
 * Return: 1 if the timer was armed, 0 otherwise.
 */
int timer_delete_sync(struct timer_list *timer);

/* timer_pending - 1 while @timer is armed (a racy snapshot). Any context. */
int timer_pending(const struct timer_list *timer);

/* mod_timer_pending - mod_timer() only if @timer is armed now. Return: 1 if it was armed. */
int mod_timer_pending(struct timer_list *timer, unsigned long expires);
/* timer_reduce - arm an idle @timer, or move an armed one to @expires only if that is earlier.
 * Return: 1 if it was armed. */
int timer_reduce(struct timer_list *timer, unsigned long expires);
/* try_to_del_timer_sync - disarm unless the callback is running now: -1 (nothing changed) while it
 * runs, else 1 if it was armed, 0 if not. Never sleeps. */
int try_to_del_timer_sync(struct timer_list *timer);
/* timer_shutdown - disarm and make every later arm a silent no-op until timer_setup() again.
 * Return: 1 if it was armed. The _sync form also waits for a running callback. */
int timer_shutdown(struct timer_list *timer);
int timer_shutdown_sync(struct timer_list *timer);

CMWQ_EXTERN_C_END

#define timer_setup(timer, callback, flags) cmwq_timer_setup((timer), (callback), (flags))
#define timer_setup_on_stack(timer, callback, flags) cmwq_timer_setup((timer), (callback), (flags))
#define destroy_timer_on_stack(timer) do { (void)(timer); } while (0)

#define timer_delete(timer) cmwq_timer_delete(timer)
/* The older names of the delete calls. */
#define del_timer(timer) cmwq_timer_delete(timer)
#define del_timer_sync(timer) timer_delete_sync(timer)

/* The structure of type *@var that embeds @callback_timer as its member @timer_fieldname. */
#define timer_container_of(var, callback_timer, timer_fieldname)                   \
	((__typeof__(var))((char *)(callback_timer) -                              \
			   __builtin_offsetof(__typeof__(*(var)), timer_fieldname)))
#define from_timer(var, callback_timer, timer_fieldname) timer_container_of(var, callback_timer, timer_fieldname)

#endif /* CMWQ_LINUX_TIMER_H */
