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

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(1);                                                        \
		}                                                                       \
	} while (0)

struct item {
	int value;
	struct list_head node;
};

static DECLARE_COMPLETION(thread_done);

static void *thread_fn(void *arg)
{
	*(int *)arg = 42;
	complete(&thread_done);
	return NULL;
}

int main(void)
{
	/* libc and kernel constants side by side */
	CHECK(EINVAL == 22 && ENOMEM == 12);
	CHECK(ENOTSUPP == 524 && ERESTARTSYS == 512 && EPROBE_DEFER == 517);
	CHECK(INT_MAX == 2147483647 && U8_MAX == 255 && S32_MIN == INT_MIN && PATH_MAX > 0);
	CHECK(HZ == 1000);
	CHECK(WNOHANG == 1);
	idtype_t which = P_PID; /* glibc's enumerator survives linux/wait.h */
	CHECK(which == 1);
	CHECK(IS_ENABLED(CONFIG_SMP) && !IS_ENABLED(CONFIG_NOT_AN_OPTION));

	/* libc works */
	struct sysinfo si;
	CHECK(sysinfo(&si) == 0);
	cpu_set_t set;
	CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
	CHECK(num_online_cpus() == (unsigned int)CPU_COUNT(&set));
	CHECK(cpu_online(smp_processor_id()));

	/* kernel-style helpers work */
	LIST_HEAD(head);
	struct item a = { .value = 1 }, b = { .value = 2 }, *pos;
	list_add_tail(&a.node, &head);
	list_add_tail(&b.node, &head);
	int sum = 0;
	list_for_each_entry(pos, &head, node)
		sum += pos->value;
	CHECK(sum == 3);
	CHECK(container_of(&b.node, struct item, node) == &b);
	CHECK(min(3, 5) == 3 && max(3u, 5u) == 5u && ARRAY_SIZE(si.loads) == 3);

	char *s = kstrdup("hello", GFP_KERNEL);
	CHECK(s && strcmp(s, "hello") == 0);
	kfree(s);

	int value = 0;
	pthread_t t;
	CHECK(pthread_create(&t, NULL, thread_fn, &value) == 0);
	wait_for_completion(&thread_done);
	CHECK(value == 42);
	CHECK(pthread_join(t, NULL) == 0);

	printf("include_order_after: ok\n");
	return 0;
}
