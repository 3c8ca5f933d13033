/* SPDX-License-Identifier: MIT */
/*
 * kthreads and the sleep protocol from plain C (gnu11), as kernel code uses them: kthread_run,
 * kthread_should_stop + set_current_state + schedule loops ended by kthread_stop, a kthread never
 * woken, parking, binding, wait_event_interruptible(.., kthread_should_stop()), DEFINE_WAIT +
 * prepare_to_wait + schedule + finish_wait, schedule_timeout ended early by wake_up_process, and
 * the misuses (kthread_stop twice, binding a running kthread). Every wait has a deadline. Exits 0
 * on success, 1 with a message on the first failed check.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/wait.h>

#include "c_check.h"

enum { deadline_ms = 10000 };

/* ---- kthread_run, the sleep loop, kthread_stop ---------------------------------------------- */

static atomic_t loops = ATOMIC_INIT(0);

static int sleeper_fn(void *data)
{
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		atomic_inc(&loops);
		schedule(); /* woken only by wake_up_process() / kthread_stop() */
	}
	__set_current_state(TASK_RUNNING);
	return (int)(long)data;
}

static void test_run_and_stop(void)
{
	struct task_struct *t = kthread_run(sleeper_fn, (void *)42L, "sleeper/%d", 1);

	CHECK(!IS_ERR(t));
	CHECK(WAIT_UNTIL(atomic_read(&loops) == 1));
	msleep(20);
	CHECK(atomic_read(&loops) == 1); /* schedule() really sleeps */
	CHECK(wake_up_process(t) == 1 || atomic_read(&loops) >= 1);
	CHECK(WAIT_UNTIL(atomic_read(&loops) == 2));
	CHECK(kthread_data(t) == (void *)42L);
	CHECK(kthread_stop(t) == 42);
}

/* ---- a kthread never woken: its function never runs ----------------------------------------- */

static atomic_t never_ran = ATOMIC_INIT(0);

static int never_fn(void *data)
{
	(void)data;
	atomic_inc(&never_ran);
	return 0;
}

static void test_stop_unwoken(void)
{
	struct task_struct *t = kthread_create(never_fn, NULL, "never");

	CHECK(!IS_ERR(t));
	kthread_bind(t, 0); /* allowed before the first wake-up */
	msleep(10);
	CHECK(kthread_stop(t) == -EINTR);
	CHECK(atomic_read(&never_ran) == 0);
}

/* ---- parking -------------------------------------------------------------------------------- */

static atomic_t park_loops = ATOMIC_INIT(0);

static int parking_fn(void *data)
{
	(void)data;
	while (!kthread_should_stop()) {
		if (kthread_should_park())
			kthread_parkme();
		atomic_inc(&park_loops);
		msleep(1);
	}
	return 7;
}

static void test_park(void)
{
	struct task_struct *t = kthread_run(parking_fn, NULL, "parker");
	int frozen;

	CHECK(!IS_ERR(t));
	CHECK(WAIT_UNTIL(atomic_read(&park_loops) > 2));
	CHECK(kthread_park(t) == 0);
	frozen = atomic_read(&park_loops);
	msleep(20);
	CHECK(atomic_read(&park_loops) == frozen); /* parked: no progress */
	kthread_unpark(t);
	CHECK(WAIT_UNTIL(atomic_read(&park_loops) > frozen));
	CHECK(kthread_park(t) == 0);
	CHECK(kthread_stop(t) == 7); /* stopping a parked kthread unparks it */
}

/* ---- wait_event_interruptible(.., kthread_should_stop()) ended by kthread_stop -------------- */

static DECLARE_WAIT_QUEUE_HEAD(idle_wq);
static atomic_t waiting = ATOMIC_INIT(0);

static int idle_fn(void *data)
{
	(void)data;
	atomic_set(&waiting, 1);
	wait_event_interruptible(idle_wq, kthread_should_stop());
	return 3;
}

