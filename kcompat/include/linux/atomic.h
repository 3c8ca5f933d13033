/* SPDX-License-Identifier: MIT */
/*
 * linux/atomic.h - atomic_t, atomic_long_t and atomic64_t operations, and cmpxchg()/xchg().
 *
 * Built on the compiler's __atomic builtins, so they work in C11 and C++ alike, are seen by
 * ThreadSanitizer, and need no library code. Orderings follow the kernel's atomic_t.txt rules:
 *
 *   atomic_read(), atomic_set(), and the non-returning RMW ops (atomic_add(), atomic_inc(),
 *   atomic_and(), ...)                                       relaxed (unordered)
 *   value-returning RMW ops (atomic_add_return(), atomic_fetch_or(), atomic_xchg(),
 *   atomic_cmpxchg(), atomic_dec_and_test(), ...)           fully ordered (seq_cst)
 *   the _relaxed, _acquire and _release suffixes            what they say
 *   atomic_read_acquire(), atomic_set_release()             acquire / release
 *
 * A failed cmpxchg is relaxed, as in the kernel. smp_mb__before_atomic()/after_atomic() (from
 * linux/compiler.h) order a relaxed op with the code around it.
 */
#ifndef CMWQ_LINUX_ATOMIC_H
#define CMWQ_LINUX_ATOMIC_H

#include <linux/compiler.h>
#include <linux/types.h>

#define ATOMIC_INIT(i) { (i) }
#define ATOMIC_LONG_INIT(i) { (i) }
#define ATOMIC64_INIT(i) { (i) }

/* One value-returning op in its four orderings: name, name_relaxed, name_acquire, name_release. */
#define CMWQ_ATOMIC_RET_OP(pfx, T, v_t, name, builtin)                                          \
	static inline T pfx##_##name(T i, v_t *v)                                               \
	{                                                                                       \
		return builtin(&v->counter, i, __ATOMIC_SEQ_CST);                               \
	}                                                                                       \
	static inline T pfx##_##name##_relaxed(T i, v_t *v)                                     \
	{                                                                                       \
		return builtin(&v->counter, i, __ATOMIC_RELAXED);                               \
	}                                                                                       \
	static inline T pfx##_##name##_acquire(T i, v_t *v)                                     \
	{                                                                                       \
		return builtin(&v->counter, i, __ATOMIC_ACQUIRE);                               \
	}                                                                                       \
	static inline T pfx##_##name##_release(T i, v_t *v)                                     \
	{                                                                                       \
		return builtin(&v->counter, i, __ATOMIC_RELEASE);                               \
	}

/* A unary form (inc/dec) of a value-returning op, in the four orderings. */
#define CMWQ_ATOMIC_UNARY_OP(pfx, T, v_t, name, base, arg)                                      \
	static inline T pfx##_##name(v_t *v) { return pfx##_##base(arg, v); }                   \
	static inline T pfx##_##name##_relaxed(v_t *v) { return pfx##_##base##_relaxed(arg, v); } \
	static inline T pfx##_##name##_acquire(v_t *v) { return pfx##_##base##_acquire(arg, v); } \
	static inline T pfx##_##name##_release(v_t *v) { return pfx##_##base##_release(arg, v); }

#define CMWQ_ATOMIC_CMPXCHG_OP(pfx, T, v_t, suffix, order)                                      \
	static inline T pfx##_cmpxchg##suffix(v_t *v, T old, T new_value)                       \
	{                                                                                       \
		__atomic_compare_exchange_n(&v->counter, &old, new_value, false, order,         \
					    __ATOMIC_RELAXED);                                  \
		return old;                                                                     \
	}                                                                                       \
	static inline bool pfx##_try_cmpxchg##suffix(v_t *v, T *old, T new_value)               \
	{                                                                                       \
		return __atomic_compare_exchange_n(&v->counter, old, new_value, false, order,   \
						   __ATOMIC_RELAXED);                           \
	}                                                                                       \
	static inline T pfx##_xchg##suffix(v_t *v, T new_value)                                 \
	{                                                                                       \
		return __atomic_exchange_n(&v->counter, new_value, order);                      \
	}

