/* SPDX-License-Identifier: MIT */
/*
 * linux/cpumask.h - sets of CPUs, and the online/possible CPUs of the process.
 *
 * semantics.md U2: the online CPUs are the process's allowed CPUs at start-up
 * (sched_getaffinity()), with their real ids; every other CPU is offline. cmwq does not emulate
 * hotplug of CPUs the process was never allowed, so the possible CPUs are the online ones.
 * nr_cpu_ids is the highest online id + 1, so per-CPU arrays indexed by id have nr_cpu_ids slots
 * (and ids in between may be offline: iterate with for_each_online_cpu(), not 0..n-1).
 *
 *   struct cpumask, cpumask_t, cpumask_var_t, cpu_online_mask, cpu_possible_mask, nr_cpu_ids,
 *   num_online_cpus(), num_possible_cpus(), cpu_online(), cpu_possible(),
 *   for_each_online_cpu(), for_each_possible_cpu(), for_each_cpu(),
 *   cpumask_{test,set,clear}_cpu(), cpumask_{clear,setall,copy,and,or,andnot,equal,
 *   intersects,subset,empty,weight,first,next,any}(), cpumask_bits(),
 *   {alloc,zalloc,free}_cpumask_var().
 *
 * Operations over whole masks cover CPUs 0 .. nr_cpu_ids - 1. The online and possible masks are
 * computed once, on first use, and never change; reading them never sleeps.
 */
#ifndef CMWQ_LINUX_CPUMASK_H
#define CMWQ_LINUX_CPUMASK_H

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/threads.h>
#include <linux/types.h>
/* What the kernel's <linux/cpumask.h> brings in as well (kernel code relies on it). */
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/kernel.h>

struct cpumask {
	unsigned long bits[BITS_TO_LONGS(NR_CPUS)];
};
typedef struct cpumask cpumask_t;
/* As in kernels without CONFIG_CPUMASK_OFFSTACK: the "variable" is the mask itself. */
typedef struct cpumask cpumask_var_t[1];

CMWQ_EXTERN_C_BEGIN

/* The online and possible CPUs (U2); computed on first use, never changed. */
const struct cpumask *cmwq_cpu_online_mask(void);
const struct cpumask *cmwq_cpu_possible_mask(void);
/* Highest online CPU id + 1. */
unsigned int cmwq_nr_cpu_ids(void);
unsigned int num_online_cpus(void);
unsigned int num_possible_cpus(void);

CMWQ_EXTERN_C_END

#define cpu_online_mask (cmwq_cpu_online_mask())
#define cpu_possible_mask (cmwq_cpu_possible_mask())
#define cpu_present_mask (cmwq_cpu_possible_mask())
#ifdef __cplusplus
/*
 * In C++ nr_cpu_ids is a constant object that reads cmwq_nr_cpu_ids() whenever it is converted to
 * unsigned int, rather than a macro, so that engine names such as topology::nr_cpu_ids stay usable.
 */
extern "C++" {
struct cmwq_nr_cpu_ids_value {
	constexpr cmwq_nr_cpu_ids_value() {}
	operator unsigned int() const { return cmwq_nr_cpu_ids(); }
};
inline constexpr cmwq_nr_cpu_ids_value nr_cpu_ids{};
}
#else
#define nr_cpu_ids (cmwq_nr_cpu_ids())
#endif
#define nr_cpumask_bits (cmwq_nr_cpu_ids())
#define num_present_cpus() num_possible_cpus()

#define cpumask_bits(maskp) ((maskp)->bits)