static void test_wait_event_stopped(void)
{
	struct task_struct *t = kthread_run(idle_fn, NULL, "idle");

	CHECK(!IS_ERR(t));
	CHECK(WAIT_UNTIL(atomic_read(&waiting) == 1));
	msleep(5); /* most likely asleep in the wait by now; either order must work */
	CHECK(kthread_stop(t) == 3);
}

/* ---- DEFINE_WAIT + prepare_to_wait + schedule + finish_wait --------------------------------- */

static DECLARE_WAIT_QUEUE_HEAD(event_wq);
static atomic_t event_flag = ATOMIC_INIT(0);
static atomic_t event_seen = ATOMIC_INIT(0);

static int open_coded_fn(void *data)
{
	DEFINE_WAIT(wait);

	(void)data;
	for (;;) {
		prepare_to_wait(&event_wq, &wait, TASK_INTERRUPTIBLE);
		if (atomic_read(&event_flag) || kthread_should_stop())
			break;
		schedule();
	}
	finish_wait(&event_wq, &wait);
	CHECK(cmwq_get_current_state() == TASK_RUNNING);
	atomic_set(&event_seen, atomic_read(&event_flag));
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

static void test_prepare_to_wait(void)
{
	struct task_struct *t = kthread_run(open_coded_fn, NULL, "open_coded");

	CHECK(!IS_ERR(t));
	msleep(10);
	CHECK(atomic_read(&event_seen) == 0);
	atomic_set(&event_flag, 1);
	wake_up(&event_wq); /* the queue, not the task, wakes it */
	CHECK(WAIT_UNTIL(atomic_read(&event_seen) == 1));
	CHECK(kthread_stop(t) == 0);
}

/* ---- schedule_timeout ended early by wake_up_process ---------------------------------------- */

static atomic_long_t remaining = ATOMIC_LONG_INIT(-1);
static atomic_t timeout_done = ATOMIC_INIT(0);

static int timeout_fn(void *data)
{
	(void)data;
	set_current_state(TASK_INTERRUPTIBLE);
	atomic_long_set(&remaining, schedule_timeout(msecs_to_jiffies(deadline_ms)));
	atomic_set(&timeout_done, 1);
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

static void test_schedule_timeout_woken(void)
{
	struct task_struct *t = kthread_run(timeout_fn, NULL, "timeout");

	CHECK(!IS_ERR(t));
	msleep(20);
	wake_up_process(t);
	CHECK(WAIT_UNTIL(atomic_read(&timeout_done) == 1));
	CHECK(atomic_long_read(&remaining) > 0 && atomic_long_read(&remaining) <= deadline_ms); /* woken early */
	CHECK(kthread_stop(t) == 0);
	/* Outside a kthread the protocol holds too: TASK_RUNNING means schedule_timeout() returns. */
	CHECK(schedule_timeout(5) == 5);
	CHECK(schedule_timeout_interruptible(1) == 0);
}

/* ---- misuse --------------------------------------------------------------------------------- */

static struct task_struct *self_handle;

static atomic_t self_tried = ATOMIC_INIT(0);

static int self_stop_fn(void *data)
{
	int ret = kthread_stop(self_handle); /* WARNs: it would wait for itself */

	(void)data;
	atomic_set(&self_tried, 1);
	while (!kthread_should_stop())
		msleep(1);
	return ret;
}

static void test_misuse(void)
{
	struct task_struct *t = kthread_run(sleeper_fn, (void *)0L, "misuse");
	unsigned long warns = cmwq_warn_count();

	CHECK(!IS_ERR(t));
	CHECK(WAIT_UNTIL(atomic_read(&loops) >= 3));
	kthread_bind(t, 0); /* running already: WARNs, changes nothing */
	CHECK(cmwq_warn_count() == warns + 1);
	CHECK(kthread_stop(t) == 0);
	CHECK(kthread_stop(t) == -EINVAL); /* stopped twice: WARNs, no use after free */
	CHECK(cmwq_warn_count() == warns + 2);
	CHECK(kthread_should_stop() == false); /* not a kthread */
	CHECK(kthread_park(t) == -EINVAL && wake_up_process(t) == 0 && kthread_data(t) == NULL);
	CHECK(cmwq_warn_count() == warns + 5); /* one WARNING each, the stale handle never touched */
	kthread_parkme(); /* not a kthread: WARNs, returns */
	CHECK(cmwq_warn_count() == warns + 6);

	self_handle = kthread_create(self_stop_fn, NULL, "self_stop");
	CHECK(!IS_ERR(self_handle));
	wake_up_process(self_handle);
	CHECK(WAIT_UNTIL(atomic_read(&self_tried) == 1));
	CHECK(kthread_stop(self_handle) == -EDEADLK); /* its own attempt failed, and it returned that */
	CHECK(cmwq_warn_count() == warns + 7);

	{
		DECLARE_WAIT_QUEUE_HEAD(q);
		DEFINE_WAIT(first);
		DEFINE_WAIT(second);

		prepare_to_wait(&q, &first, TASK_INTERRUPTIBLE);
		prepare_to_wait(&q, &second, TASK_INTERRUPTIBLE); /* one entry per task: WARNs */
		CHECK(cmwq_warn_count() == warns + 8);
		CHECK(waitqueue_active(&q));
		finish_wait(&q, &second);
		finish_wait(&q, &first);
		CHECK(!waitqueue_active(&q));
		CHECK(cmwq_get_current_state() == TASK_RUNNING);
	}
}

/* ---- current: a kthread's is its handle; a plain thread's can be woken ---------------------- */

static struct task_struct *seen_current;
static atomic_t plain_state = ATOMIC_INIT(0); /* 1: about to sleep, 2: woken */

static int current_fn(void *data)
{
	(void)data;
	__atomic_store_n(&seen_current, current, __ATOMIC_RELEASE);
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

static int plain_sleeper(void *data)
{
	struct task_struct **me = data;

	__atomic_store_n(me, current, __ATOMIC_RELEASE);
	set_current_state(TASK_UNINTERRUPTIBLE);
	atomic_set(&plain_state, 1);
	schedule_timeout(msecs_to_jiffies(deadline_ms)); /* ended early by wake_up_process(*me) */
	atomic_set(&plain_state, 2);
	return 0;
}

static void *plain_thread(void *data)
{
	plain_sleeper(data);
	return NULL;
}

static void test_current(void)
{
	struct task_struct *t = kthread_run(current_fn, NULL, "cur_%d", 1);
	struct task_struct *plain = NULL;
	pthread_t th;

	CHECK(!IS_ERR(t));
	CHECK(t->pid > 0 && strcmp(t->comm, "cur_1") == 0);
	CHECK(WAIT_UNTIL(__atomic_load_n(&seen_current, __ATOMIC_ACQUIRE) != NULL));
	CHECK(__atomic_load_n(&seen_current, __ATOMIC_ACQUIRE) == t); /* current in a kthread is the handle kthread_run returned */
	CHECK(kthread_stop(t) == 0);

	CHECK(current->pid > 0 && current != t);
	CHECK(pthread_create(&th, NULL, plain_thread, &plain) == 0);
	CHECK(WAIT_UNTIL(atomic_read(&plain_state) == 1));
	/* Its state was TASK_UNINTERRUPTIBLE before it said 1, and only we wake it: exactly 1. */
	CHECK(wake_up_process(__atomic_load_n(&plain, __ATOMIC_ACQUIRE)) == 1);
	CHECK(WAIT_UNTIL(atomic_read(&plain_state) == 2));
	CHECK(pthread_join(th, NULL) == 0);
}

int main(void)
{
	test_current();
	test_run_and_stop();
	test_stop_unwoken();
	test_park();
	test_wait_event_stopped();
	test_prepare_to_wait();
	test_schedule_timeout_woken();
	test_misuse();
	printf("kthread: ok\n");
	return 0;
}
