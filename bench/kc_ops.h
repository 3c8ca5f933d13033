/* bench/kc_ops.h - the kernel-style C API side of the benchmarks (bench/kc_ops.c, gnu11).
 *
 * kc_ops.c is written like kernel code (linux/workqueue.h, INIT_WORK, queue_work_on, msleep) so
 * that the C front door is measured the way drivers use it. The C++ benchmarks call these
 * functions; the callbacks marked "provided by the caller" are defined in the C++ file. */
#ifndef CMWQ_BENCH_KC_OPS_H
#define CMWQ_BENCH_KC_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- micro-benchmarks (micro_bench.cpp) ----------------------------------------------------- */
struct kc_micro;
struct kc_micro *kc_micro_new(void);
void kc_micro_free(struct kc_micro *m);
void kc_queue_flush(struct kc_micro *m, int cpu);   /* queue_work_on(cpu) + flush_work; cpu < 0: local */
bool kc_flush_idle(struct kc_micro *m);             /* flush_work() of an idle item */
void kc_pending_cancel(struct kc_micro *m);         /* queue_work behind a blocked item + cancel_work */
void kc_delayed_arm_cancel(struct kc_micro *m);     /* queue_delayed_work(1 s) + cancel_delayed_work */
void kc_ordered_batch(struct kc_micro *m, int n);   /* n items on an ordered queue + flush_workqueue */

long kc_live_workers(void);                         /* kc_workloads.c: workers alive now */
size_t kc_sizeof_work(void);
size_t kc_sizeof_delayed_work(void);

/* ---- W4 with msleep() (compare/workloads.cpp) ----------------------------------------------- */
/* provided by the caller: the CPU part of task idx, the sleep bracket, and the completion */
void bench_w4_cpu_part(int idx);
void bench_w4_sleep_enter(void);
void bench_w4_sleep_exit(void);
void bench_w4_done(void);
bool kc_w4_prepare(int n);                          /* alloc_workqueue(WQ_PERCPU) + INIT_WORK x n */
void kc_w4_start(int ncpu, int sleep_every, unsigned int sleep_ms); /* queue_work_on(i % ncpu) */
void kc_w4_finish(void);                            /* flush_workqueue */

/* ---- W5 with struct delayed_work (compare/workloads.cpp) ------------------------------------ */
/* provided by the caller: called from the work function of a timer that fired */
void bench_w5_fired(int idx);
bool kc_w5_init(void);                              /* alloc_workqueue */
bool kc_w5_prepare(int n);                          /* array of delayed_work (INIT_DELAYED_WORK) */
bool kc_w5_arm(int idx, unsigned int ms);           /* queue_delayed_work(wq, dw, msecs_to_jiffies(ms)) */
bool kc_w5_cancel(int idx);                         /* cancel_delayed_work() */

#ifdef __cplusplus
}
#endif

#endif
