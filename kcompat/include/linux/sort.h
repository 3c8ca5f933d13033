/* SPDX-License-Identifier: MIT */
/*
 * linux/sort.h - the kernel's in-place array sort.
 *
 *   sort(base, num, size, cmp, swap)      heapsort: O(n log n) always, no allocation, no recursion,
 *                                         not stable (equal elements may change order)
 *   sort_r(base, num, size, cmp, swap, priv)   the same with a context pointer for @cmp
 *
 * @cmp returns <0, 0 or >0 as its first argument sorts before, with or after the second. @swap
 * may be NULL: the elements are then swapped bytewise (word-wise where size and alignment
 * allow). Brings in linux/types.h, as the kernel's does.
 */
#ifndef CMWQ_LINUX_SORT_H
#define CMWQ_LINUX_SORT_H

#include <linux/compiler.h>
#include <linux/types.h>

typedef int (*cmp_func_t)(const void *a, const void *b);
typedef void (*swap_func_t)(void *a, void *b, int size);
typedef int (*cmp_r_func_t)(const void *a, const void *b, const void *priv);
typedef void (*swap_r_func_t)(void *a, void *b, int size, const void *priv);

CMWQ_EXTERN_C_BEGIN

/*
 * sort - sort an array of @num elements of @size bytes in place
 * @base: the array (may be NULL when @num is 0)
 * @num: number of elements
 * @size: size of one element, in bytes (0 is a misuse: WARNs and leaves the array alone)
 * @cmp_func: the ordering (must not be NULL)
 * @swap_func: swaps two elements, or NULL for the generic swap
 * Context: any; never sleeps. Return: nothing; the array is in ascending order of @cmp_func.
 */
void sort(void *base, size_t num, size_t size, cmp_func_t cmp_func, swap_func_t swap_func);
/* sort_r - sort() with @priv passed to @cmp_func and @swap_func. */
void sort_r(void *base, size_t num, size_t size, cmp_r_func_t cmp_func, swap_r_func_t swap_func,
	    const void *priv);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_SORT_H */
