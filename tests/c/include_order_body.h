/* SPDX-License-Identifier: MIT */
/*
 * The body both include-order tests share (include_order_before_test.c,
 * include_order_after_test.c): they differ only in whether the C library's headers or the
 * kernel-style shims come first, so each includes both sets in its order, defines
 * INCLUDE_ORDER_TEST to its name and then includes this file, which uses libc and kernel-style
 * names side by side and exits 0 when every check holds. No include guard: it defines main().
 */
#ifndef INCLUDE_ORDER_TEST
#error "define INCLUDE_ORDER_TEST to the test's name before including include_order_body.h"
#endif

/* CHECK() of the other C tests; included after both header sets, so the order under test stays. */
#include "c_check.h"

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

	printf("%s: ok\n", INCLUDE_ORDER_TEST);
	return 0;
}
