// SPDX-License-Identifier: MIT
/*
 * sched_event_cost.c - what a perf context-switch event costs the thread it watches
 * (docs/concurrency.md, "Watching cheaply").
 *
 * Two threads pinned to CPU 0 hand a token back and forth through a futex, so every round trip
 * is two blocking switches. Mode 0: no events. Mode 1: each thread has a PERF_COUNT_SW_DUMMY
 * event with context_switch records and the default watermark (the kernel wakes a watcher only
 * when half the ring is full). Mode 2: the same with wakeup_watermark = 1 byte, which is what lets
 * a watcher sleep in epoll_wait() until the first record; nobody waits here, so the difference is
 * what the wake-up machinery costs by itself. Each thread consumes its own ring after every turn.
 *
 *   gcc -O2 bench/sched_event_cost.c -o /tmp/sched_event_cost -lpthread
 *   for m in 0 1 2; do /tmp/sched_event_cost $m; done
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { round_trips = 200000 };
static int mode;
static atomic_int turn;
static __thread struct perf_event_mmap_page *ring;

static void futex_wait(atomic_int *a, int v) { syscall(SYS_futex, a, FUTEX_WAIT_PRIVATE, v, 0, 0, 0); }
static void futex_wake(atomic_int *a) { syscall(SYS_futex, a, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0); }

static void pin_and_watch(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof set, &set);
	if (!mode)
		return;
	struct perf_event_attr a;
	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	a.context_switch = 1;
	a.exclude_kernel = 1;
	if (mode == 2) {
		a.watermark = 1;
		a.wakeup_watermark = 1;
	}
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0) {
		perror("perf_event_open");
		exit(1);
	}
	ring = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
}

static void consume(void)
{
	if (ring)
		__atomic_store_n(&ring->data_tail, __atomic_load_n(&ring->data_head, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
}

static void *partner(void *arg)
{
	(void)arg;
	pin_and_watch();
	for (int i = 0; i < round_trips; i++) {
		while (atomic_load(&turn) != 1)
			futex_wait(&turn, 0);
		atomic_store(&turn, 0);
		futex_wake(&turn);
		consume();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {"no events", "records, default watermark", "records, watermark 1 byte"};
	mode = argc > 1 ? atoi(argv[1]) : 0;
	if (mode < 0 || mode > 2)
		mode = 0;
	pin_and_watch();
	pthread_t t;
	pthread_create(&t, NULL, partner, NULL);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < round_trips; i++) {
		atomic_store(&turn, 1);
		futex_wake(&turn);
		while (atomic_load(&turn) != 0)
			futex_wait(&turn, 1);
		consume();
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	pthread_join(t, NULL);
	printf("mode %d (%s): %.2f us per round trip\n", mode, names[mode],
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / round_trips / 1e3);
	return 0;
}
