/* SPDX-License-Identifier: MIT */
/*
 * The include-order trap, second half (design.md, "A trap in the kernel-style headers"): the
 * kernel-style shims come BEFORE the C library's headers. glibc then reaches <linux/errno.h>,
 * <linux/kernel.h>, <linux/limits.h>, <linux/types.h>, <linux/stddef.h>, ... through names the
 * shims have already defined, and must still find the system parts it needs (each shim does
 * #include_next first); <sys/wait.h> must still be able to declare P_ALL and friends. Built as
 * gnu11 with kcompat/include first on the include path; exits 0 on success.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/devm-helpers.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/fault-inject.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/irqreturn.h>
#include <linux/jiffies.h>
#include <linux/kconfig.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/threads.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <sys/sysinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/param.h>
#include <stdint.h>
#include <stddef.h>
#include <fcntl.h>

#define INCLUDE_ORDER_TEST "include_order_after"
#include "include_order_body.h"