#define CMWQ_ATOMIC_OPS(pfx, T, v_t)                                                            \
	static inline T pfx##_read(const v_t *v) { return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); } \
	static inline T pfx##_read_acquire(const v_t *v)                                        \
	{                                                                                       \
		return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);                          \
	}                                                                                       \
	static inline void pfx##_set(v_t *v, T i) { __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); } \
	static inline void pfx##_set_release(v_t *v, T i)                                       \
	{                                                                                       \
		__atomic_store_n(&v->counter, i, __ATOMIC_RELEASE);                             \
	}                                                                                       \
	static inline void pfx##_add(T i, v_t *v) { (void)__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED); } \
	static inline void pfx##_sub(T i, v_t *v) { (void)__atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED); } \
	static inline void pfx##_inc(v_t *v) { (void)__atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED); } \
	static inline void pfx##_dec(v_t *v) { (void)__atomic_fetch_sub(&v->counter, 1, __ATOMIC_RELAXED); } \
	static inline void pfx##_and(T i, v_t *v) { (void)__atomic_fetch_and(&v->counter, i, __ATOMIC_RELAXED); } \
	static inline void pfx##_or(T i, v_t *v) { (void)__atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED); } \
	static inline void pfx##_xor(T i, v_t *v) { (void)__atomic_fetch_xor(&v->counter, i, __ATOMIC_RELAXED); } \
	static inline void pfx##_andnot(T i, v_t *v) { (void)__atomic_fetch_and(&v->counter, ~i, __ATOMIC_RELAXED); } \
	CMWQ_ATOMIC_RET_OP(pfx, T, v_t, add_return, __atomic_add_fetch)                         \
	CMWQ_ATOMIC_RET_OP(pfx, T, v_t, sub_return, __atomic_sub_fetch)                         \
	CMWQ_ATOMIC_RET_OP(pfx, T, v_t, fetch_add, __atomic_fetch_add)                          \
	CMWQ_ATOMIC_RET_OP(pfx, T, v_t, fetch_sub, __atomic_fetch_sub)                          \
	CMWQ_ATOMIC_RET_OP(pfx, T, v_t, fetch_and, __atomic_fetch_and)                          \
	CMWQ_ATOMIC_RET_OP(pfx, T, v_t, fetch_or, __atomic_fetch_or)                            \
	CMWQ_ATOMIC_RET_OP(pfx, T, v_t, fetch_xor, __atomic_fetch_xor)                          \
	CMWQ_ATOMIC_UNARY_OP(pfx, T, v_t, inc_return, add_return, 1)                            \
	CMWQ_ATOMIC_UNARY_OP(pfx, T, v_t, dec_return, sub_return, 1)                            \
	CMWQ_ATOMIC_UNARY_OP(pfx, T, v_t, fetch_inc, fetch_add, 1)                              \
	CMWQ_ATOMIC_UNARY_OP(pfx, T, v_t, fetch_dec, fetch_sub, 1)                              \
	static inline T pfx##_fetch_andnot(T i, v_t *v) { return pfx##_fetch_and(~i, v); }      \
	CMWQ_ATOMIC_CMPXCHG_OP(pfx, T, v_t, , __ATOMIC_SEQ_CST)                                 \
	CMWQ_ATOMIC_CMPXCHG_OP(pfx, T, v_t, _relaxed, __ATOMIC_RELAXED)                         \
	CMWQ_ATOMIC_CMPXCHG_OP(pfx, T, v_t, _acquire, __ATOMIC_ACQUIRE)                         \
	CMWQ_ATOMIC_CMPXCHG_OP(pfx, T, v_t, _release, __ATOMIC_RELEASE)                         \
	/* true if the result is zero */                                                        \
	static inline bool pfx##_sub_and_test(T i, v_t *v) { return pfx##_sub_return(i, v) == 0; } \
	static inline bool pfx##_dec_and_test(v_t *v) { return pfx##_dec_return(v) == 0; }      \
	static inline bool pfx##_inc_and_test(v_t *v) { return pfx##_inc_return(v) == 0; }      \
	/* true if the result is negative */                                                    \
	static inline bool pfx##_add_negative(T i, v_t *v) { return pfx##_add_return(i, v) < 0; } \
	/* adds @a unless the value is @u; returns the old value */                             \
	static inline T pfx##_fetch_add_unless(v_t *v, T a, T u)                                \
	{                                                                                       \
		T c = pfx##_read(v);                                                            \
		do {                                                                            \
			if (unlikely(c == u))                                                   \
				break;                                                          \
		} while (!pfx##_try_cmpxchg(v, &c, c + a));                                     \
		return c;                                                                       \
	}                                                                                       \
	/* adds @a unless the value is @u; true if it added */                                  \
	static inline bool pfx##_add_unless(v_t *v, T a, T u) { return pfx##_fetch_add_unless(v, a, u) != u; } \
	static inline bool pfx##_inc_not_zero(v_t *v) { return pfx##_add_unless(v, 1, 0); }    \
	/* decrements unless the result would be negative; returns the old value minus one */   \
	static inline T pfx##_dec_if_positive(v_t *v)                                           \
	{                                                                                       \
		T c = pfx##_read(v);                                                            \
		do {                                                                            \
			if (unlikely(c - 1 < 0))                                                \
				return c - 1;                                                   \
		} while (!pfx##_try_cmpxchg(v, &c, c - 1));                                     \
		return c - 1;                                                                   \
	}

CMWQ_ATOMIC_OPS(atomic, int, atomic_t)
CMWQ_ATOMIC_OPS(atomic_long, long, atomic_long_t)
CMWQ_ATOMIC_OPS(atomic64, long long, atomic64_t)

/* Generic forms on any naturally aligned integer or pointer object. */
#define xchg(ptr, x) __atomic_exchange_n((ptr), (x), __ATOMIC_SEQ_CST)
#define xchg_relaxed(ptr, x) __atomic_exchange_n((ptr), (x), __ATOMIC_RELAXED)
#define cmpxchg(ptr, old, new_value)                                                            \
	({                                                                                      \
		__typeof__(*(ptr)) cmwq_cmpxchg_old = (old);                                    \
		__atomic_compare_exchange_n((ptr), &cmwq_cmpxchg_old, (new_value), false,       \
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);                \
		cmwq_cmpxchg_old;                                                               \
	})
#define cmpxchg_relaxed(ptr, old, new_value)                                                    \
	({                                                                                      \
		__typeof__(*(ptr)) cmwq_cmpxchg_old = (old);                                    \
		__atomic_compare_exchange_n((ptr), &cmwq_cmpxchg_old, (new_value), false,       \
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);                \
		cmwq_cmpxchg_old;                                                               \
	})
#define try_cmpxchg(ptr, oldp, new_value) \
	__atomic_compare_exchange_n((ptr), (oldp), (new_value), false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)

#endif /* CMWQ_LINUX_ATOMIC_H */
