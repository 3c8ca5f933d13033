/* SPDX-License-Identifier: MIT */
/*
 * The kernel companion headers from plain C (gnu11): completions across pthreads, mutexes,
 * spinlocks and atomic context, atomics, jiffies arithmetic across the wrap, kmalloc accounting,
 * WARN_ON counting, printk levels, wait queues, lists, bit and CPU masks, the memory-reclaim scope,
 * fault injection (a driver's allocation failure path, as failslab makes it run in the kernel).
 * Every wait has a deadline. Exits 0 on success, 1 with a message on the first failed check.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/fault-inject.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "c_check.h"

enum { n_threads = 4, n_rounds = 20000, deadline_ms = 10000 };

/* ---- log capture ---------------------------------------------------------------------------- */

static char captured[4096]; /* written by the hook, under the log sink's lock */

static void capture_hook(const char *line, void *ctx)
{
	(void)ctx;
	size_t len = strlen(captured);
	snprintf(captured + len, sizeof captured - len, "%s\n", line);
}

static void capture_begin(void)
{
	captured[0] = '\0';
	cmwq_set_log_hook(capture_hook, NULL);
}

static void capture_end(void)
{
	cmwq_set_log_hook(NULL, NULL);
}

/* ---- completions ----------------------------------------------------------------------------- */

static DECLARE_COMPLETION(started);
static struct completion go;
static int payload; /* written before complete(), read after the wait: ordered by the completion */

static void *completer(void *arg)
{
	(void)arg;
	payload = 1234;
	complete(&started);
	return NULL;
}

static void *all_waiter(void *arg)
{
	atomic_t *woken = arg;
	if (wait_for_completion_timeout(&go, msecs_to_jiffies(deadline_ms)))
		atomic_inc(woken);
	return NULL;
}

static void test_completion(void)
{
	pthread_t t;
	CHECK(!completion_done(&started));
	CHECK(wait_for_completion_timeout(&started, msecs_to_jiffies(20)) == 0); /* times out */
	CHECK(pthread_create(&t, NULL, completer, NULL) == 0);
	CHECK(wait_for_completion_timeout(&started, msecs_to_jiffies(deadline_ms)) > 0);
	CHECK(payload == 1234);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(!try_wait_for_completion(&started)); /* the one event was consumed */

	complete(&started);
	complete(&started);
	CHECK(completion_done(&started));
	CHECK(try_wait_for_completion(&started));
	CHECK(try_wait_for_completion(&started));
	CHECK(!try_wait_for_completion(&started));

	/* complete_all() releases every waiter and stays done until reinit */
	atomic_t woken = ATOMIC_INIT(0);
	pthread_t waiters[n_threads];
	init_completion(&go);
	for (int i = 0; i < n_threads; i++)
		CHECK(pthread_create(&waiters[i], NULL, all_waiter, &woken) == 0);
	complete_all(&go);
	for (int i = 0; i < n_threads; i++)
		CHECK(pthread_join(waiters[i], NULL) == 0);
	CHECK(atomic_read(&woken) == n_threads);
	CHECK(wait_for_completion_timeout(&go, 1) > 0);
	reinit_completion(&go);
	CHECK(!completion_done(&go));
}

/* ---- mutexes and spinlocks ------------------------------------------------------------------ */

static DEFINE_MUTEX(counter_mutex);
static DEFINE_SPINLOCK(counter_lock);
static long mutex_counter, spin_counter;

static void *lock_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < n_rounds; i++) {
		mutex_lock(&counter_mutex);
		mutex_counter++;
		mutex_unlock(&counter_mutex);

		unsigned long flags;
		spin_lock_irqsave(&counter_lock, flags);
		spin_counter++;
		spin_unlock_irqrestore(&counter_lock, flags);
	}
	return NULL;
}

