/* consumer.c - a downstream kernel-style C program (gnu11) built against an installed cmwq
 * (find_package or pkg-config). The libc headers come after the shims on purpose: installed
 * shims in linux/ must not break them (design.md, "A trap in the kernel-style headers"). */
#include <linux/workqueue.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int ran;

static void consumer_fn(struct work_struct *work)
{
	(void)work;
	__atomic_store_n(&ran, 1, __ATOMIC_RELEASE);
}

int main(void)
{
	struct workqueue_struct *wq = alloc_workqueue("consumer_%s", WQ_UNBOUND, 2, "c");
	struct work_struct work;

	if (!wq) {
		fprintf(stderr, "consumer_c: alloc_workqueue failed\n");
		return EXIT_FAILURE;
	}
	INIT_WORK(&work, consumer_fn);
	if (!queue_work(wq, &work)) {
		fprintf(stderr, "consumer_c: queue_work returned false\n");
		return EXIT_FAILURE;
	}
	flush_work(&work);
	if (!__atomic_load_n(&ran, __ATOMIC_ACQUIRE)) {
		fprintf(stderr, "consumer_c: work did not run before flush_work returned\n");
		return EXIT_FAILURE;
	}
	destroy_workqueue(wq);
	printf("consumer_c: work ran on workqueue \"consumer_c\"\n");
	return EXIT_SUCCESS;
}
