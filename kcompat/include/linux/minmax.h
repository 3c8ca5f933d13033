/* SPDX-License-Identifier: MIT */
/*
 * linux/minmax.h - min(), max(), clamp() and their _t forms, evaluating each argument once.
 *
 * min(x, y) and max(x, y) compare in the common type of x and y (as `c ? x : y` would); min_t(),
 * max_t() and clamp_t() convert both sides to the named type first. Mixing signed and unsigned
 * arguments converts the signed one: use the _t forms there, as the kernel asks.
 *
 * In C these are macros on GNU statement expressions. In C++ min, max and clamp are function
 * templates at global scope instead, so that std::min and std::max stay usable after this header;
 * there the arguments must agree in signedness (a compile-time error otherwise).
 */
#ifndef CMWQ_LINUX_MINMAX_H
#define CMWQ_LINUX_MINMAX_H

#include <linux/compiler.h>

#define CMWQ_MINMAX_(x, y, op, a, b)                          \
	({                                                    \
		__typeof__(0 ? (x) : (y)) a = (x);            \
		__typeof__(0 ? (x) : (y)) b = (y);            \
		a op b ? a : b;                               \
	})

#ifdef __cplusplus
extern "C++" {
/* The common type of A and B, as a value type (never a reference). */
template <typename A, typename B>
using cmwq_minmax_type = decltype(true ? A{} : B{});

template <typename A, typename B>
constexpr cmwq_minmax_type<A, B> min(A a, B b)
{
	static_assert((A(-1) < A(0)) == (B(-1) < B(0)), "min(): signed and unsigned arguments; use min_t()");
	return a < b ? a : b;
}
template <typename A, typename B>
constexpr cmwq_minmax_type<A, B> max(A a, B b)
{
	static_assert((A(-1) < A(0)) == (B(-1) < B(0)), "max(): signed and unsigned arguments; use max_t()");
	return a > b ? a : b;
}
template <typename V, typename L, typename H>
constexpr cmwq_minmax_type<cmwq_minmax_type<V, L>, H> clamp(V val, L lo, H hi)
{
	return min(max(val, lo), hi);
}
}
#else
#define min(x, y) CMWQ_MINMAX_(x, y, <, CMWQ_UNIQUE_ID(cmwq_min_a), CMWQ_UNIQUE_ID(cmwq_min_b))
#define max(x, y) CMWQ_MINMAX_(x, y, >, CMWQ_UNIQUE_ID(cmwq_max_a), CMWQ_UNIQUE_ID(cmwq_max_b))
#define clamp(val, lo, hi) min((__typeof__(val))max(val, lo), hi)
/* Exchanges the values of a and b (C only: C++ has std::swap). */
#define swap(a, b)                                              \
	do {                                                    \
		__typeof__(a) cmwq_swap_tmp = (a);              \
		(a) = (b);                                      \
		(b) = cmwq_swap_tmp;                            \
	} while (0)
#endif

#define min_t(type, x, y) CMWQ_MINMAX_((type)(x), (type)(y), <, CMWQ_UNIQUE_ID(cmwq_min_a), CMWQ_UNIQUE_ID(cmwq_min_b))
#define max_t(type, x, y) CMWQ_MINMAX_((type)(x), (type)(y), >, CMWQ_UNIQUE_ID(cmwq_max_a), CMWQ_UNIQUE_ID(cmwq_max_b))
#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)
#define clamp_val(val, lo, hi) clamp_t(__typeof__(val), val, lo, hi)
#define min3(x, y, z) min(min(x, y), z)
#define max3(x, y, z) max(max(x, y), z)
#define umin(x, y) min_t(unsigned long long, x, y)
#define umax(x, y) max_t(unsigned long long, x, y)

#endif /* CMWQ_LINUX_MINMAX_H */