static void test_locks(void)
{
	pthread_t t[n_threads];
	for (int i = 0; i < n_threads; i++)
		CHECK(pthread_create(&t[i], NULL, lock_worker, NULL) == 0);
	for (int i = 0; i < n_threads; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	CHECK(mutex_counter == (long)n_threads * n_rounds);
	CHECK(spin_counter == (long)n_threads * n_rounds);

	struct mutex m;
	mutex_init(&m);
	CHECK(!mutex_is_locked(&m));
	CHECK(cmwq_held_lock_count() == 0);
	mutex_lock(&m);
	CHECK(mutex_is_locked(&m) && cmwq_held_lock_count() == 1);
	CHECK(!mutex_trylock(&m));
	mutex_unlock(&m);
	CHECK(mutex_trylock(&m));
	mutex_unlock(&m);
	CHECK(cmwq_held_lock_count() == 0);
	mutex_destroy(&m);

	spinlock_t s;
	spin_lock_init(&s);
	CHECK(preempt_count() == 0 && !in_atomic());
	spin_lock(&s);
	CHECK(preempt_count() == 1 && in_atomic() && spin_is_locked(&s));
	CHECK(!spin_trylock(&s));
	CHECK(preempt_count() == 1);

	/* sleeping under a spinlock is reported */
	unsigned long before = cmwq_warn_count();
	capture_begin();
	might_sleep();
	capture_end();
	CHECK(cmwq_warn_count() == before + 1);
	CHECK(strstr(captured, "sleeping function called from invalid context") != NULL);
	spin_unlock(&s);
	CHECK(preempt_count() == 0 && !spin_is_locked(&s));

	before = cmwq_warn_count();
	might_sleep();
	CHECK(cmwq_warn_count() == before);

	int cpu = get_cpu();
	CHECK(cpu_online(cpu) && in_atomic());
	put_cpu();
	CHECK(!in_atomic());
}

/* ---- atomics and bits ------------------------------------------------------------------------ */

static void test_atomics(void)
{
	atomic_t a = ATOMIC_INIT(5);
	CHECK(atomic_read(&a) == 5);
	atomic_inc(&a);
	atomic_add(4, &a);
	CHECK(atomic_read(&a) == 10);
	CHECK(atomic_inc_return(&a) == 11 && atomic_dec_return(&a) == 10);
	CHECK(atomic_fetch_add(5, &a) == 10 && atomic_read(&a) == 15);
	CHECK(atomic_cmpxchg(&a, 15, 3) == 15 && atomic_read(&a) == 3);
	CHECK(atomic_cmpxchg(&a, 15, 4) == 3 && atomic_read(&a) == 3);
	CHECK(atomic_xchg(&a, 1) == 3);
	CHECK(atomic_dec_and_test(&a) && atomic_read(&a) == 0);
	CHECK(!atomic_inc_not_zero(&a) && atomic_add_unless(&a, 1, 5) && atomic_read(&a) == 1);
	CHECK(atomic_dec_if_positive(&a) == 0 && atomic_dec_if_positive(&a) == -1 && atomic_read(&a) == 0);
	int old = 0;
	CHECK(atomic_try_cmpxchg(&a, &old, 7) && atomic_read(&a) == 7);

	atomic_long_t l = ATOMIC_LONG_INIT(1L << 40);
	CHECK(atomic_long_add_return(1, &l) == (1L << 40) + 1);
	atomic64_t q = ATOMIC64_INIT(0);
	atomic64_sub(3, &q);
	CHECK(atomic64_read(&q) == -3 && atomic64_add_negative(1, &q));

	long v = 8;
	CHECK(cmpxchg(&v, 8L, 9L) == 8 && v == 9 && xchg(&v, 1L) == 9 && v == 1);

	DECLARE_BITMAP(bits, 200);
	memset(bits, 0, sizeof bits);
	set_bit(3, bits);
	set_bit(130, bits);
	CHECK(test_bit(3, bits) && !test_bit(4, bits));
	CHECK(find_first_bit(bits, 200) == 3 && find_next_bit(bits, 200, 4) == 130);
	CHECK(find_next_bit(bits, 200, 131) == 200);
	CHECK(test_and_clear_bit(3, bits) && !test_and_clear_bit(3, bits));
	CHECK(BIT(5) == 32 && GENMASK(7, 4) == 0xf0 && hweight32(0xff) == 8);
}

/* ---- jiffies ----------------------------------------------------------------------------------- */

static void test_jiffies(void)
{
	CHECK(HZ == 1000);
	CHECK(msecs_to_jiffies(1000) == HZ && jiffies_to_msecs(HZ) == 1000);
	CHECK(usecs_to_jiffies(1) == 1 && usecs_to_jiffies(1000) == 1 && usecs_to_jiffies(1001) == 2);
	CHECK(msecs_to_jiffies((unsigned int)-1) == (unsigned long)MAX_JIFFY_OFFSET);

	/* wrap-safety: b lies 10 jiffies after a, across the wrap of unsigned long */
	unsigned long a = ~0UL - 4, b = a + 10;
	CHECK(b < a); /* numerically wrapped */
	CHECK(time_after(b, a) && time_before(a, b) && !time_after(a, b) && !time_before(b, a));
	CHECK(time_after_eq(b, a) && time_after_eq(a, a) && time_before_eq(a, a));
	CHECK(time_in_range(a + 3, a, b) && !time_in_range(b + 1, a, b));

	unsigned long start = jiffies;
	msleep(10);
	unsigned long end = jiffies;
	CHECK(time_after_eq(end, start + 10));
	CHECK(time_is_before_jiffies(start));
}

/* ---- kmalloc ----------------------------------------------------------------------------------- */

static void test_kmalloc(void)
{
	size_t bytes = cmwq_kmalloc_outstanding_bytes();
	size_t allocs = cmwq_kmalloc_outstanding_allocs();

	char *p = kmalloc(100, GFP_KERNEL);
	CHECK(p && ((uintptr_t)p % 16) == 0);
	CHECK(cmwq_kmalloc_outstanding_bytes() == bytes + 100 && cmwq_kmalloc_outstanding_allocs() == allocs + 1);
	memset(p, 'x', 100);
	p = krealloc(p, 300, GFP_KERNEL | __GFP_ZERO);
	CHECK(p && p[99] == 'x' && p[100] == 0 && p[299] == 0 && ksize(p) == 300);
	CHECK(cmwq_kmalloc_outstanding_bytes() == bytes + 300);

	int *z = kcalloc(10, sizeof(int), GFP_ATOMIC);
	CHECK(z && z[0] == 0 && z[9] == 0);
	CHECK(kcalloc((size_t)-1, 16, GFP_KERNEL) == NULL); /* n * size overflows */
	CHECK(kmalloc_array((size_t)1 << 62, 8, GFP_KERNEL) == NULL);

	void *zero = kmalloc(0, GFP_KERNEL);
	CHECK(zero == ZERO_SIZE_PTR && ZERO_OR_NULL_PTR(zero));
	kfree(zero);
	kfree(NULL);

	char *s = kstrdup("companion", GFP_KERNEL);
	CHECK(s && strcmp(s, "companion") == 0);
	char *n = kstrndup("companion", 4, GFP_KERNEL);
	CHECK(n && strcmp(n, "comp") == 0);

	kfree(p);
	kfree(z);
	kfree(s);
	kfree(n);
	CHECK(cmwq_kmalloc_outstanding_bytes() == bytes && cmwq_kmalloc_outstanding_allocs() == allocs);

	char buf[8];
	CHECK(strscpy(buf, "hello", sizeof buf) == 5 && strcmp(buf, "hello") == 0);
	CHECK(strscpy(buf, "far too long", sizeof buf) == -E2BIG && strcmp(buf, "far too") == 0);
}

/* ---- fault injection --------------------------------------------------------------------------- */

/* A driver-style allocation with its error path, the way failslab exercises it in the kernel. */
static int probe_with_buffer(char **out)
{
	char *buf = kzalloc(64, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	*out = buf;
	return 0;
}

static void test_fault_injection(void)
{
	char *buf = NULL;
	size_t bytes = cmwq_kmalloc_outstanding_bytes();

	CHECK(cmwq_fault_inject("slab:times=1") == 0);
	CHECK(probe_with_buffer(&buf) == -ENOMEM && buf == NULL);
	CHECK(probe_with_buffer(&buf) == 0 && buf != NULL); /* times=1: only the first fails */
	CHECK(cmwq_fault_injected("slab") == 1);
	kfree(buf);
	CHECK(cmwq_kmalloc_outstanding_bytes() == bytes);

	CHECK(cmwq_fault_inject("slab:probability=150") == -EINVAL); /* bad: nothing changes */
	CHECK(cmwq_fault_injected("slab") == 1);
	cmwq_fault_reset();
	CHECK(cmwq_fault_injected("slab") == 0);
}

/* ---- WARN and printk --------------------------------------------------------------------------- */

static int warn_once_site(int cond)
{
	return WARN_ON_ONCE(cond);
}

static void test_warn_printk(void)
{
	unsigned long before = cmwq_warn_count();
	capture_begin();
	CHECK(WARN_ON(0) == 0);
	CHECK(cmwq_warn_count() == before);
	CHECK(WARN_ON(1 + 1 == 2) == 1);
	CHECK(cmwq_warn_count() == before + 1);
	CHECK(strstr(captured, "WARNING:") && strstr(captured, "WARN_ON(1 + 1 == 2)") &&
	      strstr(captured, "test_warn_printk"));

	for (int i = 0; i < 3; i++)
		CHECK(warn_once_site(1) == 1); /* evaluates to the condition every time */
	CHECK(cmwq_warn_count() == before + 2); /* ... but prints once */

	captured[0] = '\0';
	CHECK(WARN(7 > 3, "value %d too big\n", 7));
	CHECK(strstr(captured, "value 7 too big") && strstr(captured, "7 > 3"));
	CHECK(cmwq_warn_count() == before + 3);

	captured[0] = '\0';
	pr_info("info %d\n", 5);
	pr_err("part one,");
	pr_cont(" part two\n");
	printk(KERN_WARNING "warning line\n");
	printk("plain line\n");
	pr_debug("not printed without DEBUG %d\n", 1);
	capture_end();
	CHECK(strcmp(captured, "info 5\npart one, part two\nwarning line\nplain line\n") == 0);
}

/* ---- wait queues ------------------------------------------------------------------------------- */

static DECLARE_WAIT_QUEUE_HEAD(flag_wq);
static int flag; /* accessed with __atomic builtins */

static void *flag_setter(void *arg)
{
	(void)arg;
	msleep(5);
	__atomic_store_n(&flag, 1, __ATOMIC_RELEASE);
	wake_up(&flag_wq);
	return NULL;
}

static void test_waitqueue(void)
{
	CHECK(wait_event_timeout(flag_wq, __atomic_load_n(&flag, __ATOMIC_ACQUIRE) != 0, 10) == 0);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, flag_setter, NULL) == 0);
	long left = wait_event_timeout(flag_wq, __atomic_load_n(&flag, __ATOMIC_ACQUIRE) != 0,
				       msecs_to_jiffies(deadline_ms));
	CHECK(left > 0);
	CHECK(pthread_join(t, NULL) == 0);
	wait_event(flag_wq, __atomic_load_n(&flag, __ATOMIC_ACQUIRE) != 0); /* already true */
	CHECK(!waitqueue_active(&flag_wq));
}