static inline bool cpumask_test_cpu(int cpu, const struct cpumask *cpumask)
{
	return cpu >= 0 && cpu < NR_CPUS && test_bit(cpu, cpumask->bits);
}
static inline void cpumask_set_cpu(unsigned int cpu, struct cpumask *dstp)
{
	if (cpu < NR_CPUS)
		set_bit(cpu, dstp->bits);
}
static inline void cpumask_clear_cpu(int cpu, struct cpumask *dstp)
{
	if (cpu >= 0 && cpu < NR_CPUS)
		clear_bit(cpu, dstp->bits);
}
static inline bool cpumask_test_and_set_cpu(int cpu, struct cpumask *cpumask)
{
	return test_and_set_bit(cpu, cpumask->bits);
}
static inline bool cpumask_test_and_clear_cpu(int cpu, struct cpumask *cpumask)
{
	return test_and_clear_bit(cpu, cpumask->bits);
}
static inline void cpumask_clear(struct cpumask *dstp)
{
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		dstp->bits[i] = 0;
}
/* cpumask_setall - CPUs 0 .. nr_cpu_ids - 1 (online or not), and no others. */
static inline void cpumask_setall(struct cpumask *dstp)
{
	unsigned int cpu, n = cmwq_nr_cpu_ids();

	cpumask_clear(dstp);
	for (cpu = 0; cpu < n; cpu++)
		__set_bit(cpu, dstp->bits);
}
static inline void cpumask_copy(struct cpumask *dstp, const struct cpumask *srcp)
{
	*dstp = *srcp;
}
/* cpumask_and - *dstp = *src1p & *src2p. Return: true if the result is not empty. */
static inline bool cpumask_and(struct cpumask *dstp, const struct cpumask *src1p, const struct cpumask *src2p)
{
	unsigned long any = 0;
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		any |= dstp->bits[i] = src1p->bits[i] & src2p->bits[i];
	return any != 0;
}
static inline void cpumask_or(struct cpumask *dstp, const struct cpumask *src1p, const struct cpumask *src2p)
{
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		dstp->bits[i] = src1p->bits[i] | src2p->bits[i];
}
/* cpumask_andnot - *dstp = *src1p & ~*src2p. Return: true if the result is not empty. */
static inline bool cpumask_andnot(struct cpumask *dstp, const struct cpumask *src1p, const struct cpumask *src2p)
{
	unsigned long any = 0;
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		any |= dstp->bits[i] = src1p->bits[i] & ~src2p->bits[i];
	return any != 0;
}
static inline bool cpumask_equal(const struct cpumask *src1p, const struct cpumask *src2p)
{
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		if (src1p->bits[i] != src2p->bits[i])
			return false;
	return true;
}
static inline bool cpumask_intersects(const struct cpumask *src1p, const struct cpumask *src2p)
{
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		if (src1p->bits[i] & src2p->bits[i])
			return true;
	return false;
}
/* cpumask_subset - true if every CPU of *src1p is in *src2p. */
static inline bool cpumask_subset(const struct cpumask *src1p, const struct cpumask *src2p)
{
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		if (src1p->bits[i] & ~src2p->bits[i])
			return false;
	return true;
}
static inline bool cpumask_empty(const struct cpumask *srcp)
{
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		if (srcp->bits[i])
			return false;
	return true;
}
static inline unsigned int cpumask_weight(const struct cpumask *srcp)
{
	unsigned int i, n = 0;

	for (i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		n += (unsigned int)hweight_long(srcp->bits[i]);
	return n;
}
/* cpumask_next - the first CPU of *srcp after @n (n = -1: the first), or >= nr_cpu_ids if none. */
static inline unsigned int cpumask_next(int n, const struct cpumask *srcp)
{
	return (unsigned int)find_next_bit(srcp->bits, cmwq_nr_cpu_ids(), (unsigned long)(n + 1));
}
static inline unsigned int cpumask_first(const struct cpumask *srcp)
{
	return cpumask_next(-1, srcp);
}
#define cpumask_any(srcp) cpumask_first(srcp)

#define for_each_cpu(cpu, mask)                                                      \
	for ((cpu) = -1; (cpu) = (int)cpumask_next((cpu), (mask)), (cpu) < (int)cmwq_nr_cpu_ids();)
#define for_each_online_cpu(cpu) for_each_cpu((cpu), cpu_online_mask)
#define for_each_possible_cpu(cpu) for_each_cpu((cpu), cpu_possible_mask)
#define for_each_present_cpu(cpu) for_each_cpu((cpu), cpu_present_mask)

#define cpu_online(cpu) cpumask_test_cpu((cpu), cpu_online_mask)
#define cpu_possible(cpu) cpumask_test_cpu((cpu), cpu_possible_mask)
#define cpu_present(cpu) cpumask_test_cpu((cpu), cpu_present_mask)

/* Masks live in the variable itself: allocation cannot fail. zalloc_ also clears it. */
static inline bool alloc_cpumask_var(cpumask_var_t *mask, gfp_t flags)
{
	(void)mask;
	(void)flags;
	return true;
}
static inline bool zalloc_cpumask_var(cpumask_var_t *mask, gfp_t flags)
{
	(void)flags;
	cpumask_clear(*mask);
	return true;
}
static inline void free_cpumask_var(cpumask_var_t mask)
{
	(void)mask;
}

#endif /* CMWQ_LINUX_CPUMASK_H */