/* ---- lists, errors, CPUs ----------------------------------------------------------------------- */

struct node {
	int v;
	struct list_head link;
};

static void test_misc(void)
{
	LIST_HEAD(list);
	struct node nodes[5], *pos, *tmp;
	for (int i = 0; i < 5; i++) {
		nodes[i].v = i;
		list_add_tail(&nodes[i].link, &list);
	}
	CHECK(list_count_nodes(&list) == 5);
	CHECK(list_first_entry(&list, struct node, link)->v == 0);
	CHECK(list_last_entry(&list, struct node, link)->v == 4);
	list_for_each_entry_safe(pos, tmp, &list, link)
		if (pos->v % 2)
			list_del(&pos->link);
	int sum = 0;
	list_for_each_entry(pos, &list, link)
		sum += pos->v;
	CHECK(sum == 0 + 2 + 4);
	list_move_tail(&nodes[0].link, &list);
	CHECK(list_last_entry(&list, struct node, link)->v == 0);
	LIST_HEAD(other);
	list_splice_init(&list, &other);
	CHECK(list_empty(&list) && list_count_nodes(&other) == 3);

	void *e = ERR_PTR(-ENOMEM);
	CHECK(IS_ERR(e) && PTR_ERR(e) == -ENOMEM && IS_ERR_OR_NULL(NULL) && !IS_ERR(&sum));

	CHECK(num_online_cpus() >= 1 && num_online_cpus() == num_possible_cpus());
	unsigned int seen = 0;
	int cpu;
	for_each_online_cpu(cpu) {
		CHECK(cpu < (int)nr_cpu_ids && cpu_online(cpu));
		seen++;
	}
	CHECK(seen == num_online_cpus());
	CHECK(cpu_online(smp_processor_id()));

	cpumask_var_t mask;
	CHECK(zalloc_cpumask_var(&mask, GFP_KERNEL));
	CHECK(cpumask_empty(mask));
	cpumask_copy(mask, cpu_online_mask);
	CHECK(cpumask_equal(mask, cpu_online_mask) && cpumask_weight(mask) == num_online_cpus());
	free_cpumask_var(mask);

	CHECK(min(4, 9) == 4 && max(4, 9) == 9 && clamp(12, 0, 10) == 10 && min_t(int, -1, 3u) == -1);
	CHECK(DIV_ROUND_UP(7, 2) == 4 && round_up(13, 8) == 16 && IS_ALIGNED(64, 16));

	CHECK(schedule_timeout(5) == 5); /* TASK_RUNNING: does not sleep */
	set_current_state(TASK_UNINTERRUPTIBLE);
	CHECK(schedule_timeout(2) == 0);
	CHECK(schedule_timeout_uninterruptible(1) == 0);

	unsigned int reclaim = memalloc_noreclaim_save(); /* linux/sched/mm.h: scopes nest */
	CHECK(reclaim == 0 && memalloc_noreclaim_save() == PF_MEMALLOC);
	memalloc_noreclaim_restore(PF_MEMALLOC);
	memalloc_noreclaim_restore(reclaim);
	CHECK(memalloc_noreclaim_save() == 0);
	memalloc_noreclaim_restore(0);
}

int main(void)
{
	test_completion();
	test_locks();
	test_atomics();
	test_jiffies();
	test_kmalloc();
	test_fault_injection();
	test_warn_printk();
	test_waitqueue();
	test_misc();
	printf("companions: ok\n");
	return 0;
}
